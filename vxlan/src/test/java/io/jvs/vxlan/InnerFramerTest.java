package io.jvs.vxlan;

import io.jvs.tap.VnetHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.jvs.vxlan.Packets.*;
import static org.junit.jupiter.api.Assertions.*;

class InnerFramerTest
{
    private static final int SRC = 0x0A0A0001;
    private static final int DST = 0x0A0A0002;

    private final InnerFramer framer = new InnerFramer(1450);
    private final List<byte[]> out = new ArrayList<>();
    private final RoomSink sink = new RoomSink();

    /**
     * Hands out room at a different offset each time (as ring slots are), or none for the claims listed in
     * {@code refuse}; keeps each finished inner frame.
     */
    private final class RoomSink implements InnerFramer.Sink
    {
        final UnsafeBuffer room = new UnsafeBuffer(new byte[3 * InnerFramer.scratchLength(1450)]);
        final java.util.Set<Integer> refuse = new java.util.HashSet<>();
        int claims;

        public int claim(final int innerLength)
        {
            assertTrue(OuterHeaders.INNER_OFFSET + innerLength <= InnerFramer.scratchLength(1450));
            return refuse.contains(claims++) ? -1 : (claims % 3) * InnerFramer.scratchLength(1450);
        }

        public org.agrona.MutableDirectBuffer target()
        {
            return room;
        }

        public void onInnerFrame(final int base, final int innerLength)
        {
            final int inner = base + OuterHeaders.INNER_OFFSET;
            out.add(Arrays.copyOfRange(room.byteArray(), inner, inner + innerLength));
        }
    }

    @Test
    void segmentsGsoTcpv4IntoValidSegmentsThatReassemble()
    {
        final byte[] payload = random(new Random(1), 60_001);
        final int flags = 0x18 | 0x01 | 0x80; // ACK PSH FIN CWR
        final byte[] frame = tcp4(MAC_B, MAC_A, SRC, DST, payload, VnetHeader.GSO_TCPV4, 1448, flags);
        assertNull(framer.frame(new UnsafeBuffer(frame), 0, frame.length, sink));

        // MSS limited by the inner MTU: 1450 - 20 - 32 = 1398 < gso_size 1448.
        final int mss = 1398;
        assertEquals((payload.length + mss - 1) / mss, out.size());
        final ByteArrayOutputStream reassembled = new ByteArrayOutputStream();
        for (int i = 0; i < out.size(); i++)
        {
            final byte[] s = out.get(i);
            final int ip = 14;
            final int tcp = ip + 20;
            final int ipLength = u16(s, ip + 2);
            assertEquals(s.length - 14, ipLength);
            assertTrue(ipLength <= 1450);
            assertEquals(0, referenceChecksum(s, ip, 20, 0), "IP checksum of segment " + i);
            assertEquals(0x1234 + i, u16(s, ip + 4), "IP id");
            final int tcpLength = ipLength - 20;
            assertEquals(0, referenceChecksum(s, tcp, tcpLength, referencePseudo4(SRC, DST, 6, tcpLength)),
                "TCP checksum of segment " + i);
            assertEquals(0x7000_0000 + i * mss, s32(s, tcp + 4), "seq");
            final boolean last = i == out.size() - 1;
            final int f = s[tcp + 13] & 0xFF;
            assertEquals(last, (f & 0x09) == 0x09, "FIN/PSH only on the last segment");
            assertEquals(i == 0, (f & 0x80) != 0, "CWR only on the first");
            assertEquals(0x10, f & 0x10, "ACK everywhere");
            assertArrayEquals(Arrays.copyOfRange(frame, 10, 10 + 12), Arrays.copyOfRange(s, 0, 12), "MACs");
            reassembled.write(s, tcp + 32, tcpLength - 32);
        }
        assertArrayEquals(payload, reassembled.toByteArray());
        assertEquals(out.size(), framer.segments());
    }

    @Test
    void keepsGsoSizeWhenSmallerThanMtuAllows()
    {
        final byte[] payload = random(new Random(2), 5000);
        final byte[] frame = tcp4(MAC_B, MAC_A, SRC, DST, payload, VnetHeader.GSO_TCPV4 | VnetHeader.GSO_ECN, 1000, 0x10);
        assertNull(framer.frame(new UnsafeBuffer(frame), 0, frame.length, sink));
        assertEquals(5, out.size());
        for (final byte[] s : out)
        {
            assertEquals(1000 + 32 + 20, u16(s, 16));
        }
    }

