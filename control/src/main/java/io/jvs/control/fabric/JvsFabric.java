package io.jvs.control.fabric;

import io.jvs.control.publish.PublishScope;
import io.jvs.control.publish.LoopbackProxy;
import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.netns.IpTool;
import io.jvs.dataplane.BridgeDomainStats;
import io.jvs.dataplane.mac.MacEntry;
import io.jvs.dataplane.PortStats;
import io.jvs.dataplane.Routing;
import io.jvs.dataplane.Switch;
import io.jvs.dataplane.l3.Ipv6Addresses;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.nat.NatEntry;
import io.jvs.tap.PacketPort;
import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.RingConfig;
import io.jvs.tap.TapPort;
import io.jvs.tap.counters.CountersRegistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The jvs userspace switch: a network is a bridge domain, a port an AF_PACKET socket on the veth's host end.
 * With L3 (the default) each network's gateway is the switch's router; a TAP in the host namespace ("host port")
 * carries host <-> container traffic, with a host route per network subnet via the router; an optional uplink
 * (AF_PACKET on an outside interface) gives the networks NAT to the outside and published ports. No iptables.
 */
public final class JvsFabric implements Fabric
{
    /**
     * L3 settings.
     *
     * @param hostPort        TAP name in the host namespace, or null for no host port.
     * @param hostAddress     the host's address on it ("169.254.77.1/30"); the router takes the next address.
     * @param uplink          outside interface, or null for none.
     * @param uplinkAddress   address jvs answers on the uplink and masquerades to ("192.0.2.10/24").
     * @param uplinkGateway   next hop outside the uplink subnet, or null.
     * @param hostIpv6Address the host's IPv6 address on the host port ("fd6a:7673:0:1::1/64"); the router takes the
     *                        next address. Null: no IPv6 on the host link (the TAP's IPv6 stays off).
     */
    public record L3Config(String hostPort, String hostAddress, String uplink, String uplinkAddress,
        String uplinkGateway, NatConfig nat, String hostIpv6Address, String uplinkIpv6Address,
        String uplinkIpv6Gateway)
    {
        public static final String DEFAULT_HOST_PORT = "jvs0";
        public static final String DEFAULT_HOST_ADDRESS = "169.254.77.1/30";
        /** A ULA of jvs's own for the host link (fd6a:7673 is "jvs" in ASCII); the router is ::2. */
        public static final String DEFAULT_HOST_IPV6_ADDRESS = Routing.DEFAULT_HOST_LINK_IPV6_HOST;

        /**
         * Without IPv6 on the host link, as before IPv6 (callers that pick their own host address, e.g. tests next
         * to a running daemon, must not take the default IPv6 one either); {@link #withHostIpv6Address} adds it.
         */
        public L3Config(final String hostPort, final String hostAddress, final String uplink,
            final String uplinkAddress, final String uplinkGateway, final NatConfig nat)
        {
            this(hostPort, hostAddress, uplink, uplinkAddress, uplinkGateway, nat, null);
        }

        /** With the host link's IPv6 address; no IPv6 on the uplink. */
        public L3Config(final String hostPort, final String hostAddress, final String uplink,
            final String uplinkAddress, final String uplinkGateway, final NatConfig nat, final String hostIpv6Address)
        {
            this(hostPort, hostAddress, uplink, uplinkAddress, uplinkGateway, nat, hostIpv6Address, null, null);
        }

        public L3Config withHostIpv6Address(final String cidr)
        {
            return new L3Config(hostPort, hostAddress, uplink, uplinkAddress, uplinkGateway, nat, cidr,
                uplinkIpv6Address, uplinkIpv6Gateway);
        }

        /** IPv6 on the uplink: the address IPv6 is masqueraded to (NAT66) and the next hop beyond it (or null). */
        public L3Config withUplinkIpv6(final String cidr, final String gateway)
        {
            return new L3Config(hostPort, hostAddress, uplink, uplinkAddress, uplinkGateway, nat, hostIpv6Address,
                cidr, gateway);
        }

        public static L3Config defaults()
        {
            return new L3Config(DEFAULT_HOST_PORT, DEFAULT_HOST_ADDRESS, null, null, null, NatConfig.defaults(),
                DEFAULT_HOST_IPV6_ADDRESS);
        }

        /** No host port, no uplink: gateways only (tests running several daemons). */
        public static L3Config gatewaysOnly()
        {
            return new L3Config(null, null, null, null, null, NatConfig.defaults());
        }
    }

