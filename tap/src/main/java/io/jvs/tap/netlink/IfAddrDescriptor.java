package io.jvs.tap.netlink;

/**
 * Layout of {@code struct ifaddrmsg} (include/uapi/linux/if_addr.h), the family header of RTM_*ADDR messages,
 * followed by IFA_* attributes (addresses in network byte order).
 * <pre>
 *  +---------------+---------------+---------------+---------------+  0
 *  |  ifa_family   | ifa_prefixlen |   ifa_flags   |   ifa_scope   |
 *  +---------------+---------------+---------------+---------------+  4
 *  |                          ifa_index                            |
 *  +---------------------------------------------------------------+  8
 * </pre>
 */
public final class IfAddrDescriptor
{
    public static final int LENGTH = 8;
    public static final int FAMILY_OFFSET = 0;
    public static final int PREFIX_LENGTH_OFFSET = 1;
    public static final int FLAGS_OFFSET = 2;
    public static final int SCOPE_OFFSET = 3;
    public static final int INDEX_OFFSET = 4;

    public static final int RTM_NEWADDR = 20;
    public static final int RTM_DELADDR = 21;

    public static final int IFA_ADDRESS = 1;
    public static final int IFA_LOCAL = 2;
    /** u32 flags, superseding ifa_flags (which holds only 8 bits). */
    public static final int IFA_FLAGS = 8;
    /** An IPv6 address usable at once: no duplicate address detection ({@code ip addr add ... nodad}). */
    public static final int IFA_F_NODAD = 0x02;

    private IfAddrDescriptor()
    {
    }
}
