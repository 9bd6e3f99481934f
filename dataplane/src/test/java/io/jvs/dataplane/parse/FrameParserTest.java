package io.jvs.dataplane.parse;

import io.jvs.dataplane.testing.Frames;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameParserTest
{
    private static final long DST = Frames.mac("02:00:00:00:00:02");
    private static final long SRC = Frames.mac("02:00:00:00:00:01");
    private static final int IP_A = 0x0A000001;
    private static final int IP_B = 0x0A000002;

    private final FrameParser parser = new FrameParser();

    private static UnsafeBuffer exact(final byte[] bytes, final int length)
    {
        // Exactly `length` bytes: with Agrona bounds checks on, any read past the frame throws.
        final byte[] copy = new byte[length];
        System.arraycopy(bytes, 0, copy, 0, length);
        return new UnsafeBuffer(copy);
    }

    private static Map<String, byte[]> samples()
    {
        final Map<String, byte[]> frames = new LinkedHashMap<>();
        frames.put("arp", Frames.ethernet(DST, SRC, 0x0806, Frames.arp(1, SRC, IP_A, 0, IP_B)));
        frames.put("ipv4-udp", Frames.ethernet(DST, SRC, 0x0800,
            Frames.ipv4(17, IP_A, IP_B, 0, Frames.udp(1234, 53, new byte[12]))));
        frames.put("ipv4opt-tcpopt", Frames.ethernet(DST, SRC, 0x0800,
            Frames.ipv4(6, IP_A, IP_B, 2, Frames.tcp(40000, 80, 3, 0x02, new byte[5]))));
        frames.put("ipv4-icmp", Frames.ethernet(DST, SRC, 0x0800,
            Frames.ipv4(1, IP_A, IP_B, 0, Frames.icmpEcho(8, 7, 9, new byte[16]))));
        frames.put("vlan-ipv4-tcp", Frames.ethernetVlan(DST, SRC, 100, 0x0800,
            Frames.ipv4(6, IP_A, IP_B, 0, Frames.tcp(1, 2, 0, 0x10, new byte[0]))));
        frames.put("ipv6-hbh-udp", Frames.ethernet(DST, SRC, 0x86DD,
            Frames.ipv6(17, true, Frames.udp(5000, 6000, new byte[3]))));
        frames.put("ipv6-icmpv6", Frames.ethernet(DST, SRC, 0x86DD,
            Frames.ipv6(58, false, Frames.icmpEcho(128, 1, 2, new byte[4]))));
        return frames;
    }

    @Test
    void parsesIpv4Udp()
    {
        final byte[] frame = samples().get("ipv4-udp");
        final DirectBuffer buffer = new UnsafeBuffer(frame);
        assertEquals(ParseResult.OK, parser.parse(buffer, 0, frame.length));
        assertEquals(FrameParser.LAYER_ETHERNET | FrameParser.LAYER_IPV4 | FrameParser.LAYER_UDP, parser.layers());
        assertEquals(DST, parser.ethernet().destination());
        assertEquals(SRC, parser.ethernet().source());
        assertEquals(0x0800, parser.etherType());
        assertEquals(14, parser.l3Offset());
        assertEquals(20 + 8 + 12, parser.l3Length());
        assertEquals(17, parser.ipProtocol());
        assertEquals(34, parser.l4Offset());
        assertEquals(IP_A, parser.ipv4().source());
        assertEquals(IP_B, parser.ipv4().destination());
        assertEquals(64, parser.ipv4().ttl());
        assertFalse(parser.isFragment());
        assertEquals(1234, parser.udp().sourcePort());
        assertEquals(53, parser.udp().destinationPort());
        assertEquals(20, parser.udp().length());
        assertEquals(42, parser.udp().payloadOffset());
    }

    @Test
    void parsesOptionsAndVlan()
    {
        byte[] frame = samples().get("ipv4opt-tcpopt");
        assertEquals(ParseResult.OK, parser.parse(new UnsafeBuffer(frame), 0, frame.length));
        assertEquals(28, parser.ipv4().headerLength());
        assertEquals(14 + 28, parser.l4Offset());
        assertEquals(32, parser.tcp().headerLength());
        assertEquals(TcpHeader.FLAG_SYN, parser.tcp().flags());
        assertEquals(40000, parser.tcp().sourcePort());
        assertEquals(1000, parser.tcp().sequence());
        assertEquals(5, parser.tcp().payloadLength());

        frame = samples().get("vlan-ipv4-tcp");
        // Place the frame at an offset to check offsets are absolute.
        final UnsafeBuffer shifted = new UnsafeBuffer(new byte[frame.length + 7]);
        shifted.putBytes(7, frame);
        assertEquals(ParseResult.OK, parser.parse(shifted, 7, frame.length));
        assertEquals(1, parser.vlanCount());
        assertEquals(100, parser.vlanId());
        assertEquals(5, parser.ethernet().vlanPriority());
        assertEquals(0x0800, parser.etherType());
        assertEquals(7 + 18, parser.l3Offset());
        assertEquals(7 + 18 + 20, parser.l4Offset());
        assertTrue(parser.has(FrameParser.LAYER_TCP));
    }

    @Test
    void parsesQinQAndRejectsThreeTags()
    {
        final byte[] inner = Frames.ethernetVlan(DST, SRC, 200, 0x0806, Frames.arp(2, SRC, IP_A, DST, IP_B));
        // Turn the single tag into QinQ: outer 0x88A8 tag 300 in front of the 0x8100 tag.
        final byte[] qinq = new byte[inner.length + 4];
        System.arraycopy(inner, 0, qinq, 0, 12);
        qinq[12] = (byte)0x88; qinq[13] = (byte)0xA8; qinq[14] = 0x01; qinq[15] = 0x2C;
        System.arraycopy(inner, 12, qinq, 16, inner.length - 12);
        assertEquals(ParseResult.OK, parser.parse(new UnsafeBuffer(qinq), 0, qinq.length));
        assertEquals(2, parser.vlanCount());
        assertEquals(300, parser.vlanId());
        assertEquals(0x0806, parser.etherType());
        assertEquals(22, parser.l3Offset());
        assertEquals(ArpHeader.OPER_REPLY, parser.arp().operation());
        assertEquals(DST, parser.arp().targetMac());
        assertEquals(IP_A, parser.arp().senderIp());

        final byte[] three = new byte[qinq.length + 4];
        System.arraycopy(qinq, 0, three, 0, 12);
        three[12] = (byte)0x81; three[13] = 0; three[14] = 0; three[15] = 1;
        System.arraycopy(qinq, 12, three, 16, qinq.length - 12);
        assertEquals(ParseResult.UNSUPPORTED, parser.parse(new UnsafeBuffer(three), 0, three.length));
        assertEquals(FrameParser.LAYER_ETHERNET, parser.failedLayer());
    }

    @Test
    void parsesIpv6WithExtensionHeader()
    {
        byte[] frame = samples().get("ipv6-hbh-udp");
        assertEquals(ParseResult.OK, parser.parse(new UnsafeBuffer(frame), 0, frame.length));
        assertTrue(parser.has(FrameParser.LAYER_IPV6));
        assertEquals(17, parser.ipProtocol());
        assertEquals(14 + 40 + 8, parser.l4Offset());
        assertEquals(5000, parser.udp().sourcePort());
        assertEquals(0xABCDE, parser.ipv6().flowLabel());
        assertEquals(2, parser.ipv6().destinationLow());

        frame = samples().get("ipv6-icmpv6");
        assertEquals(ParseResult.OK, parser.parse(new UnsafeBuffer(frame), 0, frame.length));
        assertTrue(parser.has(FrameParser.LAYER_ICMP));
        assertEquals(128, parser.icmp().type());
        assertEquals(2, parser.icmp().sequence());
    }

    @Test
    void reportsBadIpv4Fields()
    {
        final byte[] good = samples().get("ipv4-udp");

        byte[] frame = good.clone();
        frame[14] = 0x55; // version 5
        assertEquals(ParseResult.BAD_VERSION, parser.parse(new UnsafeBuffer(frame), 0, frame.length));
        assertEquals(FrameParser.LAYER_IPV4, parser.failedLayer());
        assertEquals(0, parser.ipv4().source(), "failed wrap reads zeros");

        frame = good.clone();
        frame[14] = 0x44; // IHL 4
        assertEquals(ParseResult.BAD_HEADER_LENGTH, parser.parse(new UnsafeBuffer(frame), 0, frame.length));

        frame = good.clone();
        frame[16] = 0x01; // total length 256+ > frame
        assertEquals(ParseResult.BAD_TOTAL_LENGTH, parser.parse(new UnsafeBuffer(frame), 0, frame.length));

        frame = good.clone();
        frame[16] = 0; frame[17] = 19; // total length < header length
        assertEquals(ParseResult.BAD_TOTAL_LENGTH, parser.parse(new UnsafeBuffer(frame), 0, frame.length));

        frame = good.clone();
        frame[14 + 20 + 4] = 0; frame[14 + 20 + 5] = 7; // UDP length 7
        assertEquals(ParseResult.BAD_HEADER_LENGTH, parser.parse(new UnsafeBuffer(frame), 0, frame.length));
        assertEquals(FrameParser.LAYER_UDP, parser.failedLayer());
    }

    @Test
    void ethernetPaddingIsNotPayload()
    {
        final byte[] ip = Frames.ipv4(17, IP_A, IP_B, 0, Frames.udp(1, 2, new byte[0]));
        final byte[] padded = new byte[ip.length + 18];
        System.arraycopy(ip, 0, padded, 0, ip.length);
        final byte[] frame = Frames.ethernet(DST, SRC, 0x0800, padded);
        assertEquals(ParseResult.OK, parser.parse(new UnsafeBuffer(frame), 0, frame.length));
        assertEquals(28, parser.l3Length());
        assertEquals(8, parser.l4Length());
        assertEquals(0, parser.udp().payloadLength());
    }

    @Test
    void laterFragmentHasNoL4()
    {
        final byte[] frame = samples().get("ipv4-udp").clone();
        frame[14 + 6] = 0x00; frame[14 + 7] = 0x10; // fragment offset 16
        assertEquals(ParseResult.OK, parser.parse(new UnsafeBuffer(frame), 0, frame.length));
        assertTrue(parser.isFragment());
        assertEquals(-1, parser.l4Offset());
        assertFalse(parser.has(FrameParser.LAYER_UDP));
    }

    @Test
    void everyTruncationIsMalformedAndNeverThrows()
    {
        // The exact-size buffers below only prove "never reads past the frame" if bounds checks are on.
        assertThrows(IndexOutOfBoundsException.class, () -> new UnsafeBuffer(new byte[2]).getInt(0));
        for (final Map.Entry<String, byte[]> sample : samples().entrySet())
        {
            final byte[] frame = sample.getValue();
            final UnsafeBuffer full = exact(frame, frame.length);
            assertEquals(ParseResult.OK, parser.parse(full, 0, frame.length), sample.getKey());
            for (int length = 0; length < frame.length; length++)
            {
                final UnsafeBuffer buffer = exact(frame, length);
                final int result = parser.parse(buffer, 0, length);
                assertNotEquals(ParseResult.OK, result, sample.getKey() + " truncated to " + length);
                assertNotEquals(0, parser.failedLayer(), sample.getKey() + " truncated to " + length);
                touchEverything(parser);
            }
        }
    }

    @Test
    void everyFlyweightOnEveryShortLengthFailsAndReadsZeros()
    {
        final byte[] bytes = new byte[64];
        new Random(7).nextBytes(bytes);
        bytes[0] = 0x45;
        final int[] headerLengths = {
            EthernetHeader.HEADER_LENGTH, ArpHeader.LENGTH, Ipv4Header.MIN_HEADER_LENGTH, Ipv6Header.HEADER_LENGTH,
            UdpHeader.HEADER_LENGTH, TcpHeader.MIN_HEADER_LENGTH, IcmpHeader.HEADER_LENGTH };
        final EthernetHeader eth = new EthernetHeader();
        final ArpHeader arp = new ArpHeader();
        final Ipv4Header ipv4 = new Ipv4Header();
        final Ipv6Header ipv6 = new Ipv6Header();
        final UdpHeader udp = new UdpHeader();
        final TcpHeader tcp = new TcpHeader();
        final IcmpHeader icmp = new IcmpHeader();
        for (int h = 0; h < headerLengths.length; h++)
        {
            for (int length = 0; length < headerLengths[h]; length++)
            {
                final UnsafeBuffer buffer = exact(bytes, length);
                final int result;
                switch (h)
                {
                    case 0: result = eth.wrap(buffer, 0, length); break;
                    case 1: result = arp.wrap(buffer, 0, length); break;
                    case 2: result = ipv4.wrap(buffer, 0, length); break;
                    case 3: result = ipv6.wrap(buffer, 0, length); break;
                    case 4: result = udp.wrap(buffer, 0, length); break;
                    case 5: result = tcp.wrap(buffer, 0, length); break;
                    default: result = icmp.wrap(buffer, 0, length); break;
                }
                assertEquals(ParseResult.TRUNCATED, result, "header " + h + " length " + length);
            }
        }
        assertEquals(0L, eth.source());
        assertEquals(0, arp.senderIp());
        assertEquals(0, ipv4.destination());
        assertEquals(0L, ipv6.sourceHigh());
        assertEquals(0, udp.destinationPort());
        assertEquals(0L, tcp.acknowledgment());
        assertEquals(0, icmp.type());
    }

    @Test
    void randomBytesNeverThrow()
    {
        final Random random = new Random(42);
        final byte[] templateV4 = samples().get("ipv4opt-tcpopt");
        final byte[] templateV6 = samples().get("ipv6-hbh-udp");
        for (int i = 0; i < 20_000; i++)
        {
            final byte[] template = (i & 1) == 0 ? templateV4 : templateV6;
            final int length = random.nextInt(template.length + 1);
            final byte[] bytes = java.util.Arrays.copyOf(template, length);
            // Corrupt a few bytes of a plausible frame so the parse goes deep before it fails.
            for (int k = 0; k < 3 && length > 0; k++)
            {
                bytes[random.nextInt(length)] = (byte)random.nextInt(256);
            }
            parser.parse(exact(bytes, length), 0, length);
            touchEverything(parser);
        }
    }

    private static long touchEverything(final FrameParser p)
    {
        long sum = p.l3Offset() + p.l4Offset() + p.l3Length() + p.l4Length() + p.ipProtocol() + p.vlanId();
        sum += p.ethernet().source() + p.ethernet().destination() + p.ethernet().etherType();
        sum += p.arp().operation() + p.arp().senderMac() + p.arp().targetIp();
        sum += p.ipv4().source() + p.ipv4().destination() + p.ipv4().protocol() + p.ipv4().flagsAndFragmentOffset();
        sum += p.ipv6().sourceHigh() + p.ipv6().destinationLow() + p.ipv6().nextHeader() + p.ipv6().flowLabel();
        sum += p.udp().sourcePort() + p.udp().checksum();
        sum += p.tcp().sequence() + p.tcp().flags() + p.tcp().window();
        sum += p.icmp().type() + p.icmp().identifier();
        return sum;
    }
}
