package io.jvs.tap.netlink;

import static io.jvs.tap.netlink.IfAddrDescriptor.IFA_ADDRESS;
import static io.jvs.tap.netlink.IfAddrDescriptor.IFA_FLAGS;
import static io.jvs.tap.netlink.IfAddrDescriptor.IFA_F_NODAD;
import static io.jvs.tap.netlink.IfAddrDescriptor.IFA_LOCAL;
import static io.jvs.tap.netlink.IfAddrDescriptor.RTM_NEWADDR;
import static io.jvs.tap.netlink.IfInfoDescriptor.IFF_UP;
import static io.jvs.tap.netlink.IfInfoDescriptor.IFLA_ADDRESS;
import static io.jvs.tap.netlink.IfInfoDescriptor.IFLA_IFNAME;
import static io.jvs.tap.netlink.IfInfoDescriptor.IFLA_INFO_DATA;
import static io.jvs.tap.netlink.IfInfoDescriptor.IFLA_INFO_KIND;
import static io.jvs.tap.netlink.IfInfoDescriptor.IFLA_LINKINFO;
import static io.jvs.tap.netlink.IfInfoDescriptor.IFLA_MTU;
import static io.jvs.tap.netlink.IfInfoDescriptor.IFLA_NET_NS_FD;
import static io.jvs.tap.netlink.IfInfoDescriptor.RTM_DELLINK;
import static io.jvs.tap.netlink.IfInfoDescriptor.RTM_GETLINK;
import static io.jvs.tap.netlink.IfInfoDescriptor.RTM_NEWLINK;
import static io.jvs.tap.netlink.IfInfoDescriptor.VETH_INFO_PEER;
import static io.jvs.tap.netlink.NetlinkHeaderDescriptor.NLM_F_ACK;
import static io.jvs.tap.netlink.NetlinkHeaderDescriptor.NLM_F_CREATE;
import static io.jvs.tap.netlink.NetlinkHeaderDescriptor.NLM_F_DUMP;
import static io.jvs.tap.netlink.NetlinkHeaderDescriptor.NLM_F_EXCL;
import static io.jvs.tap.netlink.NetlinkHeaderDescriptor.NLM_F_REQUEST;
import static io.jvs.tap.netlink.RouteDescriptor.RTA_GATEWAY;
import static io.jvs.tap.netlink.RouteDescriptor.RTA_OIF;
import static io.jvs.tap.netlink.RouteDescriptor.RTM_GETROUTE;
import static io.jvs.tap.netlink.RouteDescriptor.RTM_NEWROUTE;
import static io.jvs.tap.netlink.RouteDescriptor.RTN_UNICAST;
import static io.jvs.tap.netlink.RouteDescriptor.RTPROT_BOOT;
import static io.jvs.tap.netlink.RouteDescriptor.RT_SCOPE_UNIVERSE;
import static io.jvs.tap.netlink.RouteDescriptor.RT_TABLE_MAIN;

/**
 * The rtnetlink requests jvs sends, each written whole (header included) into an encoder, shaped as iproute2's
 * {@code ip} shapes them (same flags, attribute order and NUL handling) so they are byte for byte what {@code ip}
 * sends, apart from links being named (ifindex 0 + IFLA_IFNAME) instead of looked up first. Kept apart from the
 * socket so the bytes can be tested without a kernel.
 */
public final class RtnetlinkRequests
{
    static final int AF_UNSPEC = 0;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    /** No namespace to move into: stay in the socket's. */
    public static final int SAME_NAMESPACE = -1;

    private static final int NEW = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    private static final int CHANGE = NLM_F_REQUEST | NLM_F_ACK;

    private RtnetlinkRequests()
    {
    }

    /**
     * {@code ip link add NAME [mtu M] type veth peer name PEER [address MAC] [mtu M] [netns NS]}.
     *
     * @param mtu             of both ends; 0 keeps the kernel default.
     * @param peerMac         6 bytes, or null for a random one.
     * @param peerNamespaceFd an open /run/netns/NAME the peer is born in, or {@link #SAME_NAMESPACE}.
     */
    public static NetlinkEncoder newVeth(final NetlinkEncoder request, final int seq, final String name,
        final String peerName, final byte[] peerMac, final int mtu, final int peerNamespaceFd)
    {
        request.begin(RTM_NEWLINK, NEW, seq).ifInfo(AF_UNSPEC, 0, 0, 0);
        if (mtu > 0)
        {
            request.putInt(IFLA_MTU, mtu);
        }
        request.putString(IFLA_IFNAME, name);
        final int linkInfo = request.beginNest(IFLA_LINKINFO);
        request.putStringUnterminated(IFLA_INFO_KIND, "veth");
        final int infoData = request.beginNest(IFLA_INFO_DATA);
        final int peer = request.beginNest(VETH_INFO_PEER);
        request.ifInfo(AF_UNSPEC, 0, 0, 0);
        if (peerMac != null)
        {
            request.putBytes(IFLA_ADDRESS, peerMac);
        }
        if (mtu > 0)
        {
            request.putInt(IFLA_MTU, mtu);
        }
        if (peerNamespaceFd != SAME_NAMESPACE)
        {
            request.putInt(IFLA_NET_NS_FD, peerNamespaceFd);
        }
        request.putString(IFLA_IFNAME, peerName);
        return request.endNest(peer).endNest(infoData).endNest(linkInfo);
    }

