package io.jvs.dataplane.parse;

import io.jvs.dataplane.testing.Frames;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each flyweight at the exact edges of its length checks (the smallest valid header parses, one byte or one length
 * unit more than given does not), every length/version field failure with its own code, and the accessors the
 * parser itself never calls read the right bytes at a non-zero offset. Found by mutation testing
 * (docs/mutation-testing.md): FrameParserTest parses frames longer than the minimum, so {@code <} vs {@code <=}
 * in a check went unnoticed.
 */
class FlyweightBoundsTest
{
    /** Headers are placed here, to catch offset arithmetic that only works from 0. */
    private static final int AT = 5;

    private static UnsafeBuffer at(final byte[] header)
    {
        final byte[] bytes = new byte[AT + header.length];
        System.arraycopy(header, 0, bytes, AT, header.length);
        return new UnsafeBuffer(bytes); // exactly the header: any read past it throws (bounds checks are on)
    }

    @Test
    void ethernetOfExactlyOneHeaderAndATagOfExactlyFourBytesParse()
    {
        final EthernetHeader eth = new EthernetHeader();
        final byte[] plain = Frames.ethernet(0x0200_0000_0002L, 0x0200_0000_0001L, 0x0800, new byte[0]);
        assertEquals(ParseResult.OK, eth.wrap(at(plain), AT, plain.length));
        assertEquals(0x0200_0000_0002L, eth.destination());
        assertEquals(ParseResult.TRUNCATED, eth.wrap(at(plain), AT, plain.length - 1));

        final byte[] tagged = Frames.ethernetVlan(0x0200_0000_0002L, 0x0200_0000_0001L, 100, 0x0800, new byte[0]);
        assertEquals(ParseResult.OK, eth.wrap(at(tagged), AT, tagged.length));
        assertEquals(100, eth.vlanId());
        assertEquals(0x0800, eth.etherType());
        assertEquals(ParseResult.TRUNCATED, eth.wrap(at(tagged), AT, tagged.length - 1));
    }

    @Test
    void arpOtherThanEthernetIpv4IsUnsupported()
    {
        final ArpHeader arp = new ArpHeader();
        final byte[] request = Frames.arp(1, 0x0200_0000_0001L, 0x0A00_0001, 0, 0x0A00_0002);
        assertEquals(ParseResult.OK, arp.wrap(at(request), AT, request.length));
        final byte[] tokenRing = request.clone();
        tokenRing[1] = 6; // HTYPE 6 (IEEE 802)
        assertEquals(ParseResult.UNSUPPORTED, arp.wrap(at(tokenRing), AT, tokenRing.length));
        final byte[] ipv6 = request.clone();
        ipv6[2] = (byte)0x86;
        ipv6[3] = (byte)0xDD;
        assertEquals(ParseResult.UNSUPPORTED, arp.wrap(at(ipv6), AT, ipv6.length));
    }

    @Test
    void ipv4LengthEdges()
    {
        final Ipv4Header ip = new Ipv4Header();
        final byte[] bare = Frames.ipv4(6, 0x0A00_0001, 0x0A00_0002, 0, new byte[0]);
        assertEquals(20, bare.length);
        assertEquals(ParseResult.OK, ip.wrap(at(bare), AT, bare.length), "a 20-byte packet is a whole packet");
        assertEquals(20, ip.totalLength());
        assertEquals(0, ip.payloadLength());
        assertFalse(ip.isFragment(), "DF only");
        assertFalse(ip.isLaterFragment());
        final byte[] first = bare.clone();
        first[6] = 0x20; // MF, offset 0: the first fragment
        assertEquals(ParseResult.OK, ip.wrap(at(first), AT, first.length));
        assertTrue(ip.isFragment());
        assertFalse(ip.isLaterFragment());

        final byte[] options = Frames.ipv4(6, 0x0A00_0001, 0x0A00_0002, 1, new byte[0]);
        assertEquals(ParseResult.OK, ip.wrap(at(options), AT, options.length), "IHL 6, total 24, 24 given");
        assertEquals(24, ip.headerLength());

        final byte[] longHeader = Frames.ipv4(6, 0x0A00_0001, 0x0A00_0002, 0, new byte[20]);
        longHeader[0] = 0x4F; // IHL 15: 60 bytes of header in a 40-byte packet
        assertEquals(ParseResult.TRUNCATED, ip.wrap(at(longHeader), AT, longHeader.length));
        assertEquals(0, ip.headerLength(), "a failed wrap reads zeros");

        final byte[] overlong = bare.clone();
        overlong[3] = 21; // total length one more than given
        assertEquals(ParseResult.BAD_TOTAL_LENGTH, ip.wrap(at(overlong), AT, overlong.length));
    }

