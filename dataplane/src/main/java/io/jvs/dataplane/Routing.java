package io.jvs.dataplane;

import io.jvs.dataplane.l3.Ipv4Addresses;
import io.jvs.dataplane.l3.Ipv6Addresses;
import io.jvs.dataplane.l3.Router;
import io.jvs.dataplane.l3.RouterCounters;
import io.jvs.dataplane.l3.RouterProxy;
import io.jvs.dataplane.nat.NatEntry;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.PacketPort;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The switch's L3 side as the control layer sees it: one gateway per bridge domain, the uplink, the host port,
 * published ports and the NAT table. Thread safe (serialised with the {@link Switch}'s own configuration calls);
 * every change is applied by the forwarding thread, where the {@link Router} runs, before the call returns: the
 * router's commands go through its {@link RouterProxy}, its ports through {@link RouterPorts}.
 * Invalid requests throw {@link IllegalArgumentException} and change nothing.
 * <p>
 * Router MACs are locally administered and derived from the interface's IPv4 address, {@code 02:42:A:B:C:D} for
 * A.B.C.D (Docker's scheme for container MACs; a gateway address is never a container's): they stay the same
 * across daemon restarts, so neighbours' ARP caches (containers' gateway entry, the uplink's next hop) stay valid.
 */
public final class Routing
{
    /** A published port range: host ports {@code hostFirst..hostLast} to {@code targetIp:targetFirst..}. */
    public record PublishedPort(int id, String protocol, int hostFirst, int hostLast, String targetIp, int targetFirst)
    {
    }

    /** The gateway of a bridge domain. */
    public record Gateway(int bridgeDomainId, String address, int prefixLength, boolean internal, String mac)
    {
    }

    /** The IPv6 gateway of a bridge domain: its address and its link-local one (fe80:: + EUI-64 of the MAC). */
    public record Ipv6Gateway(int bridgeDomainId, String address, int prefixLength, String linkLocal, String mac)
    {
    }

    /**
     * The router's IPv6 address on the host link by default ({@code jvs0}): a ULA of jvs's own (fd6a:7673 is
     * "jvs" in ASCII), /64. The host side takes {@link #DEFAULT_HOST_LINK_IPV6_HOST}.
     */
    public static final String DEFAULT_HOST_LINK_IPV6 = "fd6a:7673:0:1::2/64";
    public static final String DEFAULT_HOST_LINK_IPV6_HOST = "fd6a:7673:0:1::1/64";

    private static final long MAC_PREFIX = 0x0242_0000_0000L;
    private static final long IPV4_MASK = 0xFFFF_FFFFL;

    /** The switch's configuration lock: a gateway's leg and the router's leg are made under one hold of it. */
    private final Object lock;
    private final RouterPorts ports;
    private final RouterProxy router;
    private final Map<Integer, Gateway> gateways = new TreeMap<>();
    private final Map<Integer, Integer> legPorts = new TreeMap<>();
    /** The MAC of each leg: the IPv4 gateway's scheme, or for a leg made by an IPv6 gateway alone its own. */
    private final Map<Integer, Long> legMacs = new TreeMap<>();
    private final Map<Integer, Ipv6Gateway> ipv6Gateways = new TreeMap<>();
    private final Map<Integer, PublishedPort> publishedPorts = new TreeMap<>();
    private int nextRule = 1;
    private int uplinkPort;
    private String uplinkAddress;
    private int hostPort;
    private String hostAddress;
    private String hostIpv6Address;
    private String uplinkIpv6Address;

    Routing(final Object lock, final RouterPorts ports, final RouterProxy router)
    {
        this.lock = lock;
        this.ports = ports;
        this.router = router;
    }

    /** The MAC the router uses on a bridge domain's gateway. */
    public long gatewayMac(final int bridgeDomainId)
    {
        synchronized (lock)
        {
            final Long mac = legMacs.get(bridgeDomainId);
            if (null == mac)
            {
                throw new IllegalArgumentException("bridge domain " + bridgeDomainId + " has no gateway");
            }
            return mac;
        }
    }

    /** The MAC the router uses on an interface with IPv4 address {@code ip}. */
    public static long routerMac(final int ip)
    {
        return MAC_PREFIX | (ip & IPV4_MASK);
    }

    /**
     * Makes the router the bridge domain's gateway: answers ARP and ping for {@code address}, routes for the
     * subnet {@code address/prefixLength}. An {@code internal} network gets no route out (no NAT).
     */
    public void setGateway(final int bridgeDomainId, final String address, final int prefixLength,
        final boolean internal)
    {
        synchronized (lock)
        {
            final int ip = Ipv4Addresses.parse(address);
            checkPrefix(prefixLength);
            if (gateways.containsKey(bridgeDomainId))
            {
                throw new IllegalArgumentException("bridge domain " + bridgeDomainId + " already has a gateway");
            }
            final long mac = withLeg(bridgeDomainId, routerMac(ip),
                (legPort, legMac) -> router.addGateway(bridgeDomainId, legPort, legMac, ip, prefixLength, internal));
            gateways.put(bridgeDomainId,
                new Gateway(bridgeDomainId, address, prefixLength, internal, MacAddress.toString(mac)));
        }
    }

    /** Whether containers of the bridge domain may reach each other routed through its gateway ({@link Switch}). */
    void setInterContainer(final int bridgeDomainId, final boolean allowed)
    {
        router.setInterContainer(bridgeDomainId, allowed);
    }

    /** Removes the gateway; connections of its subnet go with it. */
    public void removeGateway(final int bridgeDomainId)
    {
        synchronized (lock)
        {
            if (!gateways.containsKey(bridgeDomainId))
            {
                throw new IllegalArgumentException("bridge domain " + bridgeDomainId + " has no gateway");
            }
            router.removeGateway(bridgeDomainId);
            gateways.remove(bridgeDomainId);
            removeLegIfUnused(bridgeDomainId);
        }
    }

    /** What a gateway of one family does with its domain's leg (control thread, under the lock). */
    @FunctionalInterface
    private interface LegUser
    {
        void use(int legPort, long mac);
    }

    /**
     * Runs {@code user} with the bridge domain's leg: the one it has (its other family's gateway's, same port and
     * MAC), else a new one with {@code newMac}, removed again if {@code user} fails. @return the leg's MAC.
     */
    private long withLeg(final int bridgeDomainId, final long newMac, final LegUser user)
    {
        final boolean newLeg = !legPorts.containsKey(bridgeDomainId);
        final long mac = newLeg ? newMac : legMacs.get(bridgeDomainId);
        final int legPort = newLeg ? ports.addLeg(bridgeDomainId, mac) : legPorts.get(bridgeDomainId);
        try
        {
            user.use(legPort, mac);
        }
        catch (final RuntimeException ex)
        {
            if (newLeg)
            {
                ports.remove(legPort);
            }
            throw ex;
        }
        legPorts.put(bridgeDomainId, legPort);
        legMacs.put(bridgeDomainId, mac);
        return mac;
    }

    /** Every gateway of the bridge domain (IPv4, IPv6) and so its leg: the domain is being removed ({@link Switch}). */
    void removeGateways(final int bridgeDomainId)
    {
        synchronized (lock)
        {
            if (ipv6Gateways.containsKey(bridgeDomainId))
            {
                removeIpv6Gateway(bridgeDomainId);
            }
            if (gateways.containsKey(bridgeDomainId))
            {
                removeGateway(bridgeDomainId);
            }
        }
    }

    /** The leg goes with the last gateway (IPv4 or IPv6) of its bridge domain. */
    private void removeLegIfUnused(final int bridgeDomainId)
    {
        if (!gateways.containsKey(bridgeDomainId) && !ipv6Gateways.containsKey(bridgeDomainId))
        {
            ports.remove(legPorts.remove(bridgeDomainId));
            legMacs.remove(bridgeDomainId);
        }
    }

    /**
     * Makes the router the bridge domain's IPv6 gateway: answers neighbour solicitations and ping for
     * {@code address} and for its link-local address (fe80:: + EUI-64 of the gateway MAC), routes the prefix
     * {@code address/prefixLength} to and from the host link. A domain with an IPv4 gateway keeps its leg and MAC;
     * an IPv6-only one gets a leg with MAC 02:42 + the address's last 32 bits.
     */
    public void setIpv6Gateway(final int bridgeDomainId, final String address, final int prefixLength)
    {
        synchronized (lock)
        {
            final byte[] bytes = Ipv6Addresses.parse(address);
            if (prefixLength < 1 || prefixLength > 128)
            {
                throw new IllegalArgumentException("IPv6 prefix length " + prefixLength + " not in [1, 128]");
            }
            if (ipv6Gateways.containsKey(bridgeDomainId))
            {
                throw new IllegalArgumentException("bridge domain " + bridgeDomainId + " already has an IPv6 gateway");
            }
            final long high = Ipv6Addresses.high(bytes);
            final long low = Ipv6Addresses.low(bytes);
            final long mac = withLeg(bridgeDomainId, routerMac((int)low),
                (legPort, legMac) -> router.addIpv6Gateway(bridgeDomainId, legPort, legMac, high, low, prefixLength));
            ipv6Gateways.put(bridgeDomainId, new Ipv6Gateway(bridgeDomainId, Ipv6Addresses.format(high, low),
                prefixLength, Ipv6Addresses.linkLocal(mac), MacAddress.toString(mac)));
        }
    }

    /** Removes the IPv6 gateway; the leg stays while the IPv4 gateway does. */
    public void removeIpv6Gateway(final int bridgeDomainId)
    {
        synchronized (lock)
        {
            if (!ipv6Gateways.containsKey(bridgeDomainId))
            {
                throw new IllegalArgumentException("bridge domain " + bridgeDomainId + " has no IPv6 gateway");
            }
            router.removeIpv6Gateway(bridgeDomainId);
            ipv6Gateways.remove(bridgeDomainId);
            removeLegIfUnused(bridgeDomainId);
        }
    }

    public List<Ipv6Gateway> ipv6Gateways()
    {
        synchronized (lock)
        {
            return new ArrayList<>(ipv6Gateways.values());
        }
    }

    public List<Gateway> gateways()
    {
        synchronized (lock)
        {
            return new ArrayList<>(gateways.values());
        }
    }

    /**
     * Attaches the uplink; the switch owns (and closes) {@code io}.
     *
     * @param addressCidr the address jvs answers on the uplink and masquerades to, e.g. "192.0.2.10/24".
     * @param gateway     next hop for destinations outside that subnet, or null for none.
     * @return the uplink's port id.
     */
    public int setUplink(final PacketPort io, final String addressCidr, final String gateway)
    {
        synchronized (lock)
        {
            if (uplinkPort != 0)
            {
                throw new IllegalArgumentException("an uplink is already attached (port " + uplinkPort + ")");
            }
            final int ip = Ipv4Addresses.parse(address(addressCidr));
            final int prefix = prefix(addressCidr);
            final int gw = null == gateway || gateway.isBlank() ? 0 : Ipv4Addresses.parse(gateway);
            final int mtu = deviceMtu(io.name());
            final int port = ports.addRouted(io);
            final long mac = routerMac(ip);
            try
            {
                router.setUplink(port, mac, ip, prefix, gw, mtu);
            }
            catch (final RuntimeException ex)
            {
                ports.remove(port);
                throw ex;
            }
            uplinkPort = port;
            uplinkAddress = addressCidr;
            return port;
        }
    }

    public void removeUplink()
    {
        synchronized (lock)
        {
            if (uplinkPort == 0)
            {
                throw new IllegalArgumentException("no uplink");
            }
            router.clearUplink();
            ports.remove(uplinkPort);
            uplinkPort = 0;
            uplinkAddress = null;
            uplinkIpv6Address = null;
        }
    }

    /**
     * Gives the uplink an IPv6 address (the uplink must be attached): the networks' IPv6 traffic to the outside is
     * masqueraded to it (NAT66, Docker's default with ip6tables); the router answers neighbour discovery and ping on
     * it.
     *
     * @param addressCidr e.g. "2001:db8:77::2/64".
     * @param gateway     next hop for destinations off that prefix, or null for none.
     */
    public void setUplinkIpv6(final String addressCidr, final String gateway)
    {
        synchronized (lock)
        {
            if (uplinkPort == 0)
            {
                throw new IllegalArgumentException("no uplink");
            }
            if (null != uplinkIpv6Address)
            {
                throw new IllegalArgumentException("the uplink has IPv6 already: " + uplinkIpv6Address);
            }
            final byte[] bytes = Ipv6Addresses.parse(address(addressCidr));
            final int prefix = ipv6Prefix(addressCidr);
            final byte[] gw = null == gateway || gateway.isBlank() ? new byte[Ipv6Addresses.LENGTH] :
                Ipv6Addresses.parse(gateway);
            router.setUplinkIpv6(Ipv6Addresses.high(bytes), Ipv6Addresses.low(bytes), prefix, Ipv6Addresses.high(gw),
                Ipv6Addresses.low(gw));
            uplinkIpv6Address = addressCidr;
        }
    }

    public void removeUplinkIpv6()
    {
        synchronized (lock)
        {
            if (null == uplinkIpv6Address)
            {
                throw new IllegalArgumentException("the uplink has no IPv6");
            }
            router.clearUplinkIpv6();
            uplinkIpv6Address = null;
        }
    }

    /** "addr/n" of the uplink's IPv6 address, or null. */
    public String uplinkIpv6Address()
    {
        synchronized (lock)
        {
            return uplinkIpv6Address;
        }
    }

    /** IPv6 connections masqueraded to the uplink (NAT66). */
    public int ipv6Connections()
    {
        return router.ipv6Connections();
    }

    /**
     * Sets the uplink's egress MTU (read from the device when the uplink is attached): larger packets get ICMP
     * "fragmentation needed" (DF) or are dropped.
     */
    public void setUplinkMtu(final int mtu)
    {
        synchronized (lock)
        {
            if (uplinkPort == 0)
            {
                throw new IllegalArgumentException("no uplink");
            }
            router.setMtu(Router.UPLINK, mtu);
        }
    }

    /**
     * Sets the egress MTU of a bridge domain's gateway (default {@link Router#DEFAULT_MTU}), for both families: larger
     * packets get fragmentation needed (IPv4 with DF) or packet too big (IPv6). Below 1280 IPv6 cannot work (RFC 8200).
     */
    public void setGatewayMtu(final int bridgeDomainId, final int mtu)
    {
        synchronized (lock)
        {
            if (!legPorts.containsKey(bridgeDomainId)) // an IPv4 or an IPv6 gateway: the link is the same
            {
                throw new IllegalArgumentException("bridge domain " + bridgeDomainId + " has no gateway");
            }
            router.setMtu(bridgeDomainId, mtu);
        }
    }

    /** The MTU of a network device in this namespace, {@link Router#DEFAULT_MTU} if there is none by that name. */
    static int deviceMtu(final String name)
    {
        final Path path = Path.of("/sys/class/net", name, "mtu");
        if (name.isEmpty() || name.contains("/") || !Files.isReadable(path))
        {
            return Router.DEFAULT_MTU;
        }
        try
        {
            return Integer.parseInt(Files.readString(path).trim());
        }
        catch (final IOException | NumberFormatException ex)
        {
            throw new IllegalArgumentException("cannot read the MTU of " + name + ": " + ex.getMessage(), ex);
        }
    }

    /** "a.b.c.d/n" of the uplink, or null. */
    public String uplinkAddress()
    {
        synchronized (lock)
        {
            return uplinkAddress;
        }
    }

    /**
     * Attaches the host port (a TAP in the host namespace); the switch owns {@code io}. The router answers
     * {@code routerAddressCidr} on it; the host routes each network's subnet via that address.
     *
     * @return the host port's id.
     */
    public int setHostPort(final PacketPort io, final String routerAddressCidr)
    {
        synchronized (lock)
        {
            if (hostPort != 0)
            {
                throw new IllegalArgumentException("a host port is already attached (port " + hostPort + ")");
            }
            final int ip = Ipv4Addresses.parse(address(routerAddressCidr));
            final int prefix = prefix(routerAddressCidr);
            final int mtu = deviceMtu(io.name());
            final int port = ports.addRouted(io);
            final long mac = routerMac(ip);
            try
            {
                router.setHost(port, mac, ip, prefix, mtu);
            }
            catch (final RuntimeException ex)
            {
                ports.remove(port);
                throw ex;
            }
            hostPort = port;
            hostAddress = routerAddressCidr;
            return port;
        }
    }

    public void removeHostPort()
    {
        synchronized (lock)
        {
            if (hostPort == 0)
            {
                throw new IllegalArgumentException("no host port");
            }
            router.clearHost();
            ports.remove(hostPort);
            hostPort = 0;
            hostAddress = null;
            hostIpv6Address = null;
        }
    }

    /**
     * Gives the router an IPv6 address on the host link (the host port must be attached): the host routes each
     * network's IPv6 prefix via it ({@link #DEFAULT_HOST_LINK_IPV6} by default in the daemon).
     *
     * @param routerAddressCidr e.g. "fd6a:7673:0:1::2/64".
     */
    public void setHostPortIpv6(final String routerAddressCidr)
    {
        synchronized (lock)
        {
            if (hostPort == 0)
            {
                throw new IllegalArgumentException("no host port");
            }
            if (null != hostIpv6Address)
            {
                throw new IllegalArgumentException("the host port has IPv6 already: " + hostIpv6Address);
            }
            final byte[] bytes = Ipv6Addresses.parse(address(routerAddressCidr));
            final int prefix = ipv6Prefix(routerAddressCidr);
            router.setHostIpv6(Ipv6Addresses.high(bytes), Ipv6Addresses.low(bytes), prefix);
            hostIpv6Address = routerAddressCidr;
        }
    }

    public void removeHostPortIpv6()
    {
        synchronized (lock)
        {
            if (null == hostIpv6Address)
            {
                throw new IllegalArgumentException("the host port has no IPv6");
            }
            router.clearHostIpv6();
            hostIpv6Address = null;
        }
    }

    /** The router's IPv6 address on the host link ("addr/n"), or null. */
    public String hostPortIpv6Address()
    {
        synchronized (lock)
        {
            return hostIpv6Address;
        }
    }

    /** The router's address on the host link ("a.b.c.d/n"), or null. */
    public String hostPortAddress()
    {
        synchronized (lock)
        {
            return hostAddress;
        }
    }

    /**
     * Publishes {@code hostFirst..hostLast} (TCP or UDP) on the uplink address and the router's host-link address
     * to {@code targetIp:targetFirst..}.
     *
     * @return the rule id, for {@link #unpublish}.
     */
    public int publish(final String protocol, final int hostFirst, final int hostLast, final String targetIp,
        final int targetFirst)
    {
        synchronized (lock)
        {
            final int proto = protocol(protocol);
            final int ip = Ipv4Addresses.parse(targetIp);
            final int rule = nextRule;
            router.publish(rule, proto, hostFirst, hostLast, ip, targetFirst);
            nextRule++;
            publishedPorts.put(rule, new PublishedPort(rule, protocol.toLowerCase(), hostFirst, hostLast, targetIp,
                targetFirst));
            return rule;
        }
    }

    /** Revokes a published range; its connections are removed at once. @return connections removed. */
    public int unpublish(final int ruleId)
    {
        synchronized (lock)
        {
            final PublishedPort rule = publishedPorts.get(ruleId);
            if (null == rule)
            {
                throw new IllegalArgumentException("no published port rule " + ruleId);
            }
            final int proto = protocol(rule.protocol());
            final int removed = router.unpublish(proto, rule.hostFirst(), rule.hostLast());
            publishedPorts.remove(ruleId);
            return removed;
        }
    }

    public List<PublishedPort> publishedPorts()
    {
        synchronized (lock)
        {
            return new ArrayList<>(publishedPorts.values());
        }
    }

    /** Counters of the router's ports: gateway legs ("gw-NETWORK", bridge domain id set), uplink and host port. */
    public List<PortStats> portStats()
    {
        return ports.stats();
    }

    /** Live translations. */
    public List<NatEntry> natTable()
    {
        synchronized (lock)
        {
            return router.natSnapshot();
        }
    }

    /** The router's ARP cache. */
    public List<String> neighbours()
    {
        synchronized (lock)
        {
            return router.neighbours();
        }
    }

    /** Router and NAT counters by label (see {@link io.jvs.dataplane.l3.RouterCounter}). */
    public Map<String, Long> counters()
    {
        return router.counters().snapshot();
    }

    public RouterCounters routerCounters()
    {
        return router.counters();
    }

    private static int protocol(final String protocol)
    {
        if ("tcp".equalsIgnoreCase(protocol))
        {
            return Ipv4Header.PROTOCOL_TCP;
        }
        if ("udp".equalsIgnoreCase(protocol))
        {
            return Ipv4Header.PROTOCOL_UDP;
        }
        throw new IllegalArgumentException("protocol must be tcp or udp: " + protocol);
    }

    private static void checkPrefix(final int prefixLength)
    {
        if (prefixLength < 1 || prefixLength > 32)
        {
            throw new IllegalArgumentException("prefix length " + prefixLength + " not in [1, 32]");
        }
    }

    private static int ipv6Prefix(final String cidr)
    {
        try
        {
            final int prefix = Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1));
            if (prefix < 1 || prefix > 128)
            {
                throw new IllegalArgumentException("IPv6 prefix length " + prefix + " not in [1, 128]");
            }
            return prefix;
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("bad prefix length in " + cidr);
        }
    }

    private static String address(final String cidr)
    {
        final int slash = null == cidr ? -1 : cidr.indexOf('/');
        if (slash < 0)
        {
            throw new IllegalArgumentException("expected ADDRESS/PREFIX, got " + cidr);
        }
        return cidr.substring(0, slash);
    }

    private static int prefix(final String cidr)
    {
        final int prefix;
        try
        {
            prefix = Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("bad prefix length in " + cidr);
        }
        checkPrefix(prefix);
        return prefix;
    }
}