    private final Switch sw;
    private final Routing routing;
    private final IpTool ip;
    private final String hostPort;
    private final String routerHostIp;
    /** Rings of every container port's socket (--port-rx-slots). */
    private final RingConfig portRings;
    private final Map<Integer, String> routes = new HashMap<>();
    /** Each network's IPv6 prefix routed by the host via the router's IPv6 address on the host link. */
    private final Map<Integer, String> routes6 = new HashMap<>();
    /** The router's IPv6 address on the host link, or null (no host port, or no IPv6 on it). */
    private String routerHostIpv6;
    private final Map<String, String> summary = new LinkedHashMap<>();
    /** localhost:HOSTPORT for published TCP ports; only with a host port (the host's route to the networks). */
    private LoopbackProxy proxy;
    /**
     * Published-port rule id to the router's rule, for rules with DNAT; a loopback-only rule has none. The ids are
     * the fabric's own, so the proxy and the router can each hold a rule without the other.
     */
    private final Map<Integer, Integer> routerRules = new HashMap<>();
    private int nextRule = 1;

    private JvsFabric(
        final Switch sw, final IpTool ip, final String hostPort, final String routerHostIp, final RingConfig portRings)
    {
        this.sw = sw;
        this.portRings = portRings;
        this.routing = sw.routing();
        this.ip = ip;
        this.hostPort = hostPort;
        this.routerHostIp = routerHostIp;
    }

    @Override
    public RingConfig portRings()
    {
        return portRings;
    }

    public static JvsFabric start(final SwitchConfig config)
    {
        return start(config, L3Config.gatewaysOnly());
    }

    public static JvsFabric start(final SwitchConfig config, final L3Config l3)
    {
        return start(config, l3, config.portRings());
    }

