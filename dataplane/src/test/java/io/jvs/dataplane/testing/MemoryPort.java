package io.jvs.dataplane.testing;

import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * In-memory {@link PacketPort}: tests inject frames ([vnet hdr][Ethernet]) into {@link #inject} and read what the
 * switch sent from {@link #sent()}. Offered frames become visible only at {@link #flush()}, as on a real port.
 */
public final class MemoryPort implements PacketPort
{
    /** Frames handed to the receive handler start here, to catch code that assumes offset 0. */
    public static final int RX_OFFSET = 3;

    private final String name;
    private final ConcurrentLinkedQueue<byte[]> rx = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<byte[]> tx = new ConcurrentLinkedQueue<>();
    private final List<byte[]> pending = new ArrayList<>();
    private final UnsafeBuffer rxBuffer = new UnsafeBuffer(new byte[70_000]);
    private volatile int claimFrom = Integer.MAX_VALUE;
    private volatile long claimedFrames;
    private final AtomicInteger flushes = new AtomicInteger();
    private volatile int txLimit = Integer.MAX_VALUE;
    private volatile int maxFrameLength = 65_550;
    private volatile RuntimeException offerFailure;
    private volatile boolean closed;

    private volatile long kernelDrops;

    public MemoryPort(final String name)
    {
        this.name = name;
    }

    /** Hands frames of at least this length over through FrameHandler.claim, as a packet socket does long frames. */
    public void claimFrom(final int length)
    {
        claimFrom = length;
    }

    /** Frames handed over through a claim (not onFrame). */
    public long claimedFrames()
    {
        return claimedFrames;
    }

    public void inject(final byte[] frame)
    {
        rx.add(frame);
    }

    public ConcurrentLinkedQueue<byte[]> sent()
    {
        return tx;
    }

    public int flushes()
    {
        return flushes.get();
    }

    /** Frames accepted between flushes before offer says no room. */
    public void txLimit(final int limit)
    {
        txLimit = limit;
    }

    public void maxFrameLength(final int length)
    {
        maxFrameLength = length;
    }

    /** Makes offer throw (null: stop). */
    public void failOffers(final RuntimeException failure)
    {
        offerFailure = failure;
    }

    public boolean isClosed()
    {
        return closed;
    }

    public int pendingRx()
    {
        return rx.size();
    }

    public String name()
    {
        return name;
    }

    public int fd()
    {
        return -1;
    }

    public int receive(final FrameHandler handler, final int limit)
    {
        int n = 0;
        while (n < limit)
        {
            final byte[] frame = rx.poll();
            if (null == frame)
            {
                break;
            }
            n++;
            if (frame.length >= claimFrom)
            {
                final int at = handler.claim(frame.length);
                if (at != FrameHandler.NO_CLAIM)
                {
                    handler.claimBuffer().putBytes(at, frame);
                    handler.commitClaim();
                    claimedFrames++;
                    continue;
                }
            }
            rxBuffer.putBytes(RX_OFFSET, frame);
            handler.onFrame(rxBuffer, RX_OFFSET, frame.length);
        }
        return n;
    }

    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        final RuntimeException failure = offerFailure;
        if (null != failure)
        {
            throw failure;
        }
        if (pending.size() >= txLimit)
        {
            return false;
        }
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        pending.add(copy);
        return true;
    }

    public int flush()
    {
        final int n = pending.size();
        tx.addAll(pending);
        pending.clear();
        flushes.incrementAndGet();
        return n;
    }

    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    /** Stands in for the kernel dropping frames before the port saw them (cumulative). */
    public void kernelDrops(final long total)
    {
        kernelDrops = total;
    }

    @Override
    public long kernelDrops()
    {
        return kernelDrops;
    }

    public void close()
    {
        closed = true;
    }
}