    /** {@code ip link set NAME up}. */
    public static NetlinkEncoder linkUp(final NetlinkEncoder request, final int seq, final String name)
    {
        return request.begin(RTM_NEWLINK, CHANGE, seq).ifInfo(AF_UNSPEC, 0, IFF_UP, IFF_UP)
            .putString(IFLA_IFNAME, name);
    }

    /** {@code ip link set NAME mtu MTU}. */
    public static NetlinkEncoder linkMtu(final NetlinkEncoder request, final int seq, final String name, final int mtu)
    {
        return request.begin(RTM_NEWLINK, CHANGE, seq).ifInfo(AF_UNSPEC, 0, 0, 0)
            .putInt(IFLA_MTU, mtu)
            .putString(IFLA_IFNAME, name);
    }

    /** {@code ip link set NAME address MAC}. */
    public static NetlinkEncoder linkMac(final NetlinkEncoder request, final int seq, final String name,
        final byte[] mac)
    {
        return request.begin(RTM_NEWLINK, CHANGE, seq).ifInfo(AF_UNSPEC, 0, 0, 0)
            .putBytes(IFLA_ADDRESS, mac)
            .putString(IFLA_IFNAME, name);
    }

    /** {@code ip link delete NAME}. */
    public static NetlinkEncoder deleteLink(final NetlinkEncoder request, final int seq, final String name)
    {
        return request.begin(RTM_DELLINK, CHANGE, seq).ifInfo(AF_UNSPEC, 0, 0, 0).putString(IFLA_IFNAME, name);
    }

    /** One link, by name (index 0) or by index (name null). */
    public static NetlinkEncoder getLink(final NetlinkEncoder request, final int seq, final int index,
        final String name)
    {
        request.begin(RTM_GETLINK, NLM_F_REQUEST, seq).ifInfo(AF_UNSPEC, index, 0, 0);
        return name == null ? request : request.putString(IFLA_IFNAME, name);
    }

    /** Every link of the namespace. */
    public static NetlinkEncoder dumpLinks(final NetlinkEncoder request, final int seq)
    {
        return request.begin(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq).ifInfo(AF_UNSPEC, 0, 0, 0);
    }

    /** {@code ip addr add ADDRESS/PREFIX dev INDEX} (IPv4, no broadcast: {@code ip} adds one only for "brd"). */
    public static NetlinkEncoder newIpv4Address(final NetlinkEncoder request, final int seq, final int index,
        final int address, final int prefixLength)
    {
        return request.begin(RTM_NEWADDR, NEW, seq).ifAddr(AF_INET, prefixLength, RT_SCOPE_UNIVERSE, index)
            .putIpv4(IFA_LOCAL, address)
            .putIpv4(IFA_ADDRESS, address);
    }

    /** {@code ip route add default via GATEWAY dev INDEX} (main table). */
    public static NetlinkEncoder newIpv4DefaultRoute(final NetlinkEncoder request, final int seq, final int gateway,
        final int index)
    {
        return request.begin(RTM_NEWROUTE, NEW, seq)
            .route(AF_INET, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST)
            .putIpv4(RTA_GATEWAY, gateway)
            .putInt(RTA_OIF, index);
    }

    /** Every IPv4 route of the namespace. */
    public static NetlinkEncoder dumpIpv4Routes(final NetlinkEncoder request, final int seq)
    {
        return request.begin(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq).route(AF_INET, 0, 0, 0, 0, 0);
    }

    /** {@code ip -6 addr add ADDRESS/PREFIX dev INDEX nodad}: usable at once, no duplicate address detection. */
    public static NetlinkEncoder newIpv6Address(final NetlinkEncoder request, final int seq, final int index,
        final byte[] address, final int prefixLength)
    {
        return request.begin(RTM_NEWADDR, NEW, seq).ifAddr(AF_INET6, prefixLength, RT_SCOPE_UNIVERSE, index)
            .putBytes(IFA_LOCAL, address)
            .putInt(IFA_FLAGS, IFA_F_NODAD);
    }

    /** {@code ip -6 route add default via GATEWAY dev INDEX} (main table). */
    public static NetlinkEncoder newIpv6DefaultRoute(final NetlinkEncoder request, final int seq, final byte[] gateway,
        final int index)
    {
        return request.begin(RTM_NEWROUTE, NEW, seq)
            .route(AF_INET6, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST)
            .putBytes(RTA_GATEWAY, gateway)
            .putInt(RTA_OIF, index);
    }

    /** Every IPv6 route of the namespace. */
    public static NetlinkEncoder dumpIpv6Routes(final NetlinkEncoder request, final int seq)
    {
        return request.begin(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq).route(AF_INET6, 0, 0, 0, 0, 0);
    }
}
