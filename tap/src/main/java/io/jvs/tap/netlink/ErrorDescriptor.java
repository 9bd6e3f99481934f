package io.jvs.tap.netlink;

/**
 * Layout of {@code struct nlmsgerr}, the payload of an NLMSG_ERROR message: the ack (error 0) or the failure
 * (a negated errno) of the request whose header follows. With NETLINK_CAP_ACK only that header is echoed; with
 * NETLINK_EXT_ACK (flag NLM_F_ACK_TLVS) attributes follow it, e.g. the kernel's own text ({@link #NLMSGERR_ATTR_MSG}).
 * <pre>
 *  +---------------------------------------------------------------+  0
 *  |                   error (0 or -errno)                         |
 *  +---------------------------------------------------------------+  4
 *  |       nlmsghdr of the request (16 bytes) [+ its payload]      |
 *  +---------------------------------------------------------------+ 20 (capped)
 *  |       extended-ack attributes (NLM_F_ACK_TLVS)                |
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class ErrorDescriptor
{
    public static final int ERROR_OFFSET = 0;
    public static final int REQUEST_OFFSET = 4;
    public static final int LENGTH = REQUEST_OFFSET + NetlinkHeaderDescriptor.LENGTH;

    /** Extended ack: a NUL-terminated message from the kernel. */
    public static final int NLMSGERR_ATTR_MSG = 1;

    private ErrorDescriptor()
    {
    }
}