    /**
     * With other rings for the container ports than {@code config}'s: measurements that need the same rings on two
     * versions, or many ports on a small host (docs/scale.md, the attach timings).
     */
    public static JvsFabric start(final SwitchConfig config, final L3Config l3, final RingConfig portRings)
    {
        final IpTool ip = new IpTool();
        final Switch sw = Switch.start(config, l3.nat());
        final LoopbackProxy[] proxy = new LoopbackProxy[1];
        try
        {
            String routerHostIp = null;
            String routerHostIpv6 = null;
            if (null != l3.hostPort())
            {
                final Cidr host = Cidr.parseLenient(l3.hostAddress());
                final int hostIp = Ipv4.parse(l3.hostAddress().substring(0, l3.hostAddress().indexOf('/')));
                final int routerIp = hostIp + 1;
                if (!host.contains(routerIp) || routerIp == host.broadcast())
                {
                    throw JvsException.invalid("host address " + l3.hostAddress() +
                        " leaves no room for the router's address (the next one) in its subnet");
                }
                final TapPort tap = TapPort.open(l3.hostPort());
                final boolean hostIpv6;
                try
                {
                    hostIpv6 = null != l3.hostIpv6Address() && HostLinkIpv6.enable(tap.name());
                    if (!hostIpv6)
                    {
                        ip.disableIpv6OnHost(tap.name());
                    }
                    ip.configureHostInterface(tap.name(), l3.hostAddress());
                }
                catch (final RuntimeException ex)
                {
                    tap.close();
                    throw ex;
                }
                routerHostIp = Ipv4.format(routerIp);
                sw.routing().setHostPort(tap, routerHostIp + "/" + host.prefix());
                routerHostIpv6 = !hostIpv6 ? null :
                    HostLinkIpv6.configure(ip, sw.routing(), tap.name(), l3.hostIpv6Address());
            }
            final JvsFabric fabric = new JvsFabric(sw, ip, l3.hostPort(), routerHostIp, portRings);
            fabric.routerHostIpv6 = routerHostIpv6;
            if (null != l3.hostPort())
            {
                proxy[0] = LoopbackProxy.start();
                fabric.proxy = proxy[0];
                fabric.summary.put("HostPort", l3.hostPort() + " " + l3.hostAddress() + " (router " + routerHostIp + ")" +
                    (null == routerHostIpv6 ? "" : ", " + l3.hostIpv6Address() + " (router " + routerHostIpv6 + ")"));
            }
            if (null != l3.uplink())
            {
                if (null == l3.uplinkAddress())
                {
                    throw JvsException.invalid("--uplink needs --uplink-address ADDRESS/PREFIX");
                }
                // One per host, on a NIC: TX slots that hold a GSO frame, as a macvlan parent's.
                final PacketPort uplink = PacketSocketPort.open(l3.uplink(), config.portRings().withLargeTxSlots());
                try
                {
                    sw.routing().setUplink(uplink, l3.uplinkAddress(), l3.uplinkGateway());
                }
                catch (final IllegalArgumentException ex)
                {
                    uplink.close();
                    throw JvsException.invalid(ex.getMessage());
                }
                if (null != l3.uplinkIpv6Address())
                {
                    try
                    {
                        sw.routing().setUplinkIpv6(l3.uplinkIpv6Address(), l3.uplinkIpv6Gateway());
                    }
                    catch (final IllegalArgumentException ex)
                    {
                        throw JvsException.invalid(ex.getMessage());
                    }
                }
                fabric.summary.put("Uplink", l3.uplink() + " " + l3.uplinkAddress() +
                    (null == l3.uplinkGateway() ? "" : " via " + l3.uplinkGateway()) +
                    (null == l3.uplinkIpv6Address() ? "" : ", " + l3.uplinkIpv6Address() +
                    (null == l3.uplinkIpv6Gateway() ? "" : " via " + l3.uplinkIpv6Gateway())));
                if (null != routerHostIp)
                {
                    // The host reaches published ports at the uplink address through the router, not the wire.
                    final String address = l3.uplinkAddress().substring(0, l3.uplinkAddress().indexOf('/')) + "/32";
                    ip.addHostRoute(address, routerHostIp, l3.hostPort());
                }
            }
            return fabric;
        }
        catch (final RuntimeException ex)
        {
            if (null != proxy[0])
            {
                proxy[0].close();
            }
            sw.close();
            throw ex;
        }
    }

    public int createNetwork(final String name)
    {
        return sw.createBridgeDomain(name);
    }

    public void setInterContainer(final int networkId, final boolean allowed)
    {
        sw.setInterContainer(networkId, allowed);
    }

    @Override
    public void securePort(final int portId, final String mac, final int ipv4, final long ipv6High,
        final long ipv6Low)
    {
        sw.securePort(portId, MacAddress.parse(mac), ipv4, ipv6High, ipv6Low);
    }

    public void setGateway(final int networkId, final int gateway, final int subnet, final int prefixLength,
        final boolean internal)
    {
        try
        {
            routing.setGateway(networkId, Ipv4.format(gateway), prefixLength, internal);
        }
        catch (final IllegalArgumentException ex)
        {
            throw JvsException.invalid(ex.getMessage());
        }
        if (null != routerHostIp)
        {
            final String cidr = Ipv4.format(subnet) + "/" + prefixLength;
            try
            {
                ip.addHostRoute(cidr, routerHostIp, hostPort);
            }
            catch (final RuntimeException ex)
            {
                routing.removeGateway(networkId);
                throw ex;
            }
            routes.put(networkId, cidr);
        }
    }

    public void removeNetwork(final int networkId)
    {
        sw.removeBridgeDomain(networkId); // takes the gateways along
        final String cidr = routes.remove(networkId);
        if (null != cidr)
        {
            ip.deleteHostRoute(cidr, hostPort);
        }
        final String cidr6 = routes6.remove(networkId);
        if (null != cidr6)
        {
            ip.deleteHostRoute(cidr6, hostPort);
        }
    }

