package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.FrameParser;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.UdpHeader;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Last checks before a routed packet leaves: TTL (RFC 1812 5.3.1), then the egress MTU; a GSO frame is measured
 * by the segments the kernel will cut it into. Packets too big without DF are dropped, not fragmented. Reads the
 * packet as {@link FrameParser} parsed it, before anything rewrote it.
 */
final class EgressAdmission
{
    private final FrameParser parser;
    private final Interfaces interfaces;
    private final RouterCounters counters;
    private final IcmpErrorSender icmpErrors;

    EgressAdmission(final FrameParser parser, final Interfaces interfaces, final RouterCounters counters,
        final IcmpErrorSender icmpErrors)
    {
        this.parser = parser;
        this.interfaces = interfaces;
        this.counters = counters;
        this.icmpErrors = icmpErrors;
    }

    /**
     * @param ingress where the packet came in: an ICMP error about it goes back there.
     * @return false if dropped (counted, with an ICMP error where one may be sent).
     */
    boolean admit(final int egress, final int ingress, final MutableDirectBuffer buffer, final int offset,
        final long now)
    {
        final int l3 = parser.l3Offset();
        if ((parser.ttlProtocolChecksum() >>> 24) <= 1) // no path writes the TTL before admitting the packet
        {
            counters.increment(RouterCounter.DROP_TTL);
            icmpErrors.send(ingress, buffer, offset, IcmpErrors.TYPE_TIME_EXCEEDED, IcmpErrors.CODE_TTL_EXCEEDED, 0,
                now);
            return false;
        }
        if (fits(egress, buffer, offset))
        {
            return true;
        }
        final int mtu = interfaces.mtu(egress);
        counters.increment(RouterCounter.DROP_TOO_BIG);
        if ((buffer.getShort(l3 + Ipv4Header.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) &
            Ipv4Header.FLAG_DONT_FRAGMENT) != 0)
        {
            icmpErrors.send(ingress, buffer, offset, IcmpErrors.TYPE_DEST_UNREACHABLE,
                IcmpErrors.CODE_FRAGMENTATION_NEEDED, mtu, now);
        }
        return false;
    }

    /**
     * Whether the parsed packet (IPv4 or IPv6) fits the egress MTU: its IP length, or for a GSO frame the length of
     * the segments the kernel will cut it into (Linux's skb_gso_validate_network_len).
     */
    boolean fits(final int egress, final MutableDirectBuffer buffer, final int offset)
    {
        final int mtu = interfaces.mtu(egress);
        return parser.l3Length() <= mtu || segmentLength(buffer, offset) <= mtu;
    }

    /** IP length of the packets the kernel cuts a GSO frame into; the whole IP length if not GSO. */
    private int segmentLength(final MutableDirectBuffer buffer, final int offset)
    {
        final int gsoType = buffer.getByte(offset + VnetHeader.GSO_TYPE_OFFSET) & ~VnetHeader.GSO_ECN & 0xFF;
        if (gsoType == VnetHeader.GSO_NONE || parser.l4Offset() < 0)
        {
            return parser.l3Length();
        }
        final int gsoSize = buffer.getShort(offset + VnetHeader.GSO_SIZE_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int l4Header = parser.has(FrameParser.LAYER_TCP) ? parser.tcp().headerLength() : UdpHeader.HEADER_LENGTH;
        return parser.l4Offset() - parser.l3Offset() + l4Header + gsoSize;
    }
}
