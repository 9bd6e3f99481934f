package io.jvs.tap;

import jnr.ffi.Pointer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.jvs.tap.Native.LIBC;

/**
 * Blocks in poll(2) until one of a set of file descriptors is readable: how an idle agent sleeps without
 * adding latency to the next frame. Not thread safe; one per agent thread. Allocates only in {@link #set}.
 * <p>
 * The pollfd array ({@link PollFdDescriptor}) lives in native memory allocated once in the constructor.
 */
public final class Poller implements AutoCloseable
{
    private final int maxFds;
    private final Pointer pollFdsPointer;
    private final UnsafeBuffer pollFds;
    private int count;
    private boolean closed;

    public Poller(final int maxFds)
    {
        if (maxFds <= 0)
        {
            throw new IllegalArgumentException("maxFds=" + maxFds);
        }
        this.maxFds = maxFds;
        this.pollFdsPointer = Native.allocate(maxFds * PollFdDescriptor.LENGTH);
        this.pollFds = new UnsafeBuffer(pollFdsPointer.address(), maxFds * PollFdDescriptor.LENGTH);
    }

    /** Replaces the set of descriptors watched for POLLIN. */
    public void set(final int[] fds, final int count)
    {
        ensureOpen();
        if (count < 0 || count > maxFds || count > fds.length)
        {
            throw new IllegalArgumentException("count=" + count + " maxFds=" + maxFds + " fds.length=" + fds.length);
        }
        for (int i = 0; i < count; i++)
        {
            final int at = i * PollFdDescriptor.LENGTH;
            pollFds.putInt(at + PollFdDescriptor.FD_OFFSET, fds[i]);
            pollFds.putShort(at + PollFdDescriptor.EVENTS_OFFSET, PollFdDescriptor.POLLIN);
            pollFds.putShort(at + PollFdDescriptor.REVENTS_OFFSET, (short)0);
        }
        this.count = count;
    }

    /**
     * Waits until a descriptor is readable or the timeout passes.
     *
     * @return the number of ready descriptors, 0 on timeout (EINTR counts as 0).
     */
    public int await(final int timeoutMillis)
    {
        ensureOpen();
        final int ready = LIBC.poll(pollFdsPointer, count, timeoutMillis);
        if (ready < 0)
        {
            final int errno = Native.errno();
            if (errno == Native.EINTR)
            {
                return 0;
            }
            throw new NativeException("poll", errno, count + " fds");
        }
        return ready;
    }

    /** poll revents of the {@code index}th descriptor after the last {@link #await}. */
    public int revents(final int index)
    {
        if (index < 0 || index >= count)
        {
            throw new IndexOutOfBoundsException("index=" + index + " count=" + count);
        }
        return pollFds.getShort(index * PollFdDescriptor.LENGTH + PollFdDescriptor.REVENTS_OFFSET) & 0xFFFF;
    }

    @Override
    public void close()
    {
        // Native memory goes with pollFdsPointer when collected; after close no call touches it.
        closed = true;
        count = 0;
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("poller closed");
        }
    }
}
