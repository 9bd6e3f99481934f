package io.jvs.dataplane.testing;

import io.jvs.tap.EventFd;
import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import org.agrona.DirectBuffer;

/**
 * A {@link MemoryPort} with a real descriptor that is readable while frames wait, as a packet socket's fd is while
 * its RX ring holds frames (level-triggered): what the receive agent's epoll set and idle sleep see. Counts its
 * {@link #receive} calls, so a test can tell which ports a duty cycle read.
 */
public final class FdPort implements PacketPort
{
    private final MemoryPort inner;
    private final EventFd readable = new EventFd();
    private volatile long receives;

    public FdPort(final String name)
    {
        inner = new MemoryPort(name);
    }

    /** Any thread: queues a frame and makes the fd readable. */
    public void inject(final byte[] frame)
    {
        inner.inject(frame);
        readable.signal();
    }

    public long receives()
    {
        return receives;
    }

    public boolean isClosed()
    {
        return inner.isClosed();
    }

    public String name()
    {
        return inner.name();
    }

    public int fd()
    {
        return readable.fd();
    }

    public int receive(final FrameHandler handler, final int limit)
    {
        receives++;
        readable.clear(); // before reading: a frame injected meanwhile signals again, none is left unannounced
        final int n = inner.receive(handler, limit);
        if (inner.pendingRx() > 0)
        {
            readable.signal();
        }
        return n;
    }

    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        return inner.offer(buffer, offset, length);
    }

    public int flush()
    {
        return inner.flush();
    }

    public int maxFrameLength()
    {
        return inner.maxFrameLength();
    }

    public void close()
    {
        inner.close();
        readable.close();
    }
}
