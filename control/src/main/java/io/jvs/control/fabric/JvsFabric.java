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
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.nat.NatEntry;
import io.jvs.tap.PacketPort;
import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.RingConfig;
import io.jvs.tap.TapPort;
import io.jvs.tap.counters.CountersRegistry;

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
     */
    public record L3Config(String hostPort, String hostAddress, String uplink, String uplinkAddress,
        String uplinkGateway, NatConfig nat)
    {
        public static final String DEFAULT_HOST_PORT = "jvs0";
        public static final String DEFAULT_HOST_ADDRESS = "169.254.77.1/30";

        public static L3Config defaults()
        {
            return new L3Config(DEFAULT_HOST_PORT, DEFAULT_HOST_ADDRESS, null, null, null, NatConfig.defaults());
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
                try
                {
                    ip.disableIpv6OnHost(tap.name());
                    ip.configureHostInterface(tap.name(), l3.hostAddress());
                }
                catch (final RuntimeException ex)
                {
                    tap.close();
                    throw ex;
                }
                routerHostIp = Ipv4.format(routerIp);
                sw.routing().setHostPort(tap, routerHostIp + "/" + host.prefix());
            }
            final JvsFabric fabric = new JvsFabric(sw, ip, l3.hostPort(), routerHostIp, portRings);
            if (null != l3.hostPort())
            {
                proxy[0] = LoopbackProxy.start();
                fabric.proxy = proxy[0];
                fabric.summary.put("HostPort", l3.hostPort() + " " + l3.hostAddress() + " (router " + routerHostIp + ")");
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
                fabric.summary.put("Uplink", l3.uplink() + " " + l3.uplinkAddress() +
                    (null == l3.uplinkGateway() ? "" : " via " + l3.uplinkGateway()));
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
    public void securePort(final int portId, final String mac, final int ipv4)
    {
        sw.securePort(portId, MacAddress.parse(mac), ipv4, 0, 0);
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
        sw.removeBridgeDomain(networkId); // takes the gateway along
        final String cidr = routes.remove(networkId);
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
                    proxy.openUdp(rule, hostFirst, hostLast, target, targetFirst);
                }
                else
                {
                    proxy.openTcp(rule, hostFirst, hostLast, target, targetFirst);
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
}
