package io.jvs.dataplane.engine;

import io.jvs.dataplane.testing.Frames;
import io.jvs.dataplane.testing.MemoryPort;
import io.jvs.tap.VnetHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RecordDescriptor;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The receive agent alone, driven by hand on the test thread: ring records, NO_SPACE, TOO_LONG, RX_RING_FULL. */
class ReceiveAgentTest
{
    private static final int RING = 4096;

    private final OneToOneRingBuffer ring = new OneToOneRingBuffer(
        new UnsafeBuffer(ByteBuffer.allocateDirect(RING + RingBufferDescriptor.TRAILER_LENGTH)));
    private final SwitchCounters counters = new SwitchCounters();
    private final ReceiveAgent agent = new ReceiveAgent(ring, counters, 8, null);
    private final MemoryPort port = new MemoryPort("m0");

    @Test
    void writesRecordsWithPortIdAndRxTime()
    {
        agent.onPortAdded(7, port, 3);
        final byte[] frame = Frames.simple(0x0200_0000_0002L, 0x0200_0000_0001L, 42);
        port.inject(frame);
        final long before = System.nanoTime();
        assertEquals(1, agent.doWork());

        final List<byte[]> bodies = new ArrayList<>();
        final long[] rxTime = new long[1];
        assertEquals(1, ring.read((type, buffer, index, length) ->
        {
            assertEquals(7, type);
            rxTime[0] = buffer.getLong(index + FrameRecord.RX_TIME_OFFSET);
            final byte[] body = new byte[length - FrameRecord.HEADER_LENGTH];
            buffer.getBytes(index + FrameRecord.VNET_HEADER_OFFSET, body);
            bodies.add(body);
        }));
        assertArrayEquals(frame, bodies.get(0));
        assertTrue(rxTime[0] >= before && rxTime[0] <= System.nanoTime());
        assertEquals(1, counters.port(7, SwitchCounters.RX_PACKETS));
        assertEquals(frame.length - VnetHeader.LENGTH, counters.port(7, SwitchCounters.RX_BYTES));
    }

    @Test
    void longFramesReadIntoClaimedRoomMakeTheSameRecordsAsCopiedOnes()
    {
        agent.onPortAdded(7, port, 3);
        port.claimFrom(100);
        final byte[] small = Frames.simple(0x0200_0000_0002L, 0x0200_0000_0001L, 1);
        final byte[] large = Frames.simple(0x0200_0000_0002L, 0x0200_0000_0001L, 2);
        final byte[] longFrame = java.util.Arrays.copyOf(large, 300); // the ring's longest message is 512 bytes
        port.inject(small);
        port.inject(longFrame);
        final long before = System.nanoTime();
        assertEquals(2, agent.doWork());

        final List<byte[]> bodies = new ArrayList<>();
        assertEquals(2, ring.read((type, buffer, index, length) ->
        {
            assertEquals(7, type);
            final long rxTime = buffer.getLong(index + FrameRecord.RX_TIME_OFFSET);
            assertTrue(rxTime >= before - 1_000_000_000L && rxTime <= System.nanoTime(), "rx time " + rxTime);
            final byte[] body = new byte[length - FrameRecord.HEADER_LENGTH];
            buffer.getBytes(index + FrameRecord.VNET_HEADER_OFFSET, body);
            bodies.add(body);
        }));
        assertArrayEquals(small, bodies.get(0));
        assertArrayEquals(longFrame, bodies.get(1), "claimed: exactly the bytes the port wrote");
        assertEquals(1, port.claimedFrames(), "the long frame went through the claim");
        assertEquals(2, counters.port(7, SwitchCounters.RX_PACKETS));
        assertEquals(small.length + longFrame.length - 2 * VnetHeader.LENGTH, counters.port(7, SwitchCounters.RX_BYTES));
    }

