package io.jvs.control.fabric;

import io.jvs.control.publish.PublishScope;
import io.jvs.dataplane.BridgeDomainStats;
import io.jvs.dataplane.mac.MacEntry;
import io.jvs.dataplane.PortStats;
import io.jvs.tap.PacketPort;
import io.jvs.tap.RingConfig;
import io.jvs.tap.counters.CountersRegistry;

import io.jvs.control.common.JvsException;
import io.jvs.dataplane.nat.NatEntry;

import java.util.List;
import java.util.Map;

/**
 * What the control plane needs from the forwarding layer: one isolated L2 segment per network and ports in them,
 * each port being the host end of a veth. {@link JvsFabric} is the real one (the jvs switch).
 */
public interface Fabric extends AutoCloseable
{
    /** @return id of the new segment (> 0). */
    int createNetwork(String name);

    void removeNetwork(int networkId);

    /** Attaches the (existing, up) host interface as a port. @return port id (> 0). */
    int attach(String hostInterface, int networkId);

    /**
     * The rings of the AF_PACKET sockets this fabric opens ({@code jvs daemon --port-rx-slots}); the sockets jvs
     * opens for it elsewhere (a macvlan network's parent and host port) are given the same RX ring (the parent, one
     * socket on a NIC for many ports, keeps TX slots that hold a GSO frame: {@link RingConfig#withLargeTxSlots()}).
     */
    default RingConfig portRings()
    {
        return RingConfig.defaults();
    }

    /**
     * Attaches a port jvs opened itself (an overlay's VXLAN tunnel port, a macvlan network's uplink on a shared
     * parent socket). On success the fabric owns the port and closes it on {@link #detach}; on failure the caller
     * still owns it. Only the jvs switch can.
     *
     * @return port id (> 0).
     */
    default int attachPort(final PacketPort port, final int networkId)
    {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot attach " + port);
    }

    /** Detaches a port; after this returns the interface is no longer used and may be deleted. */
    void detach(int portId);

    List<PortStats> portStats();

    List<BridgeDomainStats> networkStats();

    List<MacEntry> macTable();

    /**
     * Makes the fabric the network's gateway (ARP, ping, routing, NAT) for {@code gateway} in {@code subnet}; an
     * internal network gets no route out. A fabric without L3 (a plain kernel bridge) ignores it.
     */
    default void setGateway(final int networkId, final int gateway, final int subnet, final int prefixLength,
        final boolean internal)
    {
    }

    /**
     * Makes the fabric the network's IPv6 gateway for {@code address} (text, "2001:db8::1") in a prefix of
     * {@code prefixLength}: neighbour discovery for the address, routing off the network. A fabric without an IPv6
     * router does nothing: the gateway stays unanswered, and IPv6 works only between the network's own sandboxes.
     */
    default void setIpv6Gateway(final int networkId, final String address, final int prefixLength)
    {
    }

    /** Undoes {@link #setIpv6Gateway} before the network goes; nothing without an IPv6 router. */
    default void removeIpv6Gateway(final int networkId)
    {
    }

    /**
     * Whether the network's containers reach each other (Docker's {@code enable_icc}); off, they reach only the
     * gateway (and through it the outside and published ports). A fabric that cannot isolate them refuses off.
     */
    default void setInterContainer(final int networkId, final boolean allowed)
    {
        if (!allowed)
        {
            throw JvsException.invalid("this fabric cannot isolate containers (enable_icc=false)");
        }
    }

    /**
     * Port security: the port sends only from {@code mac}, {@code ipv4} and IPv6 {@code ipv6High:ipv6Low} (its
     * endpoint's; 0:0 without IPv6: link-local only); other frames are dropped and counted as spoofed. A fabric that
     * cannot enforce it refuses.
     */
    default void securePort(final int portId, final String mac, final int ipv4, final long ipv6High,
        final long ipv6Low)
    {
        throw JvsException.invalid("this fabric cannot enforce port security");
    }

    /**
     * Where a port published on {@code hostIp} ("" for everywhere) is reached; refused (invalid) for an address this
     * fabric does not serve. Checked before anything is published.
     */
    default PublishScope publishScope(final String hostIp)
    {
        throw JvsException.forbidden("this fabric cannot publish ports (no NAT)");
    }

    /**
     * Publishes {@code hostFirst..hostLast} ("tcp" or "udp") to {@code target:targetFirst..}, reached as
     * {@code scope} says. Refused (conflict) if a port is taken.
     *
     * @return a rule id for {@link #unpublish}.
     */
    default int publish(final String protocol, final PublishScope scope, final int hostFirst, final int hostLast,
        final int target, final int targetFirst)
    {
        throw JvsException.forbidden("this fabric cannot publish ports (no NAT)");
    }

    default void unpublish(final int ruleId)
    {
        throw JvsException.forbidden("this fabric cannot publish ports (no NAT)");
    }

    /** Live NAT translations; empty without NAT. */
    default List<NatEntry> natTable()
    {
        return List.of();
    }

    /** The switch's own RX-to-TX latency per frame since start; null where the fabric does not measure it. */
    default io.jvs.dataplane.LatencySnapshot latency()
    {
        return null;
    }

    /** A copy of the histogram behind {@link #latency()} (nanoseconds); null where the fabric does not measure it. */
    default org.HdrHistogram.Histogram latencyHistogram()
    {
        return null;
    }

    /**
     * Every counter of the instance, labelled: the switch's, the router's, and those the control plane registers
     * (the sandboxes' resolver, overlay and macvlan ports). {@code jvs stats} reads here.
     */
    CountersRegistry counters();

    /** Router/NAT counters by label; empty without L3. */
    default Map<String, Long> routerCounters()
    {
        return Map.of();
    }

    /** The uplink ("IFACE ADDRESS/PREFIX") and host port ("IFACE ADDRESS/PREFIX"), null where absent. */
    default Map<String, String> l3Summary()
    {
        return Map.of();
    }

    @Override
    void close();
}