    @Test
    void ipv4FieldsTheParserReadsAsOneWordAreRightOnTheirOwn()
    {
        final Ipv4Header ip = new Ipv4Header();
        final byte[] packet = Frames.ipv4(17, 0x0A00_0001, 0x0A00_0002, 0, new byte[8]);
        packet[6] = 0x3F; // MF + offset 0x1F01
        packet[7] = 0x01;
        assertEquals(ParseResult.OK, ip.wrap(at(packet), AT, packet.length));
        assertEquals(17, ip.protocol());
        assertEquals(0x3F01, ip.flagsAndFragmentOffset());
        assertTrue(ip.isFragment());
        assertTrue(ip.isLaterFragment());
        packet[9] = (byte)0xFE;
        packet[6] = (byte)0xDF; // evil bit + DF + MF, offset 0x1F01
        assertEquals(ParseResult.OK, ip.wrap(at(packet), AT, packet.length));
        assertEquals(0xFE, ip.protocol(), "unsigned");
        assertEquals(0xDF01, ip.flagsAndFragmentOffset(), "unsigned");
    }

    @Test
    void ipv6LengthAndVersionEdges()
    {
        final Ipv6Header ip = new Ipv6Header();
        final byte[] bare = Frames.ipv6(59, false, new byte[0]);
        assertEquals(ParseResult.OK, ip.wrap(at(bare), AT, bare.length), "40 bytes, no payload");
        assertEquals(0, ip.payloadLength());
        assertEquals(0xFD00_0000_0000_0000L, ip.sourceHigh());
        assertEquals(1, ip.sourceLow());

        final byte[] v4 = bare.clone();
        v4[0] = 0x40;
        assertEquals(ParseResult.BAD_VERSION, ip.wrap(at(v4), AT, v4.length));
        final byte[] overlong = bare.clone();
        overlong[5] = 1; // payload length 1, none given
        assertEquals(ParseResult.BAD_TOTAL_LENGTH, ip.wrap(at(overlong), AT, overlong.length));
    }

    @Test
    void tcpDataOffsetPastTheSegmentIsTruncated()
    {
        final TcpHeader tcp = new TcpHeader();
        final byte[] segment = Frames.tcp(1, 2, 0, 0x10, new byte[20]);
        segment[12] = (byte)0xF0; // data offset 15: 60 bytes of header in 40
        assertEquals(ParseResult.TRUNCATED, tcp.wrap(at(segment), AT, segment.length));

        final byte[] ack = Frames.tcp(1, 2, 0, 0x10, new byte[0]);
        ByteBuffer.wrap(ack).putInt(8, 0xFEDC_BA98).putShort(14, (short)0xBEEF);
        assertEquals(ParseResult.OK, tcp.wrap(at(ack), AT, ack.length), "a bare 20-byte header");
        assertEquals(0xFEDC_BA98L, tcp.acknowledgment());
        assertEquals(0xBEEF, tcp.window());
        assertEquals(0, tcp.payloadLength());
    }

    @Test
    void udpAndIcmpLengthEdges()
    {
        final UdpHeader udp = new UdpHeader();
        final byte[] datagram = Frames.udp(1, 2, new byte[4]);
        ByteBuffer.wrap(datagram).putShort(6, (short)0xCAFE);
        assertEquals(ParseResult.OK, udp.wrap(at(datagram), AT, datagram.length), "length field == bytes given");
        assertEquals(0xCAFE, udp.checksum());
        assertEquals(4, udp.payloadLength());
        assertEquals(ParseResult.BAD_TOTAL_LENGTH, udp.wrap(at(datagram), AT, datagram.length - 1));
        assertEquals(0, udp.length(), "a failed wrap reads zeros");

        final IcmpHeader icmp = new IcmpHeader();
        final byte[] bare = Frames.icmpEcho(8, 1, 2, new byte[0]);
        assertEquals(ParseResult.OK, icmp.wrap(at(bare), AT, bare.length), "an 8-byte echo");
        assertEquals(0, icmp.payloadLength());
        final byte[] echo = Frames.icmpEcho(8, 1, 2, new byte[3]);
        assertEquals(ParseResult.OK, icmp.wrap(at(echo), AT, echo.length));
        assertEquals(3, icmp.payloadLength());
        assertEquals(AT + 8, icmp.payloadOffset());
    }

