package io.jvs.tap.netlink;

/**
 * Layout of {@code struct nlmsghdr} (include/uapi/linux/netlink.h), the header of every netlink message; all fields
 * in host byte order. A message is the header, a family header (e.g. {@link IfInfoDescriptor}) and attributes
 * ({@link AttributeDescriptor}), each part padded to {@link #ALIGNMENT}.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+  0
 *  |                 nlmsg_len (header + payload)                  |
 *  +-------------------------------+-------------------------------+  4
 *  |          nlmsg_type           |          nlmsg_flags          |
 *  +-------------------------------+-------------------------------+  8
 *  |                           nlmsg_seq                           |
 *  +---------------------------------------------------------------+ 12
 *  |                 nlmsg_pid (0: to/from the kernel)             |
 *  +---------------------------------------------------------------+ 16
 * </pre>
 */
public final class NetlinkHeaderDescriptor
{
    public static final int LENGTH = 16;
    public static final int LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = 4;
    public static final int FLAGS_OFFSET = 6;
    public static final int SEQ_OFFSET = 8;
    public static final int PID_OFFSET = 12;

    /** NLMSG_ALIGNTO: messages and attributes start on 4-byte boundaries. */
    public static final int ALIGNMENT = 4;

    // Message types every netlink family shares.
    public static final int NLMSG_NOOP = 1;
    public static final int NLMSG_ERROR = 2;
    public static final int NLMSG_DONE = 3;
    public static final int NLMSG_OVERRUN = 4;

    // Flags of a request.
    public static final int NLM_F_REQUEST = 0x1;
    public static final int NLM_F_MULTI = 0x2;
    public static final int NLM_F_ACK = 0x4;
    public static final int NLM_F_DUMP_INTR = 0x10;
    // Of a GET request.
    public static final int NLM_F_DUMP = 0x300;
    // Of a NEW request.
    public static final int NLM_F_REPLACE = 0x100;
    public static final int NLM_F_EXCL = 0x200;
    public static final int NLM_F_CREATE = 0x400;
    // Of an NLMSG_ERROR answer: the echoed request is cut to its header / extended-ack attributes follow.
    public static final int NLM_F_CAPPED = 0x100;
    public static final int NLM_F_ACK_TLVS = 0x200;

    private NetlinkHeaderDescriptor()
    {
    }

    /** NLMSG_ALIGN / RTA_ALIGN. */
    public static int align(final int length)
    {
        return (length + ALIGNMENT - 1) & -ALIGNMENT;
    }
}
