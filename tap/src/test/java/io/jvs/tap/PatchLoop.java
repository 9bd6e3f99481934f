package io.jvs.tap;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A two-port "patch cable" for tests: every frame received on one port is offered to the other, on one
 * thread, until stopped or a deadline passes. Sleeps in a {@link Poller} when both ports are idle. Also
 * notes what crossed it: how many frames carried GSO, the largest frame, the vnet flags seen.
 */
final class PatchLoop implements AutoCloseable
{
    private static final int BATCH = 64;

    private final PacketPort a;
    private final PacketPort b;
    private final Thread thread;
    private final long deadlineNanos;
    private final Poller poller = new Poller(2);
    private volatile boolean running = true;
    private final boolean claiming;
    private volatile Throwable failure;

    volatile long frames;
    volatile long claimedFrames;
    volatile long abortedClaims;
    volatile long gsoFrames;
    volatile long needsCsumFrames;
    volatile long dropped;
    volatile int largestFrame;
    volatile int largestGsoSize;

    PatchLoop(final PacketPort a, final PacketPort b, final long maxMillis)
    {
        this(a, b, maxMillis, false);
    }

    /** @param claiming receive long frames into room the handler claims (FrameHandler.claim), as the switch does. */
    PatchLoop(final PacketPort a, final PacketPort b, final long maxMillis, final boolean claiming)
    {
        this.claiming = claiming;
        this.a = a;
        this.b = b;
        this.deadlineNanos = System.nanoTime() + maxMillis * 1_000_000L;
        poller.set(new int[] {a.fd(), b.fd()}, 2);
        thread = new Thread(this::run, "patch-" + a.name() + "-" + b.name());
        thread.setDaemon(true);
        thread.start();
    }

    private final class Forward implements FrameHandler
    {
        private final PacketPort to;
        /** Native memory, as the switch's ring is: a long frame offered from here may leave without a TX slot. */
        private final UnsafeBuffer claimed = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(70_000));
        private int claimedLength;

        Forward(final PacketPort to)
        {
            this.to = to;
        }

        @Override
        public int claim(final int length)
        {
            if (!claiming || length > claimed.capacity())
            {
                return NO_CLAIM;
            }
            claimedLength = length;
            return 0;
        }

        @Override
        public org.agrona.MutableDirectBuffer claimBuffer()
        {
            return claimed;
        }

        @Override
        public void commitClaim()
        {
            claimedFrames++;
            onFrame(claimed, 0, claimedLength);
        }

        @Override
        public void abortClaim()
        {
            abortedClaims++;
        }

        public void onFrame(final DirectBuffer buffer, final int offset, final int length)
        {
            frames++;
            final int gsoType = buffer.getByte(offset + VnetHeader.GSO_TYPE_OFFSET) & 0xFF;
            if (gsoType != VnetHeader.GSO_NONE)
            {
                gsoFrames++;
                largestGsoSize = Math.max(largestGsoSize, buffer.getShort(offset + VnetHeader.GSO_SIZE_OFFSET) & 0xFFFF);
            }
            if ((buffer.getByte(offset + VnetHeader.FLAGS_OFFSET) & VnetHeader.FLAG_NEEDS_CSUM) != 0)
            {
                needsCsumFrames++;
            }
            largestFrame = Math.max(largestFrame, length);
            if (!to.offer(buffer, offset, length))
            {
                dropped++;
            }
        }
    }

    private void run()
    {
        final FrameHandler toB = new Forward(b);
        final FrameHandler toA = new Forward(a);
        try
        {
            while (running && System.nanoTime() < deadlineNanos)
            {
                int work = a.receive(toB, BATCH);
                work += b.flush();
                work += b.receive(toA, BATCH);
                work += a.flush();
                if (work == 0)
                {
                    poller.await(1);
                }
            }
        }
        catch (final Throwable t)
        {
            failure = t;
        }
    }

    @Override
    public void close()
    {
        running = false;
        try
        {
            thread.join(5000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        poller.close();
        if (failure != null)
        {
            throw new AssertionError("patch loop failed", failure);
        }
        if (thread.isAlive())
        {
            throw new AssertionError("patch loop did not stop");
        }
    }

    public String toString()
    {
        return "frames=" + frames + " claimed=" + claimedFrames + " abortedClaims=" + abortedClaims + " gso=" + gsoFrames + " needsCsum=" + needsCsumFrames + " dropped=" + dropped +
            " largestFrame=" + largestFrame + " largestGsoSize=" + largestGsoSize;
    }
}
