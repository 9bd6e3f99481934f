package io.jvs.tap;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;

/**
 * Frames a port makes on one thread and hands over as received on another: ARP replies a virtual port answers on
 * the transmitting thread (a VXLAN tunnel port for remote endpoints, ipvlan l3 for the containers' gateway), drained
 * by the port's {@code receive} on the receiving thread. Each record is {@code [virtio_net_hdr][frame]}, as a
 * {@link FrameHandler} wants it. (Frames off a socket several ports share do not pass here: a {@link SharedLink}
 * hands them to the switch with their port's id.)
 * <p>
 * Single producer, single consumer (an Agrona OneToOneRingBuffer). {@link #isEmpty} is exact when both are one
 * thread, and only a hint when the producer is another; {@link #drain} is the truth.
 */
public final class StagingRing implements MessageHandler
{
    private static final int MSG_TYPE = 1;

    private final RingBuffer ring;
    private FrameHandler handler;
    private long staged;
    private long drained;

    /** @param capacity bytes, a power of two (records carry an 8-byte header and are 8-byte aligned). */
    public StagingRing(final int capacity)
    {
        ring = new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(capacity + RingBufferDescriptor.TRAILER_LENGTH)));
    }

    /**
     * Reserves room for one record of {@code length} bytes (virtio_net_hdr plus frame).
     *
     * @return index into {@link #buffer()} where the record starts, or a value &lt;= 0 when full.
     */
    public int claim(final int length)
    {
        return ring.tryClaim(MSG_TYPE, length);
    }

    public MutableDirectBuffer buffer()
    {
        return ring.buffer();
    }

    public void commit(final int index)
    {
        ring.commit(index);
        staged++;
    }

    /** Copies one record. @return false when the ring is full (the caller counts the drop). */
    public boolean stage(final DirectBuffer buffer, final int offset, final int length)
    {
        final int index = claim(length);
        if (index <= 0)
        {
            return false;
        }
        ring.buffer().putBytes(index, buffer, offset, length);
        commit(index);
        return true;
    }

    /** True when nothing was staged since the last drain (exact on the single polling thread). */
    public boolean isEmpty()
    {
        return staged == drained;
    }

    /** Hands up to {@code limit} staged records to the handler. @return records handed over. */
    public int drain(final FrameHandler handler, final int limit)
    {
        this.handler = handler;
        try
        {
            final int n = ring.read(this, limit);
            drained += n;
            return n;
        }
        finally
        {
            this.handler = null;
        }
    }

    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        handler.onFrame(buffer, index, length);
    }

    /** Largest record that fits. */
    public int maxLength()
    {
        return ring.maxMsgLength();
    }
}
