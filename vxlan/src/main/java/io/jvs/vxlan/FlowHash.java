package io.jvs.vxlan;

import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * The outer UDP source port for an inner frame, as RFC 7348 section 5 recommends and Linux does
 * (udp_flow_src_port): a hash of the inner flow, so that underlay ECMP and RSS spread flows while every packet of
 * one flow keeps one port (no reordering). Inner IPv4/IPv6 frames hash addresses, protocol and, for unfragmented
 * TCP/UDP/SCTP, the ports; anything else hashes the MAC addresses and EtherType. The hash is scaled into
 * [{@link OuterHeaders#SOURCE_PORT_MIN}, {@link OuterHeaders#SOURCE_PORT_MAX}) like Linux's default range.
 */
public final class FlowHash
{
    private static final int PROTOCOL_SCTP = 132;
    private static final int IPV6_HEADER_LENGTH = 40;
    private static final int IPV6_NEXT_HEADER_OFFSET = 6;
    private static final int IPV6_SOURCE_OFFSET = 8;

    private FlowHash()
    {
    }

    /** @param frameOffset where the inner Ethernet header starts; length its length. */
    public static int sourcePort(final DirectBuffer buffer, final int frameOffset, final int length)
    {
        return scale(hash(buffer, frameOffset, length));
    }

    static int scale(final int hash)
    {
        final long range = OuterHeaders.SOURCE_PORT_MAX - OuterHeaders.SOURCE_PORT_MIN;
        return OuterHeaders.SOURCE_PORT_MIN + (int)(((hash & 0xFFFF_FFFFL) * range) >>> 32);
    }

    static int hash(final DirectBuffer buffer, final int frameOffset, final int length)
    {
        if (length < EthernetHeader.HEADER_LENGTH)
        {
            return 0;
        }
        final int type = buffer.getShort(frameOffset + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int l3 = frameOffset + EthernetHeader.HEADER_LENGTH;
        final int end = frameOffset + length;
        if (type == EthernetHeader.ETHERTYPE_IPV4 && l3 + Ipv4Header.MIN_HEADER_LENGTH <= end)
        {
            final int ihl = (buffer.getByte(l3) & 0x0F) * 4;
            final int protocol = buffer.getByte(l3 + Ipv4Header.PROTOCOL_OFFSET) & 0xFF;
            int h = mix(buffer.getInt(l3 + Ipv4Header.SOURCE_OFFSET), buffer.getInt(l3 + Ipv4Header.DESTINATION_OFFSET));
            h = mix(h, protocol);
            final int fragment = buffer.getShort(l3 + Ipv4Header.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) &
                (Ipv4Header.FLAG_MORE_FRAGMENTS | Ipv4Header.FRAGMENT_OFFSET_MASK);
            if (fragment == 0 && hasPorts(protocol) && ihl >= Ipv4Header.MIN_HEADER_LENGTH && l3 + ihl + 4 <= end)
            {
                h = mix(h, buffer.getInt(l3 + ihl));
            }
            return fmix(h);
        }
        if (type == EthernetHeader.ETHERTYPE_IPV6 && l3 + IPV6_HEADER_LENGTH <= end)
        {
            final int next = buffer.getByte(l3 + IPV6_NEXT_HEADER_OFFSET) & 0xFF;
            int h = next;
            for (int i = 0; i < 32; i += 4)
            {
                h = mix(h, buffer.getInt(l3 + IPV6_SOURCE_OFFSET + i));
            }
            if (hasPorts(next) && l3 + IPV6_HEADER_LENGTH + 4 <= end)
            {
                h = mix(h, buffer.getInt(l3 + IPV6_HEADER_LENGTH));
            }
            return fmix(h);
        }
        final long dst = MacAddress.read(buffer, frameOffset + EthernetHeader.DESTINATION_OFFSET);
        final long src = MacAddress.read(buffer, frameOffset + EthernetHeader.SOURCE_OFFSET);
        int h = mix((int)dst, (int)(dst >>> 32));
        h = mix(h, (int)src);
        h = mix(h, (int)(src >>> 32));
        return fmix(mix(h, type));
    }

    private static boolean hasPorts(final int protocol)
    {
        return protocol == Ipv4Header.PROTOCOL_TCP || protocol == Ipv4Header.PROTOCOL_UDP || protocol == PROTOCOL_SCTP;
    }

    // MurmurHash3 steps: order-dependent so that A->B and B->A get different ports, as with Linux's flow hash.
    private static int mix(final int h, final int k)
    {
        int x = k * 0xCC9E2D51;
        x = Integer.rotateLeft(x, 15) * 0x1B873593;
        final int y = Integer.rotateLeft(h ^ x, 13);
        return y * 5 + 0xE6546B64;
    }

    private static int fmix(final int h)
    {
        int x = h ^ (h >>> 16);
        x *= 0x85EBCA6B;
        x ^= x >>> 13;
        x *= 0xC2B2AE35;
        return x ^ (x >>> 16);
    }
}
