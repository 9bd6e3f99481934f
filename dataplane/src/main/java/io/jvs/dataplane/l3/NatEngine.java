package io.jvs.dataplane.l3;

import io.jvs.dataplane.nat.ConnState;
import io.jvs.dataplane.nat.ConnTable;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.nat.NatEntry;
import io.jvs.dataplane.nat.PortAllocator;
import io.jvs.dataplane.nat.PublishedPorts;
import io.jvs.dataplane.parse.FrameParser;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.TcpHeader;

import java.util.ArrayList;
import java.util.List;

/**
 * The NAT's connections: source NAT (masquerade) to the uplink address, destination NAT of published ports
 * (hairpin from a leg: both), connection state and timeouts, and where a tracked packet goes
 * ({@link #route}). Rewriting the packet is {@link NatTranslator}'s job. Forwarding thread only; no allocation
 * per packet (configuration and snapshots may allocate).
 */
final class NatEngine
{
    /** {@link #dnat}: the port is not published (the caller counts the miss). */
    static final int NOT_PUBLISHED = -2;

    private final NatConfig config;
    private final RouterCounters counters;
    private final FrameParser parser;
    private final Interfaces interfaces;
    private final ConnTable conns;
    private final PortAllocator allocator;
    private final PublishedPorts published = new PublishedPorts();
    private final ConnTable.ExpiredHandler onExpired = this::onExpired;
    private final NatTuple reverse = new NatTuple();

    NatEngine(final NatConfig config, final RouterCounters counters, final FrameParser parser,
        final Interfaces interfaces)
    {
        this.config = config;
        this.counters = counters;
        this.parser = parser;
        this.interfaces = interfaces;
        this.conns = new ConnTable(config.capacity(), config.accounting());
        this.allocator = new PortAllocator(config.portMin(), config.portMax());
    }

    ConnTable conns()
    {
        return conns;
    }

    /** The live connection of a handle looked up for a packet, or {@link ConnTable#NOT_FOUND}. */
    int live(final int handle, final long now)
    {
        if (handle != ConnTable.NOT_FOUND && conns.isExpired(handle >>> 1, now))
        {
            onExpired(handle >>> 1);
            conns.remove(handle >>> 1);
            counters.setConnections(conns.size());
            return ConnTable.NOT_FOUND;
        }
        return handle;
    }

    /** Timers: removes expired connections. @return connections removed. */
    int expire(final long now)
    {
        final int expired = conns.expire(now, onExpired);
        if (expired > 0)
        {
            counters.setConnections(conns.size());
        }
        return expired;
    }

    private void onExpired(final int record)
    {
        counters.increment(RouterCounter.NAT_EXPIRED);
    }

    /**
     * Loads the addresses and ports a packet of {@code handle}'s direction leaves with into {@link #reverse()}.
     *
     * @return the interface towards its new destination, or {@link Interfaces#NONE} (counted).
     */
    int route(final int handle)
    {
        reverse.loadReversed(conns, handle);
        final int egress = interfaces.egressFor(reverse.dst());
        if (egress < 0)
        {
            counters.increment(RouterCounter.DROP_NO_ROUTE);
        }
        return egress;
    }

    /** What the last {@link #route} loaded. */
    NatTuple reverse()
    {
        return reverse;
    }

    /** A new masqueraded connection from a leg to the outside. @return its handle, or NOT_FOUND (counted). */
    int snat(final int protocol, final int src, final int sport, final int dst, final int dport, final long now)
    {
        final int natIp = interfaces.ip(Interfaces.UPLINK);
        final int natPort = allocator.allocate(conns, published, protocol, dst, dport, natIp);
        if (natPort < 0)
        {
            counters.increment(RouterCounter.DROP_NAT_PORTS_EXHAUSTED);
            return ConnTable.NOT_FOUND;
        }
        return add(protocol, src, sport, dst, dport, dst, natIp, dport, natPort, ConnState.FLAG_SNAT, now);
    }

