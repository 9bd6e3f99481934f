package io.jvs.dataplane.l3;

import io.jvs.dataplane.nat.ConnTable;
import io.jvs.dataplane.parse.FrameParser;
import io.jvs.dataplane.parse.IcmpHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.TcpHeader;
import io.jvs.dataplane.parse.UdpHeader;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Rewrites packets of tracked connections in place: addresses, ports (the echo identifier for ICMP), the TTL
 * decrement of routing, and every checksum by RFC 1624 updates, aware of CHECKSUM_PARTIAL (virtio-net header).
 * ICMP errors about a tracked connection are translated back to the inner flow. Forwarding thread only; reads
 * the packet as {@link FrameParser} parsed it; no allocation.
 */
final class NatTranslator
{
    /** {@link #translateIcmpError}: not about a tracked connection, route it as an ordinary packet. */
    static final int NOT_TRACKED = -2;
    /** {@link #translateIcmpError}: dropped (counted). */
    static final int DROPPED = -1;
    /** An ICMP error quotes at least the inner IP header and 8 bytes of what follows (RFC 792). */
    private static final int QUOTED_L4_LENGTH = 8;
    private static final int SOURCE_PORT_OFFSET = 0;
    private static final int DESTINATION_PORT_OFFSET = 2;

    private final FrameParser parser;
    private final RouterCounters counters;
    private final NatEngine nat;

    NatTranslator(final FrameParser parser, final RouterCounters counters, final NatEngine nat)
    {
        this.parser = parser;
        this.counters = counters;
        this.nat = nat;
    }

