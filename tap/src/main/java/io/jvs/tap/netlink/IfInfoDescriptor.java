package io.jvs.tap.netlink;

/**
 * Layout of {@code struct ifinfomsg} (include/uapi/linux/rtnetlink.h), the family header of RTM_*LINK messages,
 * followed by IFLA_* attributes (include/uapi/linux/if_link.h).
 * <pre>
 *  +---------------+---------------+-------------------------------+  0
 *  |  ifi_family   |    (pad)      |      ifi_type (ARPHRD_*)      |
 *  +---------------+---------------+-------------------------------+  4
 *  |                     ifi_index (0: by IFLA_IFNAME)             |
 *  +---------------------------------------------------------------+  8
 *  |                     ifi_flags (IFF_*)                         |
 *  +---------------------------------------------------------------+ 12
 *  |                     ifi_change (which flags to change)        |
 *  +---------------------------------------------------------------+ 16
 * </pre>
 */
public final class IfInfoDescriptor
{
    public static final int LENGTH = 16;
    public static final int FAMILY_OFFSET = 0;
    public static final int TYPE_OFFSET = 2;
    public static final int INDEX_OFFSET = 4;
    public static final int FLAGS_OFFSET = 8;
    public static final int CHANGE_OFFSET = 12;

    public static final int RTM_NEWLINK = 16;
    public static final int RTM_DELLINK = 17;
    public static final int RTM_GETLINK = 18;

    /** net/if.h */
    public static final int IFF_UP = 0x1;

    // IFLA_* attributes.
    public static final int IFLA_ADDRESS = 1;
    public static final int IFLA_IFNAME = 3;
    public static final int IFLA_MTU = 4;
    public static final int IFLA_LINKINFO = 18;
    public static final int IFLA_NET_NS_FD = 28;
    // Nested in IFLA_LINKINFO.
    public static final int IFLA_INFO_KIND = 1;
    public static final int IFLA_INFO_DATA = 2;
    // Nested in IFLA_INFO_DATA of kind "veth": an ifinfomsg and the peer's IFLA_* attributes.
    public static final int VETH_INFO_PEER = 1;

    private IfInfoDescriptor()
    {
    }
}
