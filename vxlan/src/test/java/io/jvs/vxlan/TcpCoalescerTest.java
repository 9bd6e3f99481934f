package io.jvs.vxlan;

import io.jvs.tap.PortFrameHandler;
import io.jvs.tap.VnetHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.jvs.vxlan.Packets.*;
import static org.junit.jupiter.api.Assertions.*;

class TcpCoalescerTest
{
    private static final long MAC_A = 0x0200_0000_000AL;
    private static final long MAC_B = 0x0200_0000_000BL;
    private static final int SRC = 0x0A000001;
    private static final int DST = 0x0A000002;
    private static final int SEQ = 0x7000_0000;
    private static final int TCP = 14 + 20;

    private final TcpCoalescer coalescer = new TcpCoalescer();
    private final List<byte[]> out = new ArrayList<>();
    private static final int PORT = 3;

    private final List<Integer> ports = new ArrayList<>();
    private final PortFrameHandler handler = (portId, buffer, offset, length) ->
    {
        ports.add(portId);
        final byte[] f = new byte[length];
        buffer.getBytes(offset, f);
        out.add(f);
    };
    private final Random random = new Random(7);

    /** An inner frame (no vnet header): one TCP segment with a complete checksum. */
    private byte[] segment(final int seq, final byte[] payload, final int flags)
    {
        final byte[] f = Arrays.copyOfRange(tcp4(MAC_B, MAC_A, SRC, DST, payload, VnetHeader.GSO_NONE, 0, flags), 10,
            10 + 14 + 20 + 32 + payload.length);
        final ByteBuffer b = ByteBuffer.wrap(f);
        b.putInt(TCP + 4, seq);
        b.putShort(TCP + 16, (short)0);
        final int tcpLength = 32 + payload.length;
        b.putShort(TCP + 16, (short)referenceChecksum(f, TCP, tcpLength, referencePseudo4(SRC, DST, 6, tcpLength)));
        return f;
    }

    private boolean offer(final byte[] frame)
    {
        return offer(PORT, frame);
    }

    private boolean offer(final int portId, final byte[] frame)
    {
        return coalescer.offer(portId, new UnsafeBuffer(frame), 0, frame.length, handler);
    }

