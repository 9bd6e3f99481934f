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
 * <p>
 * The common case (IPv4 without options) is three 8-byte loads (big-endian, so the hash is the same on any CPU):
 * <pre>
 *  IPv4 header  0        1     6/7        8     9       10         12        16        20          24
 *               +--------+-----+----------+-----+-------+----------+---------+---------+-----------+
 *               |ver/IHL | ... | frag off | TTL | proto | checksum | source  | dest    | L4 ports  |
 *               +--------+-----+----------+-----+-------+----------+---------+---------+-----------+
 *                \_______ word 0 ________/ \_ word a (TTL, checksum masked) _/ \_____ word b ______/
 * </pre>
 * mixed by a multiply per word and a 64-bit finalizer: the source and destination sit in different words with
 * different multipliers, so A->B and B->A get different ports, as with Linux's flow hash.
 */
public final class FlowHash
{
    private static final int PROTOCOL_SCTP = 132;
    private static final int IPV6_HEADER_LENGTH = 40;
    private static final int IPV6_NEXT_HEADER_OFFSET = 6;
    private static final int IPV6_SOURCE_OFFSET = 8;
    /** Word a is read at the TTL (offset 8): TTL, protocol, checksum, then the source address. */
    private static final int IPV4_WORD_A_OFFSET = Ipv4Header.TTL_OFFSET;
    /** Word b: the destination address, then (no options) the first four bytes of the L4 header. */
    private static final int IPV4_WORD_B_OFFSET = Ipv4Header.DESTINATION_OFFSET;
    /** Keeps the protocol byte and the source address of word a. */
    private static final long WORD_A_MASK = 0x00FF_0000_FFFF_FFFFL;
    private static final long K1 = 0x9E37_79B9_7F4A_7C15L;
    private static final long K2 = 0xC2B2_AE3D_27D4_EB4FL;
    private static final long K3 = 0xFF51_AFD7_ED55_8CCDL;

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
            final long word0 = buffer.getLong(l3, ByteOrder.BIG_ENDIAN);
            final long a = buffer.getLong(l3 + IPV4_WORD_A_OFFSET, ByteOrder.BIG_ENDIAN) & WORD_A_MASK;
            final int ihl = (int)(word0 >>> 56 & 0x0F) * 4;
            final int fragment = (int)word0 & (Ipv4Header.FLAG_MORE_FRAGMENTS | Ipv4Header.FRAGMENT_OFFSET_MASK);
            final int protocol = (int)(a >>> 48);
            final boolean ports = fragment == 0 && hasPorts(protocol) && ihl >= Ipv4Header.MIN_HEADER_LENGTH &&
                l3 + ihl + 4 <= end;
            if (ports && ihl == Ipv4Header.MIN_HEADER_LENGTH)
            {
                return mix(a, buffer.getLong(l3 + IPV4_WORD_B_OFFSET, ByteOrder.BIG_ENDIAN)); // address + ports
            }
            final long destination = buffer.getInt(l3 + Ipv4Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
            final long l4 = ports ? buffer.getInt(l3 + ihl, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL : 0;
            return mix(a, destination << 32 | l4);
        }
        if (type == EthernetHeader.ETHERTYPE_IPV6 && l3 + IPV6_HEADER_LENGTH <= end)
        {
            final int next = buffer.getByte(l3 + IPV6_NEXT_HEADER_OFFSET) & 0xFF;
            final int source = l3 + IPV6_SOURCE_OFFSET;
            long a = buffer.getLong(source) * K1 + buffer.getLong(source + 8);
            long b = buffer.getLong(source + 16) * K1 + buffer.getLong(source + 24);
            b = b * K1 + next;
            if (hasPorts(next) && l3 + IPV6_HEADER_LENGTH + 4 <= end)
            {
                a = a * K1 + buffer.getInt(l3 + IPV6_HEADER_LENGTH);
            }
            return mix(a, b);
        }
        final long dst = MacAddress.read(buffer, frameOffset + EthernetHeader.DESTINATION_OFFSET);
        final long src = MacAddress.read(buffer, frameOffset + EthernetHeader.SOURCE_OFFSET);
        return mix(dst << 16 | type, src);
    }

    private static boolean hasPorts(final int protocol)
    {
        return protocol == Ipv4Header.PROTOCOL_TCP || protocol == Ipv4Header.PROTOCOL_UDP || protocol == PROTOCOL_SCTP;
    }

    /**
     * Multiply-add of the two words (order-dependent), then xor-shift and multiply (half of MurmurHash3's
     * fmix64) so every input bit reaches the high 32 bits, which are kept ({@link #scale} uses their top bits).
     */
    private static int mix(final long a, final long b)
    {
        long h = a * K1 + b * K2;
        h ^= h >>> 32;
        h *= K3;
        return (int)(h >>> 32);
    }
}
