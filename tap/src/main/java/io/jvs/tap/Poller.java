package io.jvs.tap;

/**
 * Blocks in poll(2) until one of a set of file descriptors is readable: how an idle agent sleeps without
 * adding latency to the next frame. Not thread safe; one per agent thread. Allocates only in {@link #set}.
 */
public final class Poller implements AutoCloseable
{
    public Poller(final int maxFds)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Replaces the set of descriptors watched for POLLIN. */
    public void set(final int[] fds, final int count)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /**
     * Waits until a descriptor is readable or the timeout passes.
     *
     * @return the number of ready descriptors, 0 on timeout (EINTR counts as 0).
     */
    public int await(final int timeoutMillis)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    @Override
    public void close()
    {
    }
}