    @Test
    void aClaimTheRingCannotGiveFallsBackToOnFrameAndItsDropCounters()
    {
        agent.onPortAdded(2, port, 1);
        port.claimFrom(1);
        port.inject(new byte[ring.maxMsgLength()]); // + record header > max message length: no claim
        agent.doWork();
        assertEquals(1, counters.portDrops(2, DropReason.TOO_LONG));

        // the ring is still empty: the claim is its first record, just past Agrona's record header
        assertEquals(RecordDescriptor.HEADER_LENGTH + FrameRecord.VNET_HEADER_OFFSET, agent.claim(200),
            "the too-long frame left nothing in the ring");
        agent.abortClaim();
        assertEquals(0, ring.read((type, buffer, index, length) -> { throw new AssertionError("aborted record read"); }));
        assertEquals(1, counters.port(2, SwitchCounters.RX_PACKETS), "only the too-long frame was counted");
    }

    @Test
    void countsNoSpaceWhenRingFullAndTooLong()
    {
        agent.onPortAdded(2, port, 1);
        final byte[] frame = Frames.simple(0x0200_0000_0002L, 0x0200_0000_0001L, 1);
        final int fits = RING / (((frame.length + FrameRecord.HEADER_LENGTH + 8) + 7) / 8 * 8);
        for (int i = 0; i < fits + 10; i++)
        {
            port.inject(frame);
        }
        while (agent.doWork() > 0)
        {
            // drain the port; nobody reads the ring
        }
        final long noSpace = counters.portDrops(2, DropReason.NO_SPACE);
        assertTrue(noSpace >= 10, "no_space=" + noSpace);
        assertEquals(noSpace, counters.bridgeDomainDrops(1, DropReason.NO_SPACE));
        assertEquals(fits + 10, counters.port(2, SwitchCounters.RX_PACKETS));

        port.inject(new byte[ring.maxMsgLength()]); // + record header > max message length
        agent.doWork();
        assertEquals(1, counters.portDrops(2, DropReason.TOO_LONG));
        assertEquals(1, counters.bridgeDomainDrops(1, DropReason.TOO_LONG));
    }

    @Test
    void aFullRingDoesNotAlwaysStarveTheLastPort()
    {
        // A batch of the first port alone overflows the ring: before the round-robin scan, the second port's
        // frames found the ring full on every duty cycle and none of them ever reached it.
        final int batch = 64;
        final ReceiveAgent agent = new ReceiveAgent(ring, counters, batch, null);
        final MemoryPort first = new MemoryPort("first");
        final MemoryPort last = new MemoryPort("last");
        agent.onPortAdded(1, first, 1);
        agent.onPortAdded(2, last, 1);
        final byte[] frame = Frames.simple(0x0200_0000_0002L, 0x0200_0000_0001L, 1);
        final int fits = RING / (((frame.length + FrameRecord.HEADER_LENGTH + 8) + 7) / 8 * 8);
        assertTrue(fits < batch, "one batch overflows the ring: " + fits);

        final int[] records = new int[3];
        for (int cycle = 0; cycle < 4; cycle++)
        {
            for (int i = 0; i < batch; i++)
            {
                first.inject(frame);
                last.inject(frame);
            }
            agent.doWork();
            ring.read((type, buffer, index, length) -> records[type]++, Integer.MAX_VALUE);
        }
        assertTrue(records[1] > 0, "first port: " + records[1]);
        assertTrue(records[2] > 0, "last port: " + records[2]);
    }

    @Test
    void kernelDropsAreChargedToThePortAndItsBridgeDomainOnceEach()
    {
        port.kernelDrops(5); // before the switch took the port: not the switch's
        agent.onPortAdded(4, port, 2);
        port.kernelDrops(12);
        agent.collectKernelDrops();
        assertEquals(7, counters.portDrops(4, DropReason.RX_RING_FULL));
        assertEquals(7, counters.bridgeDomainDrops(2, DropReason.RX_RING_FULL));
        agent.collectKernelDrops();
        assertEquals(7, counters.portDrops(4, DropReason.RX_RING_FULL), "counted once");
        port.kernelDrops(20);
        final long deadline = System.nanoTime() + 5 * ReceiveAgent.KERNEL_DROPS_INTERVAL_NANOS;
        while (counters.portDrops(4, DropReason.RX_RING_FULL) < 15 && System.nanoTime() < deadline)
        {
            agent.doWork(); // the duty cycle collects them by itself now and then
        }
        assertEquals(15, counters.portDrops(4, DropReason.RX_RING_FULL));
    }
}