    /**
     * IPv6 with {@code hopByHop} hop-by-hop headers in a chain (8 bytes each, the last one {@code lastLength}) whose
     * last names {@code lastNext}, then a UDP header.
     */
    private static byte[] ipv6Chain(final int hopByHop, final int lastExtensionLength, final int lastNext)
    {
        final byte[] udp = Frames.udp(7, 8, new byte[0]);
        final int extensions = (hopByHop - 1) * 8 + lastExtensionLength;
        final ByteBuffer b = ByteBuffer.allocate(40 + extensions + udp.length);
        b.putInt(0x6000_0000).putShort((short)(extensions + udp.length)).put((byte)0).put((byte)64);
        b.putLong(1).putLong(2).putLong(3).putLong(4);
        for (int i = 0; i < hopByHop; i++)
        {
            final boolean last = i == hopByHop - 1;
            final int length = last ? lastExtensionLength : 8;
            b.put((byte)(last ? lastNext : 0)).put((byte)(length / 8 - 1)).put(new byte[length - 2]);
        }
        b.put(udp);
        return Frames.ethernet(0x0200_0000_0002L, 0x0200_0000_0001L, 0x86DD, b.array());
    }

    @Test
    void ipv6ChainsUpToTheBoundParseAndLongerOnesAreUnsupported()
    {
        final FrameParser parser = new FrameParser();
        final byte[] seven = ipv6Chain(FrameParser.MAX_IPV6_EXTENSION_HEADERS - 1, 8, 17);
        assertEquals(ParseResult.OK, parser.parse(new UnsafeBuffer(seven), 0, seven.length));
        assertTrue(parser.has(FrameParser.LAYER_UDP));
        assertEquals(7, parser.udp().sourcePort());

        final byte[] eight = ipv6Chain(FrameParser.MAX_IPV6_EXTENSION_HEADERS, 8, 17);
        assertEquals(ParseResult.UNSUPPORTED, parser.parse(new UnsafeBuffer(eight), 0, eight.length));
        assertEquals(FrameParser.LAYER_IPV6, parser.failedLayer());
        assertEquals(17, parser.ipProtocol(), "the header the walk stopped at");
        assertTrue(parser.has(FrameParser.LAYER_IPV6), "the L3 layer stands");
        assertFalse(parser.has(FrameParser.LAYER_UDP));

        final byte[] badUdp = ipv6Chain(1, 8, 17);
        badUdp[badUdp.length - 8 + 5] = 7; // UDP length 7
        assertEquals(ParseResult.BAD_HEADER_LENGTH, parser.parse(new UnsafeBuffer(badUdp), 0, badUdp.length));
        assertEquals(FrameParser.LAYER_UDP, parser.failedLayer(), "an L4 failure after the walk is the result");
    }

    @Test
    void ipv6ExtensionHeadersThatEndExactlyAtThePayloadsEndParseAndLongerOnesAreTruncated()
    {
        final FrameParser parser = new FrameParser();
        // The extension header is the payload's last bytes, naming no next header; the UDP header after it is
        // outside the payload length (and outside the bytes given to the parser).
        final byte[] sixteen = ipv6Chain(1, 16, Ipv6Header.NEXT_HEADER_NONE);
        final int end = sixteen.length - 8;
        setPayloadLength(sixteen, 16);
        assertEquals(ParseResult.OK, parser.parse(new UnsafeBuffer(sixteen), 0, end));
        assertEquals(Ipv6Header.NEXT_HEADER_NONE, parser.ipProtocol());
        assertEquals(end, parser.l4Offset(), "the header ends exactly at the payload's end");
        assertEquals(0, parser.l4Length());
        setPayloadLength(sixteen, 15); // the extension header claims one byte more than there is
        assertEquals(ParseResult.TRUNCATED, parser.parse(new UnsafeBuffer(sixteen), 0, end));
        assertEquals(FrameParser.LAYER_IPV6, parser.failedLayer());
        setPayloadLength(sixteen, 8);
        assertEquals(ParseResult.TRUNCATED, parser.parse(new UnsafeBuffer(sixteen), 0, end), "8 of 16 bytes");

        final byte[] eight = ipv6Chain(1, 8, Ipv6Header.NEXT_HEADER_NONE);
        setPayloadLength(eight, 8);
        assertEquals(ParseResult.OK, parser.parse(new UnsafeBuffer(eight), 0, eight.length - 8));
        setPayloadLength(eight, 7);
        assertEquals(ParseResult.TRUNCATED, parser.parse(new UnsafeBuffer(eight), 0, eight.length - 8));

        // A hop-by-hop header announced with no payload at all, in a buffer that ends with the IPv6 header.
        final byte[] none = new byte[14 + 40];
        System.arraycopy(eight, 0, none, 0, none.length);
        setPayloadLength(none, 0);
        assertEquals(ParseResult.TRUNCATED, parser.parse(new UnsafeBuffer(none), 0, none.length));
    }

    private static void setPayloadLength(final byte[] frame, final int length)
    {
        ByteBuffer.wrap(frame).putShort(14 + 4, (short)length);
    }
}
