package io.jvs.dataplane.parse;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Parses an Ethernet frame's layers in one pass (Ethernet + VLAN tags, ARP / IPv4 / IPv6 with its common
 * extension headers, UDP / TCP / ICMP / ICMPv6) into reusable flyweights and offsets. No allocation; reuse one
 * instance per thread.
 * <p>
 * A frame whose EtherType or IP protocol jvs does not read parses {@link ParseResult#OK} with fewer layers:
 * {@link #layers()} says which flyweights are valid. A layer that is present but malformed stops the parse and
 * its code is returned; {@link #failedLayer()} names it. Fragments carry no L4 layer: a first fragment has
 * {@link #l4Offset()} set, later ones -1.
 */
public final class FrameParser
{
    public static final int LAYER_ETHERNET = 1;
    public static final int LAYER_ARP = 1 << 1;
    public static final int LAYER_IPV4 = 1 << 2;
    public static final int LAYER_IPV6 = 1 << 3;
    public static final int LAYER_UDP = 1 << 4;
    public static final int LAYER_TCP = 1 << 5;
    public static final int LAYER_ICMP = 1 << 6;

    /** Bound on IPv6 extension headers walked, so a crafted chain cannot make the walk long. */
    public static final int MAX_IPV6_EXTENSION_HEADERS = 8;
    /** Generic extension header: Next Header (1 byte), Hdr Ext Len (1 byte, in 8-byte units beyond the first 8). */
    static final int EXTENSION_LENGTH_OFFSET = 1;
    static final int EXTENSION_MIN_LENGTH = 8;
    /** Fragment header: Fragment Offset (13 bits) + flags in the 16 bits at offset 2; 8 bytes long. */
    static final int FRAGMENT_OFFSET_FIELD = 2;
    static final int FRAGMENT_HEADER_LENGTH = 8;
    static final int FRAGMENT_MORE_FLAG = 1;

    private final EthernetHeader ethernet = new EthernetHeader();
    private final ArpHeader arp = new ArpHeader();
    private final Ipv4Header ipv4 = new Ipv4Header();
    private final Ipv6Header ipv6 = new Ipv6Header();
    private final UdpHeader udp = new UdpHeader();
    private final TcpHeader tcp = new TcpHeader();
    private final IcmpHeader icmp = new IcmpHeader();

    private int layers;
    private int failedLayer;
    private int l3Offset;
    private int l3Length;
    private int ipProtocol;
    private int l4Offset;
    private int l4Length;
    private boolean fragment;
    private int ttlProtocolChecksum;

    /**
     * @param offset index of the Ethernet header (not of a virtio_net_hdr).
     * @return {@link ParseResult#OK} or the code of the first malformed layer.
     */
    public int parse(final DirectBuffer buffer, final int offset, final int length)
    {
        layers = 0;
        failedLayer = 0;
        l3Offset = -1;
        l3Length = 0;
        ipProtocol = -1;
        l4Offset = -1;
        l4Length = 0;
        fragment = false;
        ttlProtocolChecksum = 0;

        int result = ethernet.wrap(buffer, offset, length);
        if (result != ParseResult.OK)
        {
            return fail(LAYER_ETHERNET, result);
        }
        layers = LAYER_ETHERNET;
        final int l3 = ethernet.payloadOffset();
        final int l3Available = ethernet.payloadLength();

        switch (ethernet.etherType())
        {
            case EthernetHeader.ETHERTYPE_ARP:
                result = arp.wrap(buffer, l3, l3Available);
                if (result != ParseResult.OK)
                {
                    return fail(LAYER_ARP, result);
                }
                layers |= LAYER_ARP;
                l3Offset = l3;
                l3Length = ArpHeader.LENGTH;
                return ParseResult.OK;

            case EthernetHeader.ETHERTYPE_IPV4:
                result = ipv4.wrap(buffer, l3, l3Available);
                if (result != ParseResult.OK)
                {
                    return fail(LAYER_IPV4, result);
                }
                layers |= LAYER_IPV4;
                l3Offset = l3;
                l3Length = ipv4.totalLength();
                // Identification .. header checksum in one (bounds-checked) read; the header is >= 20 bytes.
                final long idToChecksum = buffer.getLong(l3 + Ipv4Header.IDENTIFICATION_OFFSET, ByteOrder.BIG_ENDIAN);
                final int fragmentTtlProtocol = (int)(idToChecksum >>> 16);
                ttlProtocolChecksum = (int)idToChecksum;
                ipProtocol = fragmentTtlProtocol & 0xFF;
                fragment = (fragmentTtlProtocol >>> 16 &
                    (Ipv4Header.FLAG_MORE_FRAGMENTS | Ipv4Header.FRAGMENT_OFFSET_MASK)) != 0;
                if ((fragmentTtlProtocol >>> 16 & Ipv4Header.FRAGMENT_OFFSET_MASK) != 0)
                {
                    return ParseResult.OK; // a later fragment: no L4 header here
                }
                l4Offset = ipv4.payloadOffset();
                l4Length = ipv4.payloadLength();
                return fragment ? ParseResult.OK : parseL4(buffer);

            case EthernetHeader.ETHERTYPE_IPV6:
                result = ipv6.wrap(buffer, l3, l3Available);
                if (result != ParseResult.OK)
                {
                    return fail(LAYER_IPV6, result);
                }
                layers |= LAYER_IPV6;
                l3Offset = l3;
                l3Length = Ipv6Header.HEADER_LENGTH + ipv6.payloadLength();
                return walkIpv6(buffer);

            default:
                return ParseResult.OK;
        }
    }

    private int walkIpv6(final DirectBuffer buffer)
    {
        final int end = l3Offset + l3Length;
        int next = ipv6.nextHeader();
        int index = ipv6.payloadOffset();
        for (int i = 0; i < MAX_IPV6_EXTENSION_HEADERS; i++)
        {
            switch (next)
            {
                case Ipv6Header.NEXT_HEADER_HOP_BY_HOP:
                case Ipv6Header.NEXT_HEADER_ROUTING:
                case Ipv6Header.NEXT_HEADER_DESTINATION_OPTIONS:
                {
                    if (index + EXTENSION_MIN_LENGTH > end)
                    {
                        return fail(LAYER_IPV6, ParseResult.TRUNCATED);
                    }
                    final int extLength =
                        ((buffer.getByte(index + EXTENSION_LENGTH_OFFSET) & 0xFF) + 1) * EXTENSION_MIN_LENGTH;
                    if (index + extLength > end)
                    {
                        return fail(LAYER_IPV6, ParseResult.TRUNCATED);
                    }
                    next = buffer.getByte(index) & 0xFF;
                    index += extLength;
                    break;
                }

                case Ipv6Header.NEXT_HEADER_FRAGMENT:
                {
                    if (index + FRAGMENT_HEADER_LENGTH > end)
                    {
                        return fail(LAYER_IPV6, ParseResult.TRUNCATED);
                    }
                    final int field = buffer.getShort(index + FRAGMENT_OFFSET_FIELD, ByteOrder.BIG_ENDIAN);
                    fragment = true;
                    ipProtocol = buffer.getByte(index) & 0xFF;
                    if ((field & 0xFFF8) != 0)
                    {
                        return ParseResult.OK; // a later fragment: no L4 header here
                    }
                    l4Offset = index + FRAGMENT_HEADER_LENGTH;
                    l4Length = end - l4Offset;
                    return ParseResult.OK;
                }

                default:
                    ipProtocol = next;
                    l4Offset = index;
                    l4Length = end - index;
                    return parseL4(buffer);
            }
        }
        // Too many extension headers: the L3 layer stands, no L4.
        ipProtocol = next;
        return fail(LAYER_IPV6, ParseResult.UNSUPPORTED);
    }

    private int parseL4(final DirectBuffer buffer)
    {
        int result;
        switch (ipProtocol)
        {
            case Ipv4Header.PROTOCOL_UDP:
                result = udp.wrap(buffer, l4Offset, l4Length);
                if (result != ParseResult.OK)
                {
                    return fail(LAYER_UDP, result);
                }
                layers |= LAYER_UDP;
                return ParseResult.OK;

            case Ipv4Header.PROTOCOL_TCP:
                result = tcp.wrap(buffer, l4Offset, l4Length);
                if (result != ParseResult.OK)
                {
                    return fail(LAYER_TCP, result);
                }
                layers |= LAYER_TCP;
                return ParseResult.OK;

            case Ipv4Header.PROTOCOL_ICMP:
            case Ipv6Header.NEXT_HEADER_ICMPV6:
                if ((ipProtocol == Ipv4Header.PROTOCOL_ICMP) != ((layers & LAYER_IPV4) != 0))
                {
                    return ParseResult.OK; // ICMPv4 inside IPv6 or ICMPv6 inside IPv4: not read
                }
                result = icmp.wrap(buffer, l4Offset, l4Length);
                if (result != ParseResult.OK)
                {
                    return fail(LAYER_ICMP, result);
                }
                layers |= LAYER_ICMP;
                return ParseResult.OK;

            default:
                return ParseResult.OK;
        }
    }

    private int fail(final int layer, final int result)
    {
        failedLayer = layer;
        return result;
    }

    /** Bit set of LAYER_* whose flyweights are valid. */
    public int layers()
    {
        return layers;
    }

    public boolean has(final int layer)
    {
        return (layers & layer) != 0;
    }

    /** LAYER_* that was malformed, 0 if none. */
    public int failedLayer()
    {
        return failedLayer;
    }

    public int etherType()
    {
        return ethernet.etherType();
    }

    public int vlanCount()
    {
        return ethernet.vlanCount();
    }

    public int vlanId()
    {
        return ethernet.vlanId();
    }

    /** Absolute index of the L3 header, -1 if none was parsed. */
    public int l3Offset()
    {
        return l3Offset;
    }

    /** L3 length from its own length fields (excludes Ethernet padding). */
    public int l3Length()
    {
        return l3Length;
    }

    /** IP protocol / IPv6 upper-layer next header, -1 when not IP. */
    public int ipProtocol()
    {
        return ipProtocol;
    }

    /** Absolute index of the L4 header, -1 if none. */
    public int l4Offset()
    {
        return l4Offset;
    }

    public int l4Length()
    {
        return l4Length;
    }

    public boolean isFragment()
    {
        return fragment;
    }

    /**
     * IPv4 TTL, protocol and header checksum (the big-endian word at {@link Ipv4Header#TTL_OFFSET}) as they were
     * when parsed, 0 if not IPv4: saves reading them again while the caller has not written them.
     */
    public int ttlProtocolChecksum()
    {
        return ttlProtocolChecksum;
    }

    public EthernetHeader ethernet()
    {
        return ethernet;
    }

    public ArpHeader arp()
    {
        return arp;
    }

    public Ipv4Header ipv4()
    {
        return ipv4;
    }

    public Ipv6Header ipv6()
    {
        return ipv6;
    }

    public UdpHeader udp()
    {
        return udp;
    }

    public TcpHeader tcp()
    {
        return tcp;
    }

    public IcmpHeader icmp()
    {
        return icmp;
    }
}
