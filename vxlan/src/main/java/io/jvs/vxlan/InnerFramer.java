package io.jvs.vxlan;

import io.jvs.dataplane.l3.Checksum;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.ParseResult;
import io.jvs.dataplane.parse.TcpHeader;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Turns one frame as the switch offers it ({@code [virtio_net_hdr][Ethernet frame]}, possibly a 64 KB GSO frame
 * or one with a pending partial checksum) into plain Ethernet frames with every checksum complete, each written
 * where its {@link Sink} claims room for it (the underlay's TX ring slot, or the tunnel port's scratch buffer), at
 * {@link OuterHeaders#INNER_OFFSET} past the room's start so the sink can put the outer headers in front.
 * <p>
 * Why in software: an encapsulated frame leaves as one UDP datagram, so the receiver (a Linux vxlan device or a
 * NIC) can neither segment it nor finish a partial checksum for us, and AF_PACKET's virtio_net_hdr has no way to
 * ask the kernel for UDP-tunnel GSO. So:
 * <ul>
 *   <li>GSO_NONE: copied; a NEEDS_CSUM checksum is completed (sum from csum_start to the end, stored at
 *       csum_start + csum_offset, as skb_checksum_help does).</li>
 *   <li>GSO_TCPV4/TCPV6: split into segments of min(gso_size, inner MTU - IP header - TCP header) payload bytes;
 *       per segment: IPv4 Total Length, Identification (+1 per segment) and header checksum, or IPv6 Payload
 *       Length; TCP sequence number; FIN/PSH only on the last segment and CWR only on the first (as
 *       tcp_gso_segment); full TCP checksum with the pseudo-header. Smaller segments than gso_size are legal
 *       TCP: this also rescues containers whose MTU is larger than the overlay's.</li>
 *   <li>Other GSO types (UDP): refused as {@link TxDrop#UNSUPPORTED_GSO}.</li>
 * </ul>
 * Single-threaded (the port's TX thread); no allocation.
 */
public final class InnerFramer
{
    /** Gives room for each inner frame, then gets it finished. */
    public interface Sink
    {
        /**
         * Room for {@link OuterHeaders#INNER_OFFSET} + {@code innerLength} bytes.
         *
         * @return offset in {@link #target()} where the room starts, or -1: no room, this frame (segment) is dropped
         *         and counted by the sink, and the framer goes on with the next.
         */
        int claim(int innerLength);

        /** The buffer the last {@link #claim} points into. */
        MutableDirectBuffer target();

        /** The inner frame is complete at {@code base + INNER_OFFSET}; {@code base} is what claim returned. */
        void onInnerFrame(int base, int innerLength);
    }

    static final int IPV6_HEADER_LENGTH = 40;
    static final int IPV6_PAYLOAD_LENGTH_OFFSET = 4;
    static final int IPV6_NEXT_HEADER_OFFSET = 6;
    static final int IPV6_SOURCE_OFFSET = 8;
    static final int IPV6_DESTINATION_OFFSET = 24;
    static final int TCP_FLAG_CWR = 0x80;
    /** Ones'-complement zero written instead of 0 for a completed checksum (CSUM_MANGLED_0; UDP needs it). */
    static final int CHECKSUM_MANGLED_ZERO = 0xFFFF;

    private final int innerMtu;
    private final EthernetHeader ethernet = new EthernetHeader();
    private long segments;

    /** @param innerMtu largest inner L3 packet (IP header included) per frame. */
    public InnerFramer(final int innerMtu)
    {
        this.innerMtu = innerMtu;
    }

    /** Room a sink needs at most per frame: outer headers + Ethernet with two VLAN tags + inner MTU. */
    public static int scratchLength(final int innerMtu)
    {
        return OuterHeaders.INNER_OFFSET + EthernetHeader.HEADER_LENGTH +
            EthernetHeader.MAX_VLAN_TAGS * EthernetHeader.VLAN_TAG_LENGTH + innerMtu;
    }

    /** Segments produced by GSO splitting so far (not counting those the sink had no room for). */
    public long segments()
    {
        return segments;
    }

    /**
     * @param offset where the virtio_net_hdr starts; length covers it and the Ethernet frame.
     * @return null when every resulting frame went to the sink, else why the frame was dropped (nothing or only
     *         the segments before a fault went to the sink: the faults are detected before the first segment).
     */
    public TxDrop frame(final DirectBuffer src, final int offset, final int length, final Sink sink)
    {
        final int ethOffset = offset + VnetHeader.LENGTH;
        final int ethLength = length - VnetHeader.LENGTH;
        if (ethLength < EthernetHeader.HEADER_LENGTH || ethernet.wrap(src, ethOffset, ethLength) != ParseResult.OK)
        {
            return TxDrop.TOO_SHORT;
        }
        final long vnet = src.getLong(offset, ByteOrder.LITTLE_ENDIAN); // flags, gso type, ..., csum_start
        final int gsoType = (int)(vnet >>> 8) & 0xFF & ~VnetHeader.GSO_ECN;
        switch (gsoType)
        {
            case VnetHeader.GSO_NONE:
                return single(src, offset, (int)vnet & 0xFF, ethOffset, ethLength, sink);
            case VnetHeader.GSO_TCPV4:
                return segmentTcp(src, offset, ethOffset, ethLength, false, sink);
            case VnetHeader.GSO_TCPV6:
                return segmentTcp(src, offset, ethOffset, ethLength, true, sink);
            default:
                return TxDrop.UNSUPPORTED_GSO;
        }
    }

    private TxDrop single(
        final DirectBuffer src, final int offset, final int flags, final int ethOffset, final int ethLength,
        final Sink sink)
    {
        final int l2 = ethernet.headerLength();
        if (ethLength - l2 > innerMtu)
        {
            return TxDrop.INNER_TOO_LONG;
        }
        final boolean needsCsum = (flags & VnetHeader.FLAG_NEEDS_CSUM) != 0;
        final int start = u16le(src, offset + VnetHeader.CSUM_START_OFFSET);
        final int field = start + u16le(src, offset + VnetHeader.CSUM_OFFSET_OFFSET);
        if (needsCsum && (start < l2 || field + 2 > ethLength))
        {
            return TxDrop.BAD_OFFLOAD;
        }
        final int base = sink.claim(ethLength);
        if (base < 0)
        {
            return null; // the sink counted it
        }
        final MutableDirectBuffer out = sink.target();
        final int inner = base + OuterHeaders.INNER_OFFSET;
        out.putBytes(inner, src, ethOffset, ethLength);
        if (needsCsum)
        {
            // The field holds the pseudo-header sum already (CHECKSUM_PARTIAL convention): sum through the end.
            final int checksum = Checksum.finishNative(Checksum.sumNative(out, inner + start, ethLength - start));
            out.putShort(inner + field, (short)(checksum == 0 ? CHECKSUM_MANGLED_ZERO : checksum),
                ByteOrder.BIG_ENDIAN);
        }
        sink.onInnerFrame(base, ethLength);
        return null;
    }

    private TxDrop segmentTcp(
        final DirectBuffer src, final int offset, final int ethOffset, final int ethLength, final boolean ipv6,
        final Sink sink)
    {
        final int gsoSize = u16le(src, offset + VnetHeader.GSO_SIZE_OFFSET);
        final int end = ethOffset + ethLength;
        final int ip = ethOffset + ethernet.headerLength();
        final int ipHeaderLength;
        if (ipv6)
        {
            if (ethernet.etherType() != EthernetHeader.ETHERTYPE_IPV6 || ip + IPV6_HEADER_LENGTH > end)
            {
                return TxDrop.BAD_OFFLOAD;
            }
            if ((src.getByte(ip + IPV6_NEXT_HEADER_OFFSET) & 0xFF) != Ipv4Header.PROTOCOL_TCP)
            {
                return TxDrop.UNSUPPORTED_GSO; // extension headers
            }
            ipHeaderLength = IPV6_HEADER_LENGTH;
        }
        else
        {
            if (ethernet.etherType() != EthernetHeader.ETHERTYPE_IPV4 || ip + Ipv4Header.MIN_HEADER_LENGTH > end)
            {
                return TxDrop.BAD_OFFLOAD;
            }
            final int versionIhl = src.getByte(ip) & 0xFF;
            ipHeaderLength = (versionIhl & 0x0F) * 4;
            if ((versionIhl >>> 4) != Ipv4Header.VERSION || ipHeaderLength < Ipv4Header.MIN_HEADER_LENGTH ||
                (src.getByte(ip + Ipv4Header.PROTOCOL_OFFSET) & 0xFF) != Ipv4Header.PROTOCOL_TCP)
            {
                return TxDrop.BAD_OFFLOAD;
            }
        }
        final int tcp = ip + ipHeaderLength;
        if (tcp + TcpHeader.MIN_HEADER_LENGTH > end)
        {
            return TxDrop.BAD_OFFLOAD;
        }
        final int tcpHeaderLength = ((src.getByte(tcp + TcpHeader.DATA_OFFSET_OFFSET) & 0xFF) >>> 4) * 4;
        final int headersLength = tcp + tcpHeaderLength - ethOffset;
        final int payload = ethLength - headersLength;
        if (tcpHeaderLength < TcpHeader.MIN_HEADER_LENGTH || payload <= 0 || gsoSize == 0)
        {
            return TxDrop.BAD_OFFLOAD;
        }
        final int mss = Math.min(gsoSize, innerMtu - ipHeaderLength - tcpHeaderLength);
        if (mss <= 0)
        {
            return TxDrop.INNER_TOO_LONG;
        }

        final int ipRel = ip - ethOffset;
        final int tcpRel = tcp - ethOffset;
        final int sequence = src.getInt(tcp + TcpHeader.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final int tcpFlags = src.getByte(tcp + TcpHeader.FLAGS_OFFSET) & 0xFF;
        final int ipId = ipv6 ? 0 : src.getShort(ip + Ipv4Header.IDENTIFICATION_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int ipSource = ipv6 ? 0 : src.getInt(ip + Ipv4Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final int ipDestination = ipv6 ? 0 : src.getInt(ip + Ipv4Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);

        int index = 0;
        for (int position = 0; position < payload; position += mss, index++)
        {
            final int segment = Math.min(mss, payload - position);
            final boolean last = position + segment >= payload;
            final int base = sink.claim(headersLength + segment);
            if (base < 0)
            {
                continue; // the sink counted it; later segments may still fit
            }
            final MutableDirectBuffer out = sink.target();
            final int inner = base + OuterHeaders.INNER_OFFSET;
            final int outIp = inner + ipRel;
            final int outTcp = inner + tcpRel;
            out.putBytes(inner, src, ethOffset, headersLength);
            out.putBytes(inner + headersLength, src, ethOffset + headersLength + position, segment);
            final int tcpLength = tcpHeaderLength + segment;
            final long pseudo;
            if (ipv6)
            {
                out.putShort(outIp + IPV6_PAYLOAD_LENGTH_OFFSET, (short)tcpLength, ByteOrder.BIG_ENDIAN);
                pseudo = Checksum.ipv6PseudoHeader(
                    out, outIp + IPV6_SOURCE_OFFSET, outIp + IPV6_DESTINATION_OFFSET, Ipv4Header.PROTOCOL_TCP,
                    tcpLength);
            }
            else
            {
                out.putShort(outIp + Ipv4Header.TOTAL_LENGTH_OFFSET, (short)(ipHeaderLength + tcpLength),
                    ByteOrder.BIG_ENDIAN);
                out.putShort(outIp + Ipv4Header.IDENTIFICATION_OFFSET, (short)(ipId + index), ByteOrder.BIG_ENDIAN);
                out.putShort(outIp + Ipv4Header.CHECKSUM_OFFSET, (short)0);
                out.putShort(outIp + Ipv4Header.CHECKSUM_OFFSET,
                    (short)Checksum.compute(out, outIp, ipHeaderLength), ByteOrder.BIG_ENDIAN);
                pseudo = Checksum.ipv4PseudoHeader(ipSource, ipDestination, Ipv4Header.PROTOCOL_TCP, tcpLength);
            }
            out.putInt(outTcp + TcpHeader.SEQUENCE_OFFSET, sequence + position, ByteOrder.BIG_ENDIAN);
            int flags = tcpFlags;
            if (!last)
            {
                flags &= ~(TcpHeader.FLAG_FIN | TcpHeader.FLAG_PSH);
            }
            if (index > 0)
            {
                flags &= ~TCP_FLAG_CWR;
            }
            out.putByte(outTcp + TcpHeader.FLAGS_OFFSET, (byte)flags);
            out.putShort(outTcp + TcpHeader.CHECKSUM_OFFSET, (short)0);
            out.putShort(outTcp + TcpHeader.CHECKSUM_OFFSET,
                (short)Checksum.finishNative(pseudo + Checksum.sumNative(out, outTcp, tcpLength)),
                ByteOrder.BIG_ENDIAN);
            segments++;
            sink.onInnerFrame(base, headersLength + segment);
        }
        return null;
    }

    static int u16le(final DirectBuffer buffer, final int index)
    {
        return buffer.getShort(index, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
    }
}