    /**
     * The network's IPv6 gateway: the router answers neighbour discovery and ping for {@code gateway} (and its
     * link-local address) and routes the prefix to and from the host, which gets a route for it via the router.
     * (The {@link Fabric} method of the control side's IPv6 work is to call this.)
     */
    @Override
    public void setIpv6Gateway(final int networkId, final String gateway, final int prefixLength)
    {
        try
        {
            routing.setIpv6Gateway(networkId, gateway, prefixLength);
        }
        catch (final IllegalArgumentException ex)
        {
            throw JvsException.invalid(ex.getMessage());
        }
        if (null != routerHostIpv6)
        {
            final String cidr = HostLinkIpv6.prefix(gateway, prefixLength);
            try
            {
                ip.addHostRoute(cidr, routerHostIpv6, hostPort);
            }
            catch (final RuntimeException ex)
            {
                routing.removeIpv6Gateway(networkId);
                throw ex;
            }
            routes6.put(networkId, cidr);
        }
    }

    @Override
    public void removeIpv6Gateway(final int networkId)
    {
        try
        {
            routing.removeIpv6Gateway(networkId);
        }
        catch (final IllegalArgumentException ex)
        {
            throw JvsException.notFound(ex.getMessage());
        }
        final String cidr = routes6.remove(networkId);
        if (null != cidr)
        {
            ip.deleteHostRoute(cidr, hostPort);
        }
    }

    public int attach(final String hostInterface, final int networkId)
    {
        final PacketPort port = PacketSocketPort.open(hostInterface, portRings);
        try
        {
            return sw.addPort(port, networkId);
        }
        catch (final RuntimeException ex)
        {
            port.close(); // a refused addPort leaves the port ours to close
            throw ex;
        }
    }

    @Override
    public int attachPort(final PacketPort port, final int networkId)
    {
        return sw.addPort(port, networkId);
    }

    public void detach(final int portId)
    {
        sw.removePort(portId);
    }

    public PublishScope publishScope(final String hostIp)
    {
        final String uplink = routing.uplinkAddress();
        return PublishScope.of(hostIp, null == uplink ? null : uplink.substring(0, uplink.indexOf('/')),
            null != proxy);
    }

    public int publish(final String protocol, final PublishScope scope, final int hostFirst, final int hostLast,
        final int target, final int targetFirst)
    {
        final int rule = nextRule++;
        if (scope.routed())
        {
            try
            {
                routerRules.put(rule, routing.publish(protocol, hostFirst, hostLast, Ipv4.format(target),
                    targetFirst));
            }
            catch (final IllegalArgumentException ex)
            {
                throw JvsException.conflict(ex.getMessage());
            }
        }
        if (scope.loopback() && null != proxy)
        {
            try
            {
                if ("udp".equalsIgnoreCase(protocol))
                {
                    proxy.openUdp(rule, scope.loopbackAddresses(), hostFirst, hostLast, target, targetFirst);
                }
                else
                {
                    proxy.openTcp(rule, scope.loopbackAddresses(), hostFirst, hostLast, target, targetFirst);
                }
            }
            catch (final RuntimeException ex)
            {
                final Integer routerRule = routerRules.remove(rule);
                if (null != routerRule)
                {
                    routing.unpublish(routerRule);
                }
                throw ex;
            }
        }
        return rule;
    }

    public void unpublish(final int ruleId)
    {
        if (null != proxy)
        {
            proxy.close(ruleId);
        }
        final Integer routerRule = routerRules.remove(ruleId);
        if (null != routerRule)
        {
            routing.unpublish(routerRule);
        }
    }

    /** The localhost proxy for published TCP and UDP ports; null without a host port. */
    public LoopbackProxy loopbackProxy()
    {
        return proxy;
    }

    public List<NatEntry> natTable()
    {
        return routing.natTable();
    }

