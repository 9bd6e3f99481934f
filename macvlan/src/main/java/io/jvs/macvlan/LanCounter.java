package io.jvs.macvlan;

import io.jvs.tap.counters.Counter;

/**
 * Named counters of a {@link LanPort}: frames it dropped (toward the LAN or toward the containers) and LAN frames
 * it left alone because they are not for this network (the parent is promiscuous, so most LAN traffic is not).
 */
public enum LanCounter implements Counter
{
    // ---- toward the LAN (TX thread)
    /** Shorter than a virtio_net_hdr plus an Ethernet header. */
    TX_TOO_SHORT(Writer.TX),
    /** Source MAC is not one of the network's containers (e.g. the host port's own ARP): never leaks to the LAN. */
    TX_FOREIGN_SOURCE(Writer.TX),
    /** ipvlan l3: broadcast or multicast from a container (l3 sends no broadcast to the LAN). */
    TX_NO_BROADCAST(Writer.TX),
    /** ipvlan l3: unicast not addressed to the gateway MAC, or not IPv4. */
    TX_NOT_ROUTED(Writer.TX),
    /** ipvlan l3: no next hop on the LAN for the destination (no parent default route). */
    TX_NO_ROUTE(Writer.TX),
    /** ipvlan l3: next hop MAC not known yet; an ARP request went out (rate-limited) and the frame is dropped. */
    TX_NEIGHBOUR_UNRESOLVED(Writer.TX),
    /** Frame plus VLAN tag does not fit the scratch buffer / the parent's ring slot. */
    TX_TOO_LONG(Writer.TX),
    /** ARP replies for the gateway could not be queued. */
    TX_REPLY_QUEUE_FULL(Writer.TX),

    // ---- toward the containers (RX thread)
    /** Unicast LAN frame whose destination (MAC, or IPv4 address for ipvlan) is no container of the network. */
    RX_NOT_OURS(Writer.RX),
    /** LAN frame claiming a container's MAC as its source (a loop or a spoof): dropped so learning stays right. */
    RX_LOCAL_SOURCE(Writer.RX),
    /** ipvlan: neither ARP nor IPv4. */
    RX_NOT_IPV4(Writer.RX),
    /** Truncated ARP or IPv4 header. */
    RX_MALFORMED(Writer.RX),
    /** A frame for the network while its port is not attached to a switch (nothing receives from it). */
    RX_DETACHED(Writer.RX);

    private final int writer;

    LanCounter(final int writer)
    {
        this.writer = writer;
    }

    @Override
    public int writer()
    {
        return writer;
    }

    /** The TX thread's counters and the RX thread's are on different cache lines. */
    private static final class Writer
    {
        static final int TX = 0;
        static final int RX = 1;
    }
}