    /**
     * A new connection to a published port, from {@code fromLeg} a container (hairpin, source-NATed too).
     *
     * @return its handle, {@link #NOT_PUBLISHED}, or NOT_FOUND if dropped (counted).
     */
    int dnat(final boolean fromLeg, final int protocol, final int src, final int sport, final int dst,
        final int dport, final long now)
    {
        final int pi = PublishedPorts.index(protocol);
        if (pi < 0 || !published.isPublished(pi, dport))
        {
            return NOT_PUBLISHED;
        }
        final int targetIp = published.targetIp(pi, dport);
        final int targetPort = published.targetPort(pi, dport);
        int replyDstIp = src;
        int replyDstPort = sport;
        int flags = ConnState.FLAG_DNAT;
        if (fromLeg)
        {
            // Hairpin: without SNAT the container would answer the client directly and the client would drop it.
            replyDstIp = dst;
            replyDstPort = allocator.allocate(conns, published, protocol, targetIp, targetPort, dst);
            flags |= ConnState.FLAG_SNAT;
            if (replyDstPort < 0)
            {
                counters.increment(RouterCounter.DROP_NAT_PORTS_EXHAUSTED);
                return ConnTable.NOT_FOUND;
            }
        }
        else if (conns.find(protocol, targetIp, targetPort, replyDstIp, replyDstPort) != ConnTable.NOT_FOUND)
        {
            // Two host ports published to one container port, same client endpoint: the replies would be ambiguous.
            counters.increment(RouterCounter.DROP_NAT_PORTS_EXHAUSTED);
            return ConnTable.NOT_FOUND;
        }
        return add(protocol, src, sport, dst, dport, targetIp, replyDstIp, targetPort, replyDstPort, flags, now);
    }

    /** The original tuple and the reply's (replySrc:replySport -> replyDst:replyDport). */
    private int add(final int protocol, final int src, final int sport, final int dst, final int dport,
        final int replySrc, final int replyDst, final int replySport, final int replyDport, final int flags,
        final long now)
    {
        final int record = conns.add(
            ConnTable.keyA(src, dst), ConnTable.keyB(protocol, sport, dport),
            ConnTable.keyA(replySrc, replyDst), ConnTable.keyB(protocol, replySport, replyDport),
            now, initialState(protocol), flags);
        if (record == ConnTable.NOT_FOUND)
        {
            counters.increment(RouterCounter.DROP_NAT_TABLE_FULL);
            return ConnTable.NOT_FOUND;
        }
        counters.increment(RouterCounter.NAT_CREATED);
        counters.setConnections(conns.size());
        return record << 1;
    }

    private int initialState(final int protocol)
    {
        switch (protocol)
        {
            case Ipv4Header.PROTOCOL_TCP:
                final int flags = parser.tcp().flags();
                return (flags & (TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK)) == TcpHeader.FLAG_SYN ?
                    ConnState.TCP_SYN_SENT : ConnState.TCP_ESTABLISHED; // loose pick-up of a flow seen mid-way
            case Ipv4Header.PROTOCOL_UDP:
                return ConnState.UDP_UNREPLIED;
            default:
                return ConnState.ICMP_ECHO;
        }
    }

    /** A packet of {@code handle}'s direction was translated: counted, state and deadline moved on. */
    void translated(final int handle, final int protocol, final long now)
    {
        conns.countPacket(handle);
        track(handle >>> 1, handle & 1, protocol, now);
    }

    /** Connection state and deadline after a packet in {@code direction}. */
    private void track(final int record, final int direction, final int protocol, final long now)
    {
        int state = conns.state(record);
        int flags = conns.flags(record);
        final long timeout;
        if (protocol == Ipv4Header.PROTOCOL_TCP)
        {
            final int tcp = parser.tcp().flags();
            if ((tcp & TcpHeader.FLAG_RST) != 0)
            {
                state = ConnState.TCP_CLOSE;
            }
            else
            {
                if ((tcp & TcpHeader.FLAG_SYN) != 0)
                {
                    if ((tcp & TcpHeader.FLAG_ACK) != 0)
                    {
                        if (direction == 1 && state == ConnState.TCP_SYN_SENT)
                        {
                            state = ConnState.TCP_SYN_RECV;
                        }
                    }
                    else if (direction == 0 && (state == ConnState.TCP_TIME_WAIT || state == ConnState.TCP_CLOSE))
                    {
                        state = ConnState.TCP_SYN_SENT; // port reuse after close
                        flags &= ~(ConnState.FLAG_FIN_ORIGINAL | ConnState.FLAG_FIN_REPLY);
                    }
                }
                else if ((tcp & TcpHeader.FLAG_ACK) != 0 && direction == 0 && state == ConnState.TCP_SYN_RECV)
                {
                    state = ConnState.TCP_ESTABLISHED;
                }
                if ((tcp & TcpHeader.FLAG_FIN) != 0)
                {
                    flags |= direction == 0 ? ConnState.FLAG_FIN_ORIGINAL : ConnState.FLAG_FIN_REPLY;
                    final int both = ConnState.FLAG_FIN_ORIGINAL | ConnState.FLAG_FIN_REPLY;
                    state = (flags & both) == both ? ConnState.TCP_TIME_WAIT : ConnState.TCP_FIN_WAIT;
                }
            }
            switch (state)
            {
                case ConnState.TCP_SYN_SENT, ConnState.TCP_SYN_RECV -> timeout = config.tcpSynNanos();
                case ConnState.TCP_ESTABLISHED -> timeout = config.tcpEstablishedNanos();
                case ConnState.TCP_CLOSE -> timeout = config.tcpCloseNanos();
                default -> timeout = config.tcpClosingNanos();
            }
        }
        else if (protocol == Ipv4Header.PROTOCOL_UDP)
        {
            if (direction == 1)
            {
                state = ConnState.UDP_REPLIED;
            }
            timeout = state == ConnState.UDP_REPLIED ? config.udpStreamNanos() : config.udpNanos();
        }
        else
        {
            timeout = config.icmpNanos();
        }
        conns.update(record, state, flags, now + timeout);
    }

