package io.jvs.dataplane.l3;

import io.jvs.dataplane.nat.Conn6Table;
import io.jvs.dataplane.nat.ConnState;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.parse.FrameParser;
import io.jvs.dataplane.parse.IcmpHeader;
import io.jvs.dataplane.parse.Ipv6Header;
import io.jvs.dataplane.parse.TcpHeader;
import io.jvs.dataplane.parse.UdpHeader;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Masquerade of IPv6 to the uplink (NAT66, Docker's default with ip6tables): a sandbox's TCP, UDP or ICMPv6 echo
 * leaves with the uplink's IPv6 address and a NAT port (echo: identifier), the replies are translated back. The
 * checksum of TCP, UDP and ICMPv6 covers the pseudo-header, so the 128-bit address change goes into it as eight
 * 16-bit word changes (RFC 1624), the port change too for a finished checksum, only the address for a
 * CHECKSUM_PARTIAL one. Connections in {@link Conn6Table}; ports as {@link io.jvs.dataplane.nat.PortAllocator} picks
 * them (round robin, a port is free towards a remote endpoint it is not used with). Forwarding thread only; no
 * allocation per packet. ICMPv6 errors from outside about a translated packet are translated back
 * ({@link #inboundError}). Not done: published ports; fragments are dropped.
 */
final class Nat66
{
    /** At most this many candidate ports are tried per new connection. */
    static final int MAX_PORT_PROBES = 4096;
    static final int EXPIRE_STEP = 4096;
    private static final int PROTOCOLS = 3;

    private final NatConfig config;
    private final FrameParser parser;
    private final RouterCounters counters;
    private final Conn6Table conns;
    private final int[] cursor = new int[PROTOCOLS];
    /** Reported by {@link #outbound}/{@link #inbound}: the 5-tuple read from the packet. */
    private int protocol;
    private int localPort;
    private int remotePort;

    Nat66(final NatConfig config, final FrameParser parser, final RouterCounters counters)
    {
        this.config = config;
        this.parser = parser;
        this.counters = counters;
        this.conns = new Conn6Table(config.capacity());
    }

    Conn6Table conns()
    {
        return conns;
    }

    int expire(final long now)
    {
        return conns.expire(now, EXPIRE_STEP);
    }

    /**
     * Reads the parsed packet's flow: TCP/UDP ports, or an echo request/reply's identifier (as the local port of a
     * request, the NAT port of a reply). @return false if NAT66 cannot translate it (counted).
     */
    private boolean flow(final MutableDirectBuffer buffer, final boolean outbound)
    {
        final int l4 = parser.l4Offset();
        if (parser.isFragment())
        {
            counters.increment(RouterCounter.DROP_NAT_FRAGMENT);
            return false;
        }
        if (parser.has(FrameParser.LAYER_TCP | FrameParser.LAYER_UDP))
        {
            protocol = parser.ipProtocol();
            final int portPair = buffer.getInt(l4, ByteOrder.BIG_ENDIAN);
            localPort = outbound ? portPair >>> 16 : portPair & 0xFFFF;
            remotePort = outbound ? portPair & 0xFFFF : portPair >>> 16;
            return true;
        }
        if (parser.has(FrameParser.LAYER_ICMP) &&
            parser.icmp().type() == (outbound ? Icmpv6.TYPE_ECHO_REQUEST : Icmpv6.TYPE_ECHO_REPLY))
        {
            protocol = Ipv6Header.NEXT_HEADER_ICMPV6;
            localPort = parser.icmp().identifier();
            remotePort = 0;
            return true;
        }
        counters.increment(RouterCounter.DROP_NAT_UNTRACKED);
        return false;
    }

    /**
     * A sandbox's packet to the outside: finds or makes its connection and rewrites the source to
     * {@code uplinkHigh:uplinkLow} and the NAT port. @return false if dropped (counted).
     */
    boolean outbound(final MutableDirectBuffer buffer, final int offset, final long uplinkHigh, final long uplinkLow,
        final long now)
    {
        if (!flow(buffer, true))
        {
            return false;
        }
        final int l3 = parser.l3Offset();
        final long srcHigh = buffer.getLong(l3 + Ipv6Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final long srcLow = buffer.getLong(l3 + Ipv6Header.SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN);
        final long dstHigh = buffer.getLong(l3 + Ipv6Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        final long dstLow = buffer.getLong(l3 + Ipv6Header.DESTINATION_OFFSET + 8, ByteOrder.BIG_ENDIAN);
        int handle = conns.findOutbound(protocol, srcHigh, srcLow, localPort, dstHigh, dstLow, remotePort);
        if (handle != Conn6Table.NOT_FOUND && !conns.isLive(handle, now))
        {
            conns.remove(handle);
            handle = Conn6Table.NOT_FOUND;
        }
        if (handle == Conn6Table.NOT_FOUND)
        {
            handle = create(srcHigh, srcLow, dstHigh, dstLow, now);
            if (handle == Conn6Table.NOT_FOUND)
            {
                return false;
            }
        }
        if (!rewrite(buffer, offset, l3 + Ipv6Header.SOURCE_OFFSET, srcHigh, srcLow, uplinkHigh, uplinkLow,
            conns.natPort(handle), true))
        {
            return false;
        }
        track(handle, buffer, true, now);
        return true;
    }

    /**
     * A packet from the outside to the uplink address: if it answers a connection, rewrites the destination back to
     * the sandbox. @return whether it was translated (else not ours: the caller decides).
     */
    boolean inbound(final MutableDirectBuffer buffer, final int offset, final long uplinkHigh, final long uplinkLow,
        final long now)
    {
        if (parser.isFragment() ||
            !(parser.has(FrameParser.LAYER_TCP | FrameParser.LAYER_UDP) ||
            (parser.has(FrameParser.LAYER_ICMP) && parser.icmp().type() == Icmpv6.TYPE_ECHO_REPLY)))
        {
            return false;
        }
        flow(buffer, false);
        final int l3 = parser.l3Offset();
        final long srcHigh = buffer.getLong(l3 + Ipv6Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final long srcLow = buffer.getLong(l3 + Ipv6Header.SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN);
        final int handle = conns.findInbound(protocol, srcHigh, srcLow, remotePort, localPort);
        if (handle == Conn6Table.NOT_FOUND || !conns.isLive(handle, now))
        {
            return false;
        }
        if (!rewrite(buffer, offset, l3 + Ipv6Header.DESTINATION_OFFSET, uplinkHigh, uplinkLow,
            conns.sandboxHigh(handle), conns.sandboxLow(handle), conns.sandboxPort(handle), false))
        {
            return true; // dropped, counted
        }
        track(handle, buffer, false, now);
        return true;
    }

    /**
     * An ICMPv6 error from the outside (a router on the way, or the remote end) about a masqueraded packet, sent to
     * the uplink address: translated back so the sandbox sees its own packet quoted. The quote must hold the inner
     * fixed header and the first 4 bytes of a TCP/UDP header or the echo identifier, with no extension headers.
     * Outer destination, quoted source address and port (identifier) are rewritten; the quoted L4 checksum is
     * updated if it is within the quote; the error's own checksum is computed again (errors are rare and short).
     *
     * @return whether it was translated (the outer destination is then the sandbox).
     */
    boolean inboundError(final MutableDirectBuffer buffer, final long uplinkHigh, final long uplinkLow)
    {
        final int l3 = parser.l3Offset();
        final int l4 = parser.l4Offset();
        final int quote = l4 + Icmpv6.ERROR_HEADER_LENGTH;
        final int available = parser.l4Length() - Icmpv6.ERROR_HEADER_LENGTH;
        if (parser.isFragment() || available < Ipv6Header.HEADER_LENGTH + IcmpHeader.HEADER_LENGTH)
        {
            return false;
        }
        final int innerProtocol = buffer.getByte(quote + Ipv6Header.NEXT_HEADER_OFFSET) & 0xFF;
        final int innerL4 = quote + Ipv6Header.HEADER_LENGTH;
        final int localAt;
        final int remotePortValue;
        final int checksumField;
        if (innerProtocol == Ipv6Header.NEXT_HEADER_TCP || innerProtocol == Ipv6Header.NEXT_HEADER_UDP)
        {
            localAt = innerL4 + TcpHeader.SOURCE_PORT_OFFSET;
            remotePortValue = buffer.getShort(innerL4 + TcpHeader.DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            checksumField = innerProtocol == Ipv6Header.NEXT_HEADER_TCP ? TcpHeader.CHECKSUM_OFFSET :
                UdpHeader.CHECKSUM_OFFSET;
        }
        else if (innerProtocol == Ipv6Header.NEXT_HEADER_ICMPV6 &&
            (buffer.getByte(innerL4 + IcmpHeader.TYPE_OFFSET) & 0xFF) == Icmpv6.TYPE_ECHO_REQUEST)
        {
            localAt = innerL4 + IcmpHeader.IDENTIFIER_OFFSET;
            remotePortValue = 0;
            checksumField = IcmpHeader.CHECKSUM_OFFSET;
        }
        else
        {
            return false;
        }
        final int innerSource = quote + Ipv6Header.SOURCE_OFFSET;
        if (buffer.getLong(innerSource, ByteOrder.BIG_ENDIAN) != uplinkHigh ||
            buffer.getLong(innerSource + 8, ByteOrder.BIG_ENDIAN) != uplinkLow)
        {
            return false;
        }
        final int innerDestination = quote + Ipv6Header.DESTINATION_OFFSET;
        final int nport = buffer.getShort(localAt, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int handle = conns.findInbound(innerProtocol, buffer.getLong(innerDestination, ByteOrder.BIG_ENDIAN),
            buffer.getLong(innerDestination + 8, ByteOrder.BIG_ENDIAN), remotePortValue, nport);
        if (handle == Conn6Table.NOT_FOUND)
        {
            return false;
        }
        final long sandboxHigh = conns.sandboxHigh(handle);
        final long sandboxLow = conns.sandboxLow(handle);
        final int sandboxPort = conns.sandboxPort(handle);
        if (innerL4 + checksumField + 2 <= quote + available)
        {
            final int old = buffer.getShort(innerL4 + checksumField, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            buffer.putShort(innerL4 + checksumField, (short)(~Checksum.fold((~old & 0xFFFF) +
                change64(uplinkHigh, sandboxHigh) + change64(uplinkLow, sandboxLow) +
                Checksum.change16(nport, sandboxPort)) & 0xFFFF), ByteOrder.BIG_ENDIAN);
        }
        buffer.putLong(innerSource, sandboxHigh, ByteOrder.BIG_ENDIAN);
        buffer.putLong(innerSource + 8, sandboxLow, ByteOrder.BIG_ENDIAN);
        buffer.putShort(localAt, (short)sandboxPort, ByteOrder.BIG_ENDIAN);
        buffer.putLong(l3 + Ipv6Header.DESTINATION_OFFSET, sandboxHigh, ByteOrder.BIG_ENDIAN);
        buffer.putLong(l3 + Ipv6Header.DESTINATION_OFFSET + 8, sandboxLow, ByteOrder.BIG_ENDIAN);
        Ipv6Frames.icmpChecksum(buffer, l3, l4, parser.l4Length());
        counters.increment(RouterCounter.NAT_ICMP_ERRORS);
        return true;
    }

    private int create(final long srcHigh, final long srcLow, final long dstHigh, final long dstLow, final long now)
    {
        final int p = protocol == Ipv6Header.NEXT_HEADER_TCP ? 0 : protocol == Ipv6Header.NEXT_HEADER_UDP ? 1 : 2;
        final int span = config.portMax() - config.portMin() + 1;
        int candidate = cursor[p];
        for (int i = 0; i < Math.min(span, MAX_PORT_PROBES); i++)
        {
            final int port = config.portMin() + candidate;
            candidate = candidate + 1 == span ? 0 : candidate + 1;
            if (conns.findInbound(protocol, dstHigh, dstLow, remotePort, port) == Conn6Table.NOT_FOUND)
            {
                cursor[p] = candidate;
                final int handle = conns.add(protocol, srcHigh, srcLow, localPort, dstHigh, dstLow, remotePort, port,
                    initialState(), now + config.tcpSynNanos());
                if (handle == Conn6Table.NOT_FOUND)
                {
                    counters.increment(RouterCounter.DROP_NAT_TABLE_FULL);
                    return Conn6Table.NOT_FOUND;
                }
                counters.increment(RouterCounter.NAT_CREATED);
                return handle;
            }
        }
        counters.increment(RouterCounter.DROP_NAT_PORTS_EXHAUSTED);
        return Conn6Table.NOT_FOUND;
    }

    private int initialState()
    {
        return protocol == Ipv6Header.NEXT_HEADER_TCP ? ConnState.TCP_SYN_SENT :
            protocol == Ipv6Header.NEXT_HEADER_UDP ? ConnState.UDP_UNREPLIED : ConnState.ICMP_ECHO;
    }

    /** State and deadline after a packet (conntrack's timeouts, a small state machine: SYN, reply, FIN, RST). */
    private void track(final int handle, final MutableDirectBuffer buffer, final boolean outbound, final long now)
    {
        int state = conns.state(handle);
        final long timeout;
        if (protocol == Ipv6Header.NEXT_HEADER_TCP)
        {
            final int flags = buffer.getByte(parser.l4Offset() + TcpHeader.FLAGS_OFFSET) & 0xFF;
            if ((flags & TcpHeader.FLAG_RST) != 0)
            {
                state = ConnState.TCP_CLOSE;
            }
            else if ((flags & TcpHeader.FLAG_FIN) != 0)
            {
                state = ConnState.TCP_FIN_WAIT;
            }
            else if (state == ConnState.TCP_SYN_SENT && (!outbound || (flags & TcpHeader.FLAG_SYN) == 0))
            {
                state = ConnState.TCP_ESTABLISHED; // answered, or first seen mid-way
            }
            timeout = state == ConnState.TCP_CLOSE ? config.tcpCloseNanos() :
                state == ConnState.TCP_FIN_WAIT ? config.tcpClosingNanos() :
                state == ConnState.TCP_ESTABLISHED ? config.tcpEstablishedNanos() : config.tcpSynNanos();
        }
        else if (protocol == Ipv6Header.NEXT_HEADER_UDP)
        {
            if (!outbound)
            {
                state = ConnState.UDP_REPLIED;
            }
            timeout = state == ConnState.UDP_REPLIED ? config.udpStreamNanos() : config.udpNanos();
        }
        else
        {
            timeout = config.icmpNanos();
        }
        conns.update(handle, state, now + timeout);
        counters.add(RouterCounter.NAT_TRANSLATED, 1);
    }

    /**
     * Replaces the address at {@code at} and the local port (source port going out, destination port coming in;
     * the echo identifier either way) and updates the L4 checksum. @return false if dropped (counted).
     */
    private boolean rewrite(final MutableDirectBuffer buffer, final int offset, final int at, final long oldHigh,
        final long oldLow, final long newHigh, final long newLow, final int newPort, final boolean outbound)
    {
        final int l4 = parser.l4Offset();
        final boolean tcp = protocol == Ipv6Header.NEXT_HEADER_TCP;
        final boolean udp = protocol == Ipv6Header.NEXT_HEADER_UDP;
        final int field = tcp ? TcpHeader.CHECKSUM_OFFSET : udp ? UdpHeader.CHECKSUM_OFFSET : IcmpHeader.CHECKSUM_OFFSET;
        final int portAt = udp || tcp ?
            l4 + (outbound ? TcpHeader.SOURCE_PORT_OFFSET : TcpHeader.DESTINATION_PORT_OFFSET) :
            l4 + IcmpHeader.IDENTIFIER_OFFSET;
        final int oldPort = buffer.getShort(portAt, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final long addressChange = change64(oldHigh, newHigh) + change64(oldLow, newLow);
        final int checksum = buffer.getShort(l4 + field, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int updated;
        if ((buffer.getByte(offset + VnetHeader.FLAGS_OFFSET) & VnetHeader.FLAG_NEEDS_CSUM) != 0)
        {
            final int eth = offset + VnetHeader.LENGTH;
            final int start = buffer.getShort(offset + VnetHeader.CSUM_START_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            final int csumOffset = buffer.getShort(offset + VnetHeader.CSUM_OFFSET_OFFSET, ByteOrder.LITTLE_ENDIAN);
            if (start != l4 - eth || csumOffset != field)
            {
                counters.increment(RouterCounter.DROP_NAT_BAD_OFFLOAD);
                return false;
            }
            // The field holds the pseudo-header sum only: the address goes in, the port is summed by whoever finishes.
            updated = Checksum.fold((checksum & 0xFFFF) + addressChange);
        }
        else
        {
            final int sum = ~Checksum.fold((~checksum & 0xFFFF) + addressChange +
                Checksum.change16(oldPort, newPort)) & 0xFFFF;
            updated = udp && sum == 0 ? 0xFFFF : sum; // 0 means "no checksum", which IPv6 UDP may not send
        }
        buffer.putLong(at, newHigh, ByteOrder.BIG_ENDIAN);
        buffer.putLong(at + 8, newLow, ByteOrder.BIG_ENDIAN);
        buffer.putShort(portAt, (short)newPort, ByteOrder.BIG_ENDIAN);
        buffer.putShort(l4 + field, (short)updated, ByteOrder.BIG_ENDIAN);
        return true;
    }

    /** The words RFC 1624 adds for a 64-bit value changed (four 16-bit words). */
    private static long change64(final long oldValue, final long newValue)
    {
        return Checksum.change32((int)(oldValue >>> 32), (int)(newValue >>> 32)) +
            Checksum.change32((int)oldValue, (int)newValue);
    }
}
