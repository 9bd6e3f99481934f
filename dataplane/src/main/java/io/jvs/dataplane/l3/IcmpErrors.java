package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.IcmpHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * ICMP errors the router originates (RFC 792, RFC 1812 4.3.2): time exceeded and destination unreachable, built
 * into one reused scratch frame. Forwarding thread only; no allocation per error.
 * <pre>
 *   0          10             24              44             52                      52 + quote (<= 600)
 *   +----------+--------------+---------------+--------------+-----------------------+
 *   | vnet hdr | Ethernet     | IPv4 (20)     | ICMP (8)     | offending datagram:   |
 *   | (zeros)  | dst src 0800 | TTL 64, no DF | type code    | its IP header and as  |
 *   |          |              | TOS 0xC0      | csum unused/ | much payload as fits  |
 *   |          |              |               | next-hop MTU | in 576 bytes (Linux)  |
 *   +----------+--------------+---------------+--------------+-----------------------+
 *
 *   ICMP header:  0      8      16             24             32
 *                 | type | code |   checksum                  |
 *                 | unused (0)  | next-hop MTU (code 4 only)  |
 * </pre>
 * {@link #mayAnswer} holds RFC 1812 4.3.2.7's "never send" rules that can be read from the offending datagram
 * alone; the router adds the ones that need its tables (directed broadcasts of its subnets).
 */
public final class IcmpErrors
{
    public static final int TYPE_DEST_UNREACHABLE = 3;
    public static final int TYPE_TIME_EXCEEDED = 11;
    /** Not sent by the router; an error about a tracked connection it translates. */
    public static final int TYPE_PARAMETER_PROBLEM = 12;
    public static final int CODE_NET_UNREACHABLE = 0;
    public static final int CODE_HOST_UNREACHABLE = 1;
    public static final int CODE_PORT_UNREACHABLE = 3;
    public static final int CODE_FRAGMENTATION_NEEDED = 4;
    public static final int CODE_TTL_EXCEEDED = 0;

    static final int ETHERNET_OFFSET = VnetHeader.LENGTH;
    static final int IP_OFFSET = ETHERNET_OFFSET + EthernetHeader.HEADER_LENGTH;
    static final int ICMP_OFFSET = IP_OFFSET + Ipv4Header.MIN_HEADER_LENGTH;
    /** Second word of the ICMP header: unused, or (code 4) unused 16 bits then the next-hop MTU (RFC 1191). */
    static final int ICMP_UNUSED_OFFSET = 4;
    static final int ICMP_NEXT_HOP_MTU_OFFSET = 6;
    static final int QUOTE_OFFSET = ICMP_OFFSET + IcmpHeader.HEADER_LENGTH;
    /** RFC 1812 4.3.2.3: the error datagram is at most 576 bytes; Linux quotes as much as fits. */
    public static final int MAX_DATAGRAM_LENGTH = 576;
    public static final int MAX_QUOTE_LENGTH =
        MAX_DATAGRAM_LENGTH - Ipv4Header.MIN_HEADER_LENGTH - IcmpHeader.HEADER_LENGTH;
    public static final int FRAME_CAPACITY = QUOTE_OFFSET + MAX_QUOTE_LENGTH;

    static final int TTL = Router.LOCAL_TTL;
    /** IPTOS_PREC_INTERNETCONTROL, as Linux marks the errors it sends. */
    static final int TOS_INTERNET_CONTROL = 0xC0;
    private static final int TOS_KEEP_MASK = 0x1E;
    private static final int VERSION_IHL = (Ipv4Header.VERSION << 4) | Ipv4Header.MIN_IHL;

    private static final int LIMITED_BROADCAST = 0xFFFF_FFFF;
    private static final int CLASS_D_E_PREFIX = 0xE0; // 224.0.0.0/4 multicast and 240.0.0.0/4 reserved
    private static final int LOOPBACK_PREFIX = 127;
    private static final int THIS_NETWORK_PREFIX = 0;

    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[FRAME_CAPACITY]);
    private int identification;

    /**
     * RFC 1812 4.3.2.7 / RFC 1122 3.2.2: may an error be sent about this datagram? Not about an ICMP error (nor an
     * ICMP message of unknown type), a fragment other than the first, a broadcast or multicast destination, or a
     * source that is not one host (0/8, 127/8, multicast, class E, 255.255.255.255).
     *
     * @param l3        offset of the datagram's IPv4 header (already validated by the parser).
     * @param available bytes of the datagram in {@code buffer} from {@code l3}.
     */
    public static boolean mayAnswer(final DirectBuffer buffer, final int l3, final int available)
    {
        final int headerLength = (buffer.getByte(l3 + Ipv4Header.VERSION_IHL_OFFSET) & 0x0F) * 4;
        final int flagsFragment = buffer.getShort(l3 + Ipv4Header.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN);
        if ((flagsFragment & Ipv4Header.FRAGMENT_OFFSET_MASK) != 0)
        {
            return false;
        }
        final int source = buffer.getInt(l3 + Ipv4Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final int destination = buffer.getInt(l3 + Ipv4Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        if (!isHostAddress(source) || destination == LIMITED_BROADCAST || isClassDOrE(destination))
        {
            return false;
        }
        if ((buffer.getByte(l3 + Ipv4Header.PROTOCOL_OFFSET) & 0xFF) == Ipv4Header.PROTOCOL_ICMP)
        {
            return available > headerLength &&
                isInformational(buffer.getByte(l3 + headerLength + IcmpHeader.TYPE_OFFSET) & 0xFF);
        }
        return true;
    }

    /** A unicast address that can name one host as a source. */
    static boolean isHostAddress(final int ip)
    {
        final int first = ip >>> 24;
        return first != THIS_NETWORK_PREFIX && first != LOOPBACK_PREFIX && !isClassDOrE(ip);
    }

    private static boolean isClassDOrE(final int ip)
    {
        return (ip >>> 24 & CLASS_D_E_PREFIX) == CLASS_D_E_PREFIX;
    }

    /** Echo, timestamp, information and address mask requests/replies: query messages, not errors. */
    private static boolean isInformational(final int type)
    {
        return switch (type)
        {
            case 0, 8, 13, 14, 15, 16, 17, 18 -> true;
            default -> false;
        };
    }

    /**
     * Builds an error about the datagram at {@code l3} into {@link #frame()}.
     *
     * @param ethDestination next hop towards {@code destination} (the MAC the datagram came from).
     * @param nextHopMtu     for {@link #CODE_FRAGMENTATION_NEEDED}, else ignored.
     * @param available      bytes of the datagram in {@code original} from {@code l3} (IP total length or less).
     * @return the frame length ([vnet header][Ethernet][IPv4][ICMP][quote]).
     */
    public int build(final long ethDestination, final long ethSource, final int source, final int destination,
        final int type, final int code, final int nextHopMtu, final DirectBuffer original, final int l3,
        final int available)
    {
        final int quote = Math.min(available, MAX_QUOTE_LENGTH);
        final int ipLength = Ipv4Header.MIN_HEADER_LENGTH + IcmpHeader.HEADER_LENGTH + quote;
        final UnsafeBuffer f = frame;
        f.setMemory(0, QUOTE_OFFSET, (byte)0);

        MacAddress.write(f, ETHERNET_OFFSET + EthernetHeader.DESTINATION_OFFSET, ethDestination);
        MacAddress.write(f, ETHERNET_OFFSET + EthernetHeader.SOURCE_OFFSET, ethSource);
        f.putShort(ETHERNET_OFFSET + EthernetHeader.TYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_IPV4,
            ByteOrder.BIG_ENDIAN);

        final int tos = original.getByte(l3 + Ipv4Header.TOS_OFFSET) & TOS_KEEP_MASK | TOS_INTERNET_CONTROL;
        f.putByte(IP_OFFSET + Ipv4Header.VERSION_IHL_OFFSET, (byte)VERSION_IHL);
        f.putByte(IP_OFFSET + Ipv4Header.TOS_OFFSET, (byte)tos);
        f.putShort(IP_OFFSET + Ipv4Header.TOTAL_LENGTH_OFFSET, (short)ipLength, ByteOrder.BIG_ENDIAN);
        f.putShort(IP_OFFSET + Ipv4Header.IDENTIFICATION_OFFSET, (short)identification++, ByteOrder.BIG_ENDIAN);
        f.putByte(IP_OFFSET + Ipv4Header.TTL_OFFSET, (byte)TTL);
        f.putByte(IP_OFFSET + Ipv4Header.PROTOCOL_OFFSET, (byte)Ipv4Header.PROTOCOL_ICMP);
        f.putInt(IP_OFFSET + Ipv4Header.SOURCE_OFFSET, source, ByteOrder.BIG_ENDIAN);
        f.putInt(IP_OFFSET + Ipv4Header.DESTINATION_OFFSET, destination, ByteOrder.BIG_ENDIAN);
        f.putShort(IP_OFFSET + Ipv4Header.CHECKSUM_OFFSET,
            (short)Checksum.compute(f, IP_OFFSET, Ipv4Header.MIN_HEADER_LENGTH), ByteOrder.BIG_ENDIAN);

        f.putByte(ICMP_OFFSET + IcmpHeader.TYPE_OFFSET, (byte)type);
        f.putByte(ICMP_OFFSET + IcmpHeader.CODE_OFFSET, (byte)code);
        if (type == TYPE_DEST_UNREACHABLE && code == CODE_FRAGMENTATION_NEEDED)
        {
            f.putShort(ICMP_OFFSET + ICMP_NEXT_HOP_MTU_OFFSET, (short)nextHopMtu, ByteOrder.BIG_ENDIAN);
        }
        f.putBytes(QUOTE_OFFSET, original, l3, quote);
        f.putShort(ICMP_OFFSET + IcmpHeader.CHECKSUM_OFFSET,
            (short)Checksum.compute(f, ICMP_OFFSET, IcmpHeader.HEADER_LENGTH + quote), ByteOrder.BIG_ENDIAN);
        return IP_OFFSET + ipLength;
    }

    /** The scratch frame of the last {@link #build}; valid until the next one. */
    public UnsafeBuffer frame()
    {
        return frame;
    }
}