    public io.jvs.dataplane.LatencySnapshot latency()
    {
        return sw.latency();
    }

    public org.HdrHistogram.Histogram latencyHistogram()
    {
        return sw.latencyHistogram();
    }

    public Map<String, Long> routerCounters()
    {
        return routing.counters();
    }

    public Map<String, String> l3Summary()
    {
        return summary;
    }

    public CountersRegistry counters()
    {
        return sw.counters();
    }

    public List<PortStats> portStats()
    {
        return sw.portStats();
    }

    public List<BridgeDomainStats> networkStats()
    {
        return sw.bridgeDomainStats();
    }

    public List<MacEntry> macTable()
    {
        return sw.macTable();
    }

    /**
     * Stops the loopback proxy and the switch; the host port TAP goes with it, and the kernel drops its address and
     * routes.
     */
    public void close()
    {
        if (null != proxy)
        {
            proxy.close();
        }
        sw.close();
    }

    /**
     * IPv6 on the host port: the TAP's IPv6 switched on without DAD, router advertisements or autoconfiguration
     * (its address is static, and a router advertisement must never give the host a default route through jvs), the
     * host's address on it, the router's (the next one) given to the router.
     */
    private static final class HostLinkIpv6
    {
        private static final Path PROC_IPV6_CONF = Path.of("/proc/sys/net/ipv6/conf");

        private HostLinkIpv6()
        {
        }

        /** @return false if the kernel has no IPv6 (the host link stays IPv4 only). */
        static boolean enable(final String device)
        {
            final Path conf = PROC_IPV6_CONF.resolve(device);
            if (!Files.isDirectory(conf))
            {
                return false;
            }
            try
            {
                Files.writeString(conf.resolve("accept_dad"), "0");
                Files.writeString(conf.resolve("accept_ra"), "0");
                Files.writeString(conf.resolve("autoconf"), "0");
                Files.writeString(conf.resolve("disable_ipv6"), "0");
                return true;
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException("cannot enable IPv6 on " + device + ": " + ex.getMessage(), ex);
            }
        }

        /** @return the router's IPv6 address on the host link. */
        static String configure(final IpTool ip, final Routing routing, final String device, final String hostCidr)
        {
            final int slash = hostCidr.indexOf('/');
            final byte[] host;
            final int prefixLength;
            try
            {
                host = Ipv6Addresses.parse(slash < 0 ? hostCidr : hostCidr.substring(0, slash));
                prefixLength = Integer.parseInt(hostCidr.substring(slash + 1));
            }
            catch (final IllegalArgumentException | IndexOutOfBoundsException ex)
            {
                throw JvsException.invalid("host IPv6 address must be ADDRESS/PREFIX: " + hostCidr);
            }
            final long high = Ipv6Addresses.high(host);
            final long routerLow = Ipv6Addresses.low(host) + 1;
            if (prefixLength < 1 || prefixLength > 127 || routerLow == 0 ||
                ((routerLow ^ Ipv6Addresses.low(host)) & Ipv6Addresses.maskLow(prefixLength)) != 0)
            {
                throw JvsException.invalid("host IPv6 address " + hostCidr +
                    " leaves no room for the router's address (the next one) in its prefix");
            }
            final String router = Ipv6Addresses.format(high, routerLow);
            ip.configureHostInterface(device, hostCidr);
            try
            {
                routing.setHostPortIpv6(router + "/" + prefixLength);
            }
            catch (final IllegalArgumentException ex)
            {
                throw JvsException.invalid(ex.getMessage());
            }
            return router;
        }

        /** "prefix/length" of the network {@code address} is in. */
        static String prefix(final String address, final int prefixLength)
        {
            final byte[] bytes = Ipv6Addresses.parse(address);
            return Ipv6Addresses.format(Ipv6Addresses.high(bytes) & Ipv6Addresses.maskHigh(prefixLength),
                Ipv6Addresses.low(bytes) & Ipv6Addresses.maskLow(prefixLength)) + "/" + prefixLength;
        }
    }
}
