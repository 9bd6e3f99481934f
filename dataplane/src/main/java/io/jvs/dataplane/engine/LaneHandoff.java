package io.jvs.dataplane.engine;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;

/**
 * The rings between forwarding lanes: one single-producer, single-consumer ring per ordered pair of lanes, so a
 * frame for a port another lane owns leaves without a lock. A record is a {@link FrameRecord} (RX time, virtio_net
 * header, frame) whose msgTypeId is the egress port; the owning lane offers it to that port, its bridge domain
 * already decided by the lane that received it. Each lane's {@link AgentWakeup} is told once per batch that handed
 * it frames, so a sleeping lane wakes at once (and a busy one costs its producers no syscall).
 * <pre>
 *   lane a ForwardingAgent --ring[a][b]--> lane b ForwardingAgent --offer()--> port owned by b
 * </pre>
 */
public final class LaneHandoff
{
    /** Most lanes: a port's owner is kept in a byte. */
    public static final int MAX_LANES = 64;
    /** Each pair's ring: room for ~60 GSO frames of 64 KB or ~2,000 MTU frames while the other lane is busy. */
    public static final int DEFAULT_RING_BYTES = 4 * 1024 * 1024;

    private static final LaneHandoff SINGLE = new LaneHandoff(1, DEFAULT_RING_BYTES);

    private final int lanes;
    /** [from][to]; null on the diagonal. */
    private final RingBuffer[][] rings;
    private final AtomicBuffer[][] buffers;
    private final int[][] maxRecordLength;
    /** [to][from]: what each lane reads. */
    private final InPlaceRingReader[][] readers;
    /** [from][to]: frames committed since from's last batch end (written by from's thread only). */
    private final boolean[][] toRing;
    private final AgentWakeup[] wakeups;

    /** @param ringBytes capacity of each pair's ring (a power of two). */
    public LaneHandoff(final int lanes, final int ringBytes)
    {
        if (lanes < 1 || lanes > MAX_LANES)
        {
            throw new IllegalArgumentException("lanes=" + lanes + " not in [1, " + MAX_LANES + "]");
        }
        this.lanes = lanes;
        rings = new RingBuffer[lanes][lanes];
        buffers = new AtomicBuffer[lanes][lanes];
        maxRecordLength = new int[lanes][lanes];
        readers = new InPlaceRingReader[lanes][lanes];
        toRing = new boolean[lanes][lanes];
        wakeups = new AgentWakeup[lanes];
        for (int from = 0; from < lanes; from++)
        {
            for (int to = 0; to < lanes; to++)
            {
                if (from != to)
                {
                    final RingBuffer ring = new OneToOneRingBuffer(new UnsafeBuffer(
                        ByteBuffer.allocateDirect(ringBytes + RingBufferDescriptor.TRAILER_LENGTH)));
                    rings[from][to] = ring;
                    buffers[from][to] = ring.buffer();
                    maxRecordLength[from][to] = ring.maxMsgLength();
                    readers[to][from] = new InPlaceRingReader(ring);
                }
            }
        }
    }

    /** One lane: nothing to hand off (shared, holds no rings). */
    public static LaneHandoff single()
    {
        return SINGLE;
    }

    public int lanes()
    {
        return lanes;
    }

    /** What wakes the lane when frames are handed to it (a lane whose idle strategy never blocks has none). */
    public void wakeup(final int lane, final AgentWakeup wakeup)
    {
        wakeups[lane] = wakeup;
    }

    /**
     * Lane {@code from} hands a frame ({@code [virtio_net_hdr][frame]}) to lane {@code to} for {@code egress}.
     *
     * @return false when the ring has no room (the caller counts a TX drop on the egress port).
     */
    boolean offer(final int from, final int to, final int egress, final long rxTime, final DirectBuffer buffer,
        final int offset, final int length)
    {
        final int recordLength = FrameRecord.HEADER_LENGTH + length;
        if (recordLength > maxRecordLength[from][to])
        {
            return false;
        }
        final RingBuffer ring = rings[from][to];
        final int index = ring.tryClaim(egress, recordLength);
        if (index == RingBuffer.INSUFFICIENT_CAPACITY)
        {
            return false;
        }
        final AtomicBuffer out = buffers[from][to];
        out.putLong(index + FrameRecord.RX_TIME_OFFSET, rxTime);
        out.putBytes(index + FrameRecord.VNET_HEADER_OFFSET, buffer, offset, length);
        ring.commit(index);
        toRing[from][to] = true;
        return true;
    }

    /** Lane {@code from} at the end of a batch: wakes each lane it handed frames to, if that lane sleeps. */
    void wakeLanes(final int from)
    {
        if (lanes == 1)
        {
            return;
        }
        final boolean[] pending = toRing[from];
        for (int to = 0; to < lanes; to++)
        {
            if (pending[to])
            {
                pending[to] = false;
                final AgentWakeup wakeup = wakeups[to];
                if (null != wakeup)
                {
                    wakeup.onWork();
                }
            }
        }
    }

    /** Readers of the rings into {@code lane}, by source lane (null for itself). */
    InPlaceRingReader[] readers(final int lane)
    {
        return readers[lane];
    }

    /** Whether any ring into {@code lane} holds frames (the sleeper's last look before blocking). */
    public boolean hasFramesFor(final int lane)
    {
        for (int from = 0; from < lanes; from++)
        {
            final RingBuffer ring = rings[from][lane];
            if (null != ring && ring.producerPosition() != ring.consumerPosition())
            {
                return true;
            }
        }
        return false;
    }

    /** Any thread: whether every frame committed to any ring before {@code producedBefore} was read (sync barrier). */
    public boolean drained(final long[][] producedBefore)
    {
        for (int from = 0; from < lanes; from++)
        {
            for (int to = 0; to < lanes; to++)
            {
                final RingBuffer ring = rings[from][to];
                if (null != ring && ring.consumerPosition() < producedBefore[from][to])
                {
                    return false;
                }
            }
        }
        return true;
    }

    /** Any thread: every ring's producer position now. */
    public long[][] producerPositions()
    {
        final long[][] positions = new long[lanes][lanes];
        for (int from = 0; from < lanes; from++)
        {
            for (int to = 0; to < lanes; to++)
            {
                final RingBuffer ring = rings[from][to];
                positions[from][to] = null == ring ? 0 : ring.producerPosition();
            }
        }
        return positions;
    }

    /** Bytes waiting in rings and their capacity, summed over pairs (engine stats). */
    public long size()
    {
        long size = 0;
        for (final RingBuffer[] row : rings)
        {
            for (final RingBuffer ring : row)
            {
                size += null == ring ? 0 : ring.size();
            }
        }
        return size;
    }
}
