package io.jvs.dataplane.l3;

import io.jvs.dataplane.engine.CommandQueue;
import io.jvs.dataplane.nat.NatEntry;

import java.util.List;

/**
 * The router's configuration commands as typed calls from the control thread. The router lives on the
 * forwarding thread: each call is queued on that agent's {@link CommandQueue}, applied there to the
 * {@link Router}, and returns once applied. Invalid requests throw {@link IllegalArgumentException} and change
 * nothing (see {@link CommandQueue#call}).
 */
public final class RouterProxy
{
    private final CommandQueue commands;
    private final Router router;

    /** @param forwardingCommands the command queue of the agent the router runs on. */
    public RouterProxy(final CommandQueue forwardingCommands, final Router router)
    {
        this.commands = forwardingCommands;
        this.router = router;
    }

    public RouterCounters counters()
    {
        return router.counters(); // written by the forwarding thread, readable from any
    }

    public void addGateway(final int bridgeDomainId, final int legPort, final long mac, final int ip,
        final int prefixLength, final boolean internal)
    {
        commands.run("gateway for bridge domain " + bridgeDomainId,
            () -> router.addLeg(bridgeDomainId, legPort, mac, ip, prefixLength, internal));
    }

    /** Whether the bridge domain's containers may reach each other routed through its gateway. */
    public void setInterContainer(final int bridgeDomainId, final boolean allowed)
    {
        commands.run("inter-container " + allowed + " through the gateway of bridge domain " + bridgeDomainId,
            () -> router.setInterContainer(bridgeDomainId, allowed));
    }

    public void removeGateway(final int bridgeDomainId)
    {
        commands.run("remove gateway of bridge domain " + bridgeDomainId, () -> router.removeLeg(bridgeDomainId));
    }

    public void addIpv6Gateway(final int bridgeDomainId, final int legPort, final long mac, final long high,
        final long low, final int prefixLength)
    {
        commands.run("IPv6 gateway for bridge domain " + bridgeDomainId,
            () -> router.addIpv6Leg(bridgeDomainId, legPort, mac, high, low, prefixLength));
    }

    public void removeIpv6Gateway(final int bridgeDomainId)
    {
        commands.run("remove IPv6 gateway of bridge domain " + bridgeDomainId,
            () -> router.removeIpv6Leg(bridgeDomainId));
    }

    public void setUplinkIpv6(final long high, final long low, final int prefixLength, final long gatewayHigh,
        final long gatewayLow)
    {
        commands.run("IPv6 on the uplink", () -> router.setUplinkIpv6(high, low, prefixLength, gatewayHigh,
            gatewayLow));
    }

    public void clearUplinkIpv6()
    {
        commands.run("remove IPv6 from the uplink", router::clearUplinkIpv6);
    }

    public int ipv6Connections()
    {
        return commands.call("IPv6 connections", router::ipv6Connections);
    }

    /** The router's IPv6 address on the host link. */
    public void setHostIpv6(final long high, final long low, final int prefixLength)
    {
        commands.run("IPv6 on the host port", () -> router.setHostIpv6(high, low, prefixLength));
    }

    public void clearHostIpv6()
    {
        commands.run("remove IPv6 from the host port", router::clearHostIpv6);
    }

    /** The uplink and its MTU, in one command. */
    public void setUplink(final int port, final long mac, final int ip, final int prefixLength, final int gateway,
        final int mtu)
    {
        commands.run("set uplink", () ->
        {
            router.setUplink(port, mac, ip, prefixLength, gateway);
            router.setMtu(Router.UPLINK, mtu);
        });
    }

    public void clearUplink()
    {
        commands.run("remove uplink", router::clearUplink);
    }

    /** The host port and its MTU, in one command. */
    public void setHost(final int port, final long mac, final int ip, final int prefixLength, final int mtu)
    {
        commands.run("set host port", () ->
        {
            router.setHost(port, mac, ip, prefixLength);
            router.setMtu(Router.HOST, mtu);
        });
    }

    public void clearHost()
    {
        commands.run("remove host port", router::clearHost);
    }

    /** @param iface {@link Router#UPLINK}, {@link Router#HOST} or a bridge domain id (its gateway). */
    public void setMtu(final int iface, final int mtu)
    {
        commands.run(iface == Router.UPLINK ? "uplink MTU" : "MTU of interface " + iface,
            () -> router.setMtu(iface, mtu));
    }

    public void publish(final int rule, final int protocol, final int hostFirst, final int hostLast,
        final int targetIp, final int targetFirst)
    {
        commands.run("publish " + protocol + " " + hostFirst + "-" + hostLast,
            () -> router.publish(rule, protocol, hostFirst, hostLast, targetIp, targetFirst));
    }

    /** @return connections removed with the published ports. */
    public int unpublish(final int protocol, final int hostFirst, final int hostLast)
    {
        return commands.call("unpublish " + protocol + " " + hostFirst + "-" + hostLast,
            () -> router.unpublish(protocol, hostFirst, hostLast));
    }

    /** The live translations as of when the command runs. */
    public List<NatEntry> natSnapshot()
    {
        return commands.call("NAT table", () -> router.snapshot(System.nanoTime()));
    }

    public List<String> neighbours()
    {
        return commands.call("neighbours", router::neighbourSnapshot);
    }
}