    private byte[][] payloads(final int n, final int size)
    {
        final byte[][] p = new byte[n][];
        for (int i = 0; i < n; i++)
        {
            p[i] = random(random, size);
        }
        return p;
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (final byte[] p : parts)
        {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    @Test
    void consecutiveSegmentsOfOneFlowBecomeOneGsoFrame()
    {
        final byte[][] p = payloads(5, 1000);
        for (int i = 0; i < 5; i++)
        {
            assertTrue(offer(segment(SEQ + 1000 * i, p[i], 0x10)), "segment " + i);
        }
        assertTrue(out.isEmpty(), "held until flushed");
        coalescer.flush(handler);
        assertEquals(1, out.size());
        assertArrayEquals(concat(p), tcpPayloadOf(out, SRC, DST, 1000));
        assertEquals(SEQ, ByteBuffer.wrap(out.get(0)).getInt(10 + TCP + 4), "the first segment's sequence number");
        assertEquals(5, coalescer.coalesced());
        assertEquals(1, coalescer.flushedFrames());
        assertFalse(coalescer.holding());
        assertEquals(List.of(PORT), ports, "handed over with its port");
    }

    @Test
    void theNextSegmentForAnotherPortIsNotMergedAndFlushesTheHeldFrameFirst()
    {
        final byte[][] p = payloads(3, 1000);
        assertTrue(offer(PORT, segment(SEQ, p[0], 0x10)));
        assertTrue(offer(PORT + 1, segment(SEQ + 1000, p[1], 0x10)), "held, for its own port");
        assertEquals(List.of(PORT), ports, "the first port's frame went on before it");
        assertTrue(offer(PORT, segment(SEQ + 2000, p[2], 0x10)));
        coalescer.flush(handler);
        assertEquals(List.of(PORT, PORT + 1, PORT), ports);
        assertEquals(0, coalescer.flushedFrames(), "nothing merged across ports");
        assertArrayEquals(concat(p), tcpPayloadOf(out, SRC, DST, 1000));
    }

    @Test
    void aSegmentThatDoesNotFollowFlushesTheHeldFrameFirst()
    {
        final byte[][] p = payloads(3, 1000);
        assertTrue(offer(segment(SEQ, p[0], 0x10)));
        assertTrue(offer(segment(SEQ + 2000, p[2], 0x10)), "a gap: starts a frame of its own");
        assertEquals(1, out.size(), "the first went on alone, before it");
        assertArrayEquals(p[0], tcpPayloadOf(out, SRC, DST, 1000));
        assertEquals(VnetHeader.GSO_NONE, out.get(0)[1], "one segment goes on as it came, checksum complete");
        coalescer.flush(handler);
        assertEquals(2, out.size());
    }

    @Test
    void aSegmentWithABadChecksumIsNeverMerged()
    {
        final byte[][] p = payloads(2, 1000);
        assertTrue(offer(segment(SEQ, p[0], 0x10)));
        final byte[] bad = segment(SEQ + 1000, p[1], 0x10);
        bad[bad.length - 1] ^= 1;
        assertFalse(offer(bad), "handed back to the caller, which delivers it as it is");
        assertEquals(1, out.size(), "and the held frame went on before it");
        assertFalse(coalescer.holding());
    }

    @Test
    void otherFlagsFragmentsAndSmallSegmentsAreNotHeld()
    {
        assertFalse(offer(segment(SEQ, random(random, 1000), 0x12)), "SYN");
        assertFalse(offer(segment(SEQ, random(random, 1000), 0x11)), "FIN");
        final byte[] noDf = segment(SEQ, random(random, 1000), 0x10);
        noDf[14 + 6] = 0;
        noDf[14 + 10] = 0;
        noDf[14 + 11] = 0;
        final int ipSum = referenceChecksum(noDf, 14, 20, 0);
        noDf[14 + 10] = (byte)(ipSum >>> 8);
        noDf[14 + 11] = (byte)ipSum;
        assertFalse(offer(noDf), "DF clear");
        assertFalse(offer(segment(SEQ, random(random, 100), 0x10)), "too small to start a frame");
        assertTrue(out.isEmpty());
        assertFalse(coalescer.holding());
    }

    @Test
    void pushOrAShorterSegmentIsTheLastOfAFrame()
    {
        final byte[][] p = payloads(2, 1000);
        assertTrue(offer(segment(SEQ, p[0], 0x10)));
        assertTrue(offer(segment(SEQ + 1000, p[1], 0x18)), "PSH joins, and closes the frame");
        final byte[] next = random(random, 1000);
        assertTrue(offer(segment(SEQ + 2000, next, 0x10)), "in sequence, but the frame was closed: a new one");
        assertEquals(1, out.size());
        assertArrayEquals(concat(p), tcpPayloadOf(out, SRC, DST, 1000));
        assertEquals(0x18, out.get(0)[10 + TCP + 13], "PSH carried by the coalesced frame");

        out.clear();
        assertTrue(offer(segment(SEQ + 3000, random(random, 600), 0x10)), "shorter: joins as the last");
        assertTrue(offer(segment(SEQ + 3600, random(random, 1000), 0x10)));
        assertEquals(1, out.size(), "the frame ending with the short segment went on");
        coalescer.flush(handler);
    }

    @Test
    void anotherFlowStartsAFrameOfItsOwn()
    {
        assertTrue(offer(segment(SEQ, random(random, 1000), 0x10)));
        final byte[] other = segment(SEQ + 1000, random(random, 1000), 0x10);
        other[TCP + 1] ^= 1; // source port
        final int tcpLength = other.length - TCP;
        other[TCP + 16] = 0;
        other[TCP + 17] = 0;
        final int sum = referenceChecksum(other, TCP, tcpLength, referencePseudo4(SRC, DST, 6, tcpLength));
        other[TCP + 16] = (byte)(sum >>> 8);
        other[TCP + 17] = (byte)sum;
        assertTrue(offer(other));
        assertEquals(1, out.size());
        coalescer.flush(handler);
        assertEquals(2, out.size());
    }
}
