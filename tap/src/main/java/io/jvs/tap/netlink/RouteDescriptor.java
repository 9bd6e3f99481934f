package io.jvs.tap.netlink;

/**
 * Layout of {@code struct rtmsg} (include/uapi/linux/rtnetlink.h), the family header of RTM_*ROUTE messages,
 * followed by RTA_* attributes (addresses in network byte order).
 * <pre>
 *  +---------------+---------------+---------------+---------------+  0
 *  |  rtm_family   |  rtm_dst_len  |  rtm_src_len  |    rtm_tos    |
 *  +---------------+---------------+---------------+---------------+  4
 *  |   rtm_table   | rtm_protocol  |   rtm_scope   |   rtm_type    |
 *  +---------------+---------------+---------------+---------------+  8
 *  |                          rtm_flags                            |
 *  +---------------------------------------------------------------+ 12
 * </pre>
 */
public final class RouteDescriptor
{
    public static final int LENGTH = 12;
    public static final int FAMILY_OFFSET = 0;
    public static final int DST_LENGTH_OFFSET = 1;
    public static final int SRC_LENGTH_OFFSET = 2;
    public static final int TOS_OFFSET = 3;
    public static final int TABLE_OFFSET = 4;
    public static final int PROTOCOL_OFFSET = 5;
    public static final int SCOPE_OFFSET = 6;
    public static final int TYPE_OFFSET = 7;
    public static final int FLAGS_OFFSET = 8;

    public static final int RTM_NEWROUTE = 24;
    public static final int RTM_DELROUTE = 25;
    public static final int RTM_GETROUTE = 26;

    public static final int RT_TABLE_MAIN = 254;
    /** What {@code ip route add} stamps on a route it adds. */
    public static final int RTPROT_BOOT = 3;
    public static final int RT_SCOPE_UNIVERSE = 0;
    public static final int RTN_UNICAST = 1;

    public static final int RTA_DST = 1;
    public static final int RTA_OIF = 4;
    public static final int RTA_GATEWAY = 5;
    public static final int RTA_TABLE = 15;

    private RouteDescriptor()
    {
    }
}
