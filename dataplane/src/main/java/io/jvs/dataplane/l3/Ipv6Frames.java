package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.IcmpHeader;
import io.jvs.dataplane.parse.Ipv6Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Writing the frames the router originates over IPv6 (neighbor discovery, echo replies, ICMPv6 errors) into its
 * scratch buffers: the layout is always {@code [vnet hdr (zeros)][Ethernet][IPv6 40][ICMPv6 ...]}.
 */
final class Ipv6Frames
{
    static final int ETHERNET_OFFSET = VnetHeader.LENGTH;
    static final int IP_OFFSET = ETHERNET_OFFSET + EthernetHeader.HEADER_LENGTH;
    static final int ICMP_OFFSET = IP_OFFSET + Ipv6Header.HEADER_LENGTH;
    public static final int ETHERTYPE_IPV6 = 0x86DD;
    private static final int VERSION_WORD = Ipv6Header.VERSION << 28;

    private Ipv6Frames()
    {
    }

    /** A zeroed vnet header, then the Ethernet header for IPv6 (the scratch frame's first {@link #IP_OFFSET}). */
    static void ethernet(final MutableDirectBuffer f, final long destination, final long source)
    {
        f.setMemory(0, VnetHeader.LENGTH, (byte)0);
        MacAddress.writePair(f, ETHERNET_OFFSET + EthernetHeader.DESTINATION_OFFSET, destination, source);
        f.putShort(ETHERNET_OFFSET + EthernetHeader.TYPE_OFFSET, (short)ETHERTYPE_IPV6, ByteOrder.BIG_ENDIAN);
    }

    /** The fixed IPv6 header at {@code l3}: traffic class and flow label 0, next header ICMPv6. */
    static void header(final MutableDirectBuffer f, final int l3, final int payloadLength, final int hopLimit,
        final long sourceHigh, final long sourceLow, final long destinationHigh, final long destinationLow)
    {
        f.putInt(l3 + Ipv6Header.VERSION_CLASS_FLOW_OFFSET, VERSION_WORD, ByteOrder.BIG_ENDIAN);
        f.putShort(l3 + Ipv6Header.PAYLOAD_LENGTH_OFFSET, (short)payloadLength, ByteOrder.BIG_ENDIAN);
        f.putByte(l3 + Ipv6Header.NEXT_HEADER_OFFSET, (byte)Ipv6Header.NEXT_HEADER_ICMPV6);
        f.putByte(l3 + Ipv6Header.HOP_LIMIT_OFFSET, (byte)hopLimit);
        address(f, l3 + Ipv6Header.SOURCE_OFFSET, sourceHigh, sourceLow);
        address(f, l3 + Ipv6Header.DESTINATION_OFFSET, destinationHigh, destinationLow);
    }

    static void address(final MutableDirectBuffer f, final int at, final long high, final long low)
    {
        f.putLong(at, high, ByteOrder.BIG_ENDIAN);
        f.putLong(at + 8, low, ByteOrder.BIG_ENDIAN);
    }

    /** A link-layer address option (source or target) at {@code at}. */
    static void linkLayerOption(final MutableDirectBuffer f, final int at, final int type, final long mac)
    {
        f.putByte(at + Icmpv6.OPTION_TYPE_OFFSET, (byte)type);
        f.putByte(at + Icmpv6.OPTION_LENGTH_OFFSET, (byte)(Icmpv6.LINK_LAYER_OPTION_LENGTH / Icmpv6.OPTION_UNIT));
        MacAddress.write(f, at + Icmpv6.LINK_LAYER_OPTION_ADDRESS_OFFSET, mac);
    }

    /**
     * Writes the ICMPv6 checksum of the message at {@code l4} ({@code length} bytes, upper-layer length for the
     * pseudo-header) under the IPv6 header at {@code l3}, whose addresses must be final.
     */
    static void icmpChecksum(final MutableDirectBuffer f, final int l3, final int l4, final int length)
    {
        f.putShort(l4 + IcmpHeader.CHECKSUM_OFFSET, (short)0);
        f.putShort(l4 + IcmpHeader.CHECKSUM_OFFSET, (short)icmpChecksumOf(f, l3, l4, length), ByteOrder.BIG_ENDIAN);
    }

    /**
     * The ICMPv6 checksum over the RFC 8200 8.1 pseudo-header and the message as it is: the field value to write
     * into a zeroed field, or 0 when the message's checksum verifies.
     */
    static int icmpChecksumOf(final DirectBuffer buffer, final int l3, final int l4, final int length)
    {
        return Checksum.finishNative(Checksum.ipv6PseudoHeader(buffer, l3 + Ipv6Header.SOURCE_OFFSET,
            l3 + Ipv6Header.DESTINATION_OFFSET, Ipv6Header.NEXT_HEADER_ICMPV6, length) +
            Checksum.sumNative(buffer, l4, length));
    }
}