    // ------------------------------------------------------------------------------------------------ configuration

    /** Publishes ports; nothing changes if one is taken. */
    void publish(final int rule, final int protocol, final int hostFirst, final int hostLast, final int targetIp,
        final int targetFirst)
    {
        final int pi = PublishedPorts.index(protocol);
        if (pi < 0)
        {
            throw new IllegalArgumentException("only TCP and UDP ports can be published, not protocol " + protocol);
        }
        published.add(rule, pi, hostFirst, hostLast, targetIp, targetFirst);
    }

    /** Revokes published ports and removes the connections they created. @return connections removed. */
    int unpublish(final int protocol, final int hostFirst, final int hostLast)
    {
        final int pi = PublishedPorts.index(protocol);
        published.remove(pi, hostFirst, hostLast);
        return removeConnections((record) ->
        {
            if ((conns.flags(record) & ConnState.FLAG_DNAT) == 0)
            {
                return false;
            }
            final long b = conns.tupleB(record, 0);
            final int port = ConnTable.destinationPort(b);
            return ConnTable.protocol(b) == protocol && port >= hostFirst && port <= hostLast;
        });
    }

    /** A leg's subnet is gone: connections from it (either direction). */
    void removeSubnet(final int net, final int mask)
    {
        removeConnections((record) ->
            (ConnTable.sourceIp(conns.tupleA(record, 0)) & mask) == net ||
            (ConnTable.sourceIp(conns.tupleA(record, 1)) & mask) == net);
    }

    /** The uplink address is gone: connections translated to or from it. */
    void removeUplinkAddress(final int ip)
    {
        removeConnections((record) -> ConnTable.destinationIp(conns.tupleA(record, 1)) == ip ||
            ConnTable.destinationIp(conns.tupleA(record, 0)) == ip);
    }

    /** The host link is gone: connections from its subnet or to its address. */
    void removeHostLink(final int ip, final int mask)
    {
        removeConnections((record) -> (ConnTable.sourceIp(conns.tupleA(record, 0)) & mask) == (ip & mask) ||
            ConnTable.destinationIp(conns.tupleA(record, 0)) == ip);
    }

    @FunctionalInterface
    private interface RecordFilter
    {
        boolean test(int record);
    }

    private int removeConnections(final RecordFilter filter)
    {
        int removed = 0;
        for (int r = 0; r < conns.capacity(); r++)
        {
            if (conns.inUse(r) && filter.test(r))
            {
                conns.remove(r);
                removed++;
            }
        }
        counters.setConnections(conns.size());
        return removed;
    }

    /** The live translations (allocates). */
    List<NatEntry> snapshot(final long nowNanos)
    {
        final List<NatEntry> entries = new ArrayList<>(conns.size());
        for (int r = 0; r < conns.capacity(); r++)
        {
            if (!conns.inUse(r) || conns.isExpired(r, nowNanos))
            {
                continue;
            }
            final long b = conns.tupleB(r, 0);
            final int flags = conns.flags(r);
            final int protocol = ConnTable.protocol(b);
            final String kind = (flags & ConnState.FLAG_DNAT) != 0 ?
                ((flags & ConnState.FLAG_SNAT) != 0 ? "hairpin" : "dnat") : "snat";
            entries.add(new NatEntry(
                protocol == Ipv4Header.PROTOCOL_TCP ? "tcp" : protocol == Ipv4Header.PROTOCOL_UDP ? "udp" : "icmp",
                kind, ConnState.name(conns.state(r)),
                tuple(conns.tupleA(r, 0), b), tuple(conns.tupleA(r, 1), conns.tupleB(r, 1)),
                Math.max(0, conns.expiresInNanos(r, nowNanos) / 1_000_000_000L),
                conns.packets(r, 0), conns.packets(r, 1)));
        }
        return entries;
    }

    private static String tuple(final long a, final long b)
    {
        return Ipv4Addresses.format(ConnTable.sourceIp(a)) + ":" + ConnTable.sourcePort(b) + " -> " +
            Ipv4Addresses.format(ConnTable.destinationIp(a)) + ":" + ConnTable.destinationPort(b);
    }
}