    /**
     * Rewrites the parsed packet from (src:sport -> dst:dport) to {@code to}'s tuple and decrements its TTL (the
     * caller has admitted it: TTL > 1). Nothing has written to the packet since it was parsed.
     *
     * @return false if dropped (counted): a partial checksum not where the packet's own checksum field is.
     */
    boolean rewrite(final MutableDirectBuffer buffer, final int offset, final int protocol,
        final int src, final int sport, final int dst, final int dport, final NatTuple to)
    {
        // Split in small steps so that each inlines into the router's hot path (one 660-byte method did not).
        final int l4 = parser.l4Offset();
        final int checksumField = l4 + (protocol == Ipv4Header.PROTOCOL_TCP ? TcpHeader.CHECKSUM_OFFSET :
            protocol == Ipv4Header.PROTOCOL_UDP ? UdpHeader.CHECKSUM_OFFSET : IcmpHeader.CHECKSUM_OFFSET);
        final boolean partial = isPartial(buffer, offset);
        if (partial && !partialMatches(buffer, offset, l4, checksumField))
        {
            counters.increment(RouterCounter.DROP_NAT_BAD_OFFLOAD);
            return false;
        }

        // TTL, protocol and header checksum are one big-endian word: read as parsed (nothing has written to the
        // packet yet), written once with the new TTL.
        final int ttlWord = parser.ttlProtocolChecksum();
        final int oldL4Sum = buffer.getShort(checksumField, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int l4Sum;
        if (protocol == Ipv4Header.PROTOCOL_ICMP)
        {
            l4Sum = rewriteEchoIdentifier(buffer, l4, oldL4Sum, partial, sport, dport, to);
        }
        else
        {
            if (protocol == Ipv4Header.PROTOCOL_UDP && oldL4Sum == 0 && !partial)
            {
                l4Sum = 0; // no UDP checksum: none to update
            }
            else if (partial)
            {
                l4Sum = partialPseudoHeaderSum(oldL4Sum, src, dst, to);
            }
            else
            {
                l4Sum = fullL4Sum(oldL4Sum, protocol, src, sport, dst, dport, to);
            }
            buffer.putInt(l4, (to.sport() << 16) | to.dport(), ByteOrder.BIG_ENDIAN); // both ports
        }
        buffer.putShort(checksumField, (short)l4Sum, ByteOrder.BIG_ENDIAN);
        rewriteIpv4Header(buffer, parser.l3Offset(), ttlWord, src, dst, to.src(), to.dst());
        return true;
    }

    /** A partial checksum (CHECKSUM_PARTIAL) must start at this packet's L4 header and land in its own field. */
    private static boolean partialMatches(final MutableDirectBuffer buffer, final int offset, final int l4,
        final int checksumField)
    {
        final int eth = offset + VnetHeader.LENGTH;
        final int start = buffer.getShort(offset + VnetHeader.CSUM_START_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int at = buffer.getShort(offset + VnetHeader.CSUM_OFFSET_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        return eth + start == l4 && l4 + at == checksumField;
    }

    /** Echo: the identifier is the "port"; requests carry it as source, replies as destination. @return the sum. */
    private int rewriteEchoIdentifier(final MutableDirectBuffer buffer, final int l4, final int l4Sum,
        final boolean partial, final int sport, final int dport, final NatTuple to)
    {
        final boolean request = parser.icmp().type() == IcmpHeader.TYPE_ECHO_REQUEST;
        final int oldId = request ? sport : dport;
        final int newId = request ? to.sport() : to.dport();
        if (oldId == newId)
        {
            return l4Sum;
        }
        buffer.putShort(l4 + IcmpHeader.IDENTIFIER_OFFSET, (short)newId, ByteOrder.BIG_ENDIAN);
        // A partial ICMP sum covers no pseudo-header: the new id is summed when the checksum is finished.
        return partial ? l4Sum : Checksum.update16(l4Sum, oldId, newId);
    }

    /** Only the pseudo-header is in a partial sum's field; ports are summed when the checksum is finished. */
    private static int partialPseudoHeaderSum(final int l4Sum, final int src, final int dst, final NatTuple to)
    {
        int sum = l4Sum;
        if (src != to.src())
        {
            sum = Checksum.updatePartial32(sum, src, to.src());
        }
        if (dst != to.dst())
        {
            sum = Checksum.updatePartial32(sum, dst, to.dst());
        }
        return sum;
    }

    /** RFC 1624 eqn. 3 for all changed words at once, one fold: the same result as one update each. */
    private static int fullL4Sum(final int l4Sum, final int protocol, final int src, final int sport, final int dst,
        final int dport, final NatTuple to)
    {
        long sum = ~l4Sum & 0xFFFF;
        if (src != to.src())
        {
            sum += Checksum.change32(src, to.src());
        }
        if (dst != to.dst())
        {
            sum += Checksum.change32(dst, to.dst());
        }
        if (sport != to.sport())
        {
            sum += Checksum.change16(sport, to.sport());
        }
        if (dport != to.dport())
        {
            sum += Checksum.change16(dport, to.dport());
        }
        final int result = ~Checksum.fold(sum) & 0xFFFF;
        return protocol == Ipv4Header.PROTOCOL_UDP && result == 0 ? 0xFFFF : result; // 0 means "none" in UDP
    }

    /** The addresses and the TTL decrement of routing, with one header checksum update for all of them. */
    private static void rewriteIpv4Header(final MutableDirectBuffer buffer, final int l3, final int ttlWord,
        final int src, final int dst, final int newSrc, final int newDst)
    {
        final int ttlProtocol = ttlWord >>> 16;
        final int decremented = ttlProtocol - 0x100;
        long sum = (~ttlWord & 0xFFFF) + Checksum.change16(ttlProtocol, decremented);
        if (src != newSrc)
        {
            sum += Checksum.change32(src, newSrc);
        }
        if (dst != newDst)
        {
            sum += Checksum.change32(dst, newDst);
            buffer.putInt(l3 + Ipv4Header.DESTINATION_OFFSET, newDst, ByteOrder.BIG_ENDIAN);
        }
        final int newTtlWord = (decremented << 16) | (~Checksum.fold(sum) & 0xFFFF);
        if (src != newSrc) // the source address follows the checksum: both in one write
        {
            buffer.putLong(l3 + Ipv4Header.TTL_OFFSET, ((long)newTtlWord << 32) | (newSrc & 0xFFFF_FFFFL),
                ByteOrder.BIG_ENDIAN);
        }
        else
        {
            buffer.putInt(l3 + Ipv4Header.TTL_OFFSET, newTtlWord, ByteOrder.BIG_ENDIAN);
        }
    }

    private static boolean isPartial(final MutableDirectBuffer buffer, final int offset)
    {
        return (buffer.getByte(offset + VnetHeader.FLAGS_OFFSET) & VnetHeader.FLAG_NEEDS_CSUM) != 0;
    }

    /**
     * The parsed packet is an ICMP error from {@code src}; if its inner packet belongs to a tracked connection, the
     * inner packet went from the router towards the error's sender, so its reversed tuple is the key of packets
     * coming from that side. The error is translated like such a packet (outer destination, inner
     * source/destination, checksums); the caller routes it towards {@link NatEngine#reverse()}'s destination
     * (its TTL not yet decremented).
     *
     * @return the egress interface, {@link #NOT_TRACKED} or {@link #DROPPED}.
     */
    int translateIcmpError(final MutableDirectBuffer buffer, final int offset, final int src)
    {
        final IcmpHeader icmp = parser.icmp();
        final int inner = icmp.payloadOffset();
        final int available = icmp.payloadLength();
        if (available < Ipv4Header.MIN_HEADER_LENGTH)
        {
            counters.increment(RouterCounter.DROP_MALFORMED_ICMP);
            return DROPPED;
        }
        final int versionIhl = buffer.getByte(inner) & 0xFF;
        final int innerHeaderLength = (versionIhl & 0x0F) * 4;
        if ((versionIhl >>> 4) != Ipv4Header.VERSION || innerHeaderLength < Ipv4Header.MIN_HEADER_LENGTH ||
            available < innerHeaderLength + QUOTED_L4_LENGTH)
        {
            counters.increment(RouterCounter.DROP_MALFORMED_ICMP);
            return DROPPED;
        }
        final int innerProtocol = buffer.getByte(inner + Ipv4Header.PROTOCOL_OFFSET) & 0xFF;
        final int innerSrc = buffer.getInt(inner + Ipv4Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final int innerDst = buffer.getInt(inner + Ipv4Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        final int il4 = inner + innerHeaderLength;
        final int innerSport;
        final int innerDport;
        boolean innerEchoRequest = false;
        switch (innerProtocol)
        {
            case Ipv4Header.PROTOCOL_TCP, Ipv4Header.PROTOCOL_UDP ->
            {
                innerSport = buffer.getShort(il4 + SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                innerDport = buffer.getShort(il4 + DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            }
            case Ipv4Header.PROTOCOL_ICMP ->
            {
                final int type = buffer.getByte(il4) & 0xFF;
                final int id = buffer.getShort(il4 + IcmpHeader.IDENTIFIER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                if (type == IcmpHeader.TYPE_ECHO_REQUEST)
                {
                    innerSport = id;
                    innerDport = 0;
                    innerEchoRequest = true;
                }
                else if (type == IcmpHeader.TYPE_ECHO_REPLY)
                {
                    innerSport = 0;
                    innerDport = id;
                }
                else
                {
                    return NOT_TRACKED;
                }
            }
            default ->
            {
                return NOT_TRACKED;
            }
        }
        final int handle = nat.conns().find(innerProtocol, innerDst, innerDport, innerSrc, innerSport);
        if (handle == ConnTable.NOT_FOUND)
        {
            return NOT_TRACKED;
        }
        final int egress = nat.route(handle);
        if (egress < 0)
        {
            return DROPPED;
        }
        if (isPartial(buffer, offset))
        {
            counters.increment(RouterCounter.DROP_NAT_BAD_OFFLOAD);
            return DROPPED;
        }
        final NatTuple to = nat.reverse();
        final int newSrc = to.src();
        final int newDst = to.dst();
        final int newSport = to.sport();
        final int newDport = to.dport();

        // Inner packet: source becomes the original sender (newDst), destination the translated peer (newSrc).
        rewriteAddresses(buffer, inner, innerSrc, newDst, innerDst, newSrc);
        if (innerProtocol == Ipv4Header.PROTOCOL_ICMP)
        {
            final int newId = innerEchoRequest ? newDport : newSport;
            final int oldId = innerEchoRequest ? innerSport : innerDport;
            final int field = il4 + IcmpHeader.CHECKSUM_OFFSET;
            final int sum = buffer.getShort(field, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            buffer.putShort(field, (short)Checksum.update16(sum, oldId, newId), ByteOrder.BIG_ENDIAN);
            buffer.putShort(il4 + IcmpHeader.IDENTIFIER_OFFSET, (short)newId, ByteOrder.BIG_ENDIAN);
        }
        else
        {
            final int field = il4 + (innerProtocol == Ipv4Header.PROTOCOL_TCP ?
                TcpHeader.CHECKSUM_OFFSET : UdpHeader.CHECKSUM_OFFSET);
            if (field + 2 <= inner + available)
            {
                int sum = buffer.getShort(field, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                if (sum != 0 || innerProtocol == Ipv4Header.PROTOCOL_TCP)
                {
                    sum = Checksum.update32(sum, innerSrc, newDst);
                    sum = Checksum.update32(sum, innerDst, newSrc);
                    sum = Checksum.update16(sum, innerSport, newDport);
                    sum = Checksum.update16(sum, innerDport, newSport);
                    buffer.putShort(field, (short)sum, ByteOrder.BIG_ENDIAN);
                }
            }
            buffer.putShort(il4 + SOURCE_PORT_OFFSET, (short)newDport, ByteOrder.BIG_ENDIAN);
            buffer.putShort(il4 + DESTINATION_PORT_OFFSET, (short)newSport, ByteOrder.BIG_ENDIAN);
        }

        // Outer header: to the original sender; from the translated address if the peer itself complained.
        final int l3 = parser.l3Offset();
        final int dst = parser.ipv4().destination();
        final int outerSrc = src == innerDst ? newSrc : src;
        rewriteAddresses(buffer, l3, src, outerSrc, dst, newDst);

        // The ICMP checksum covers the rewritten inner packet: errors are rare and short, recompute it.
        final int l4 = parser.l4Offset();
        buffer.putShort(l4 + IcmpHeader.CHECKSUM_OFFSET, (short)0);
        buffer.putShort(l4 + IcmpHeader.CHECKSUM_OFFSET,
            (short)Checksum.compute(buffer, l4, parser.l4Length()), ByteOrder.BIG_ENDIAN);
        counters.increment(RouterCounter.NAT_ICMP_ERRORS);
        return egress;
    }

    /** Sets an IPv4 header's addresses, its header checksum updated (RFC 1624). */
    private static void rewriteAddresses(final MutableDirectBuffer buffer, final int l3, final int src,
        final int newSrc, final int dst, final int newDst)
    {
        int sum = buffer.getShort(l3 + Ipv4Header.CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        sum = Checksum.update32(sum, src, newSrc);
        sum = Checksum.update32(sum, dst, newDst);
        buffer.putInt(l3 + Ipv4Header.SOURCE_OFFSET, newSrc, ByteOrder.BIG_ENDIAN);
        buffer.putInt(l3 + Ipv4Header.DESTINATION_OFFSET, newDst, ByteOrder.BIG_ENDIAN);
        buffer.putShort(l3 + Ipv4Header.CHECKSUM_OFFSET, (short)sum, ByteOrder.BIG_ENDIAN);
    }
}