    @Test
    void segmentsGsoTcpv6()
    {
        final byte[] payload = random(new Random(3), 10_000);
        final byte[] frame = tcp6(payload, 1400);
        assertNull(framer.frame(new UnsafeBuffer(frame), 0, frame.length, sink));
        final int mss = 1450 - 40 - 20;
        assertEquals((10_000 + mss - 1) / mss, out.size());
        final ByteArrayOutputStream reassembled = new ByteArrayOutputStream();
        for (int i = 0; i < out.size(); i++)
        {
            final byte[] s = out.get(i);
            final int tcpLength = u16(s, 14 + 4);
            assertEquals(s.length - 14 - 40, tcpLength);
            assertEquals(0, referenceChecksum(s, 54, tcpLength, referencePseudo6(s, 22, 38, 6, tcpLength)), "seg " + i);
            assertEquals(-5 + i * mss, s32(s, 54 + 4));
            reassembled.write(s, 74, tcpLength - 20);
        }
        assertArrayEquals(payload, reassembled.toByteArray());
    }

    @Test
    void completesPartialChecksumOfPlainFrame()
    {
        final byte[] payload = random(new Random(4), 777);
        final byte[] frame = tcp4(MAC_B, MAC_A, SRC, DST, payload, VnetHeader.GSO_NONE, 0, 0x18);
        assertNull(framer.frame(new UnsafeBuffer(frame), 0, frame.length, sink));
        assertEquals(1, out.size());
        final byte[] s = out.get(0);
        final int tcpLength = s.length - 34;
        assertEquals(0, referenceChecksum(s, 34, tcpLength, referencePseudo4(SRC, DST, 6, tcpLength)));
        // Everything but the checksum field is untouched.
        s[34 + 16] = frame[10 + 34 + 16];
        s[34 + 17] = frame[10 + 34 + 17];
        assertArrayEquals(Arrays.copyOfRange(frame, 10, frame.length), s);
    }

    @Test
    void copiesPlainFrameUnchanged()
    {
        final byte[] frame = udp4(MAC_B, MAC_A, SRC, DST, random(new Random(5), 100));
        assertNull(framer.frame(new UnsafeBuffer(frame), 0, frame.length, sink));
        assertArrayEquals(Arrays.copyOfRange(frame, 10, frame.length), out.get(0));
    }

    @Test
    void aSegmentWithoutRoomIsSkippedAndTheRestStillGo()
    {
        final byte[] payload = random(new Random(6), 5000);
        final byte[] frame = tcp4(MAC_B, MAC_A, SRC, DST, payload, VnetHeader.GSO_TCPV4, 1000, 0x10);
        sink.refuse.add(1);
        assertNull(framer.frame(new UnsafeBuffer(frame), 0, frame.length, sink));
        assertEquals(5, sink.claims);
        assertEquals(4, out.size());
        assertEquals(4, framer.segments());
        final int[] expectedSeq = {0, 2000, 3000, 4000};
        for (int i = 0; i < out.size(); i++)
        {
            assertEquals(0x7000_0000 + expectedSeq[i], s32(out.get(i), 14 + 20 + 4), "seq of kept segment " + i);
        }
    }

    @Test
    void aPlainFrameWithoutRoomIsNotWritten()
    {
        final byte[] frame = udp4(MAC_B, MAC_A, SRC, DST, random(new Random(7), 100));
        sink.refuse.add(0);
        assertNull(framer.frame(new UnsafeBuffer(frame), 0, frame.length, sink), "the sink counts it, not the framer");
        assertTrue(out.isEmpty());
    }

    @Test
    void refusesWhatItCannotDo()
    {
        final UnsafeBuffer big = new UnsafeBuffer(udp4(MAC_B, MAC_A, SRC, DST, new byte[1500]));
        assertEquals(TxDrop.INNER_TOO_LONG, framer.frame(big, 0, big.capacity(), sink));

        final byte[] udpGso = udp4(MAC_B, MAC_A, SRC, DST, new byte[3000]);
        udpGso[1] = (byte)VnetHeader.GSO_UDP;
        assertEquals(TxDrop.UNSUPPORTED_GSO, framer.frame(new UnsafeBuffer(udpGso), 0, udpGso.length, sink));

        final byte[] badStart = tcp4(MAC_B, MAC_A, SRC, DST, new byte[100], VnetHeader.GSO_NONE, 0, 0x10);
        badStart[6] = (byte)0xF0; // csum_start beyond the frame
        assertEquals(TxDrop.BAD_OFFLOAD, framer.frame(new UnsafeBuffer(badStart), 0, badStart.length, sink));

        final byte[] zeroGso = tcp4(MAC_B, MAC_A, SRC, DST, new byte[3000], VnetHeader.GSO_TCPV4, 0, 0x10);
        assertEquals(TxDrop.BAD_OFFLOAD, framer.frame(new UnsafeBuffer(zeroGso), 0, zeroGso.length, sink));

        assertEquals(TxDrop.TOO_SHORT, framer.frame(new UnsafeBuffer(new byte[20]), 0, 20, sink));
        assertTrue(out.isEmpty());
    }
}
