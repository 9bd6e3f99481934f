package io.jvs.tap;

import jnr.ffi.Pointer;

import static io.jvs.tap.Native.LIBC;

/**
 * An eventfd(2): one thread {@link #signal}s, another sees its fd readable in poll(2) and {@link #drain}s it. How
 * one switch thread wakes another that sleeps on its ports' sockets. Non-blocking, closed on exec.
 */
public final class EventFd implements AutoCloseable
{
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;
    private static final int COUNTER_LENGTH = Long.BYTES;

    private final int fd;
    /** The 8-byte counter written and read; one per end, so signal and drain may run on different threads. */
    private final Pointer signalValue = Native.allocate(COUNTER_LENGTH);
    private final Pointer drainValue = Native.allocate(COUNTER_LENGTH);
    private volatile boolean closed;

    public EventFd()
    {
        fd = LIBC.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0)
        {
            throw Native.failure("eventfd", "wake-up counter");
        }
        signalValue.putLong(0, 1);
    }

    public int fd()
    {
        return fd;
    }

    /** Makes the fd readable (one write(2)); a full counter (never in practice) only means it is readable already. */
    public void signal()
    {
        if (!closed)
        {
            LIBC.write(fd, signalValue.address(), COUNTER_LENGTH);
        }
    }

    /** Resets the counter (one read(2)), so the fd polls readable again only after the next {@link #signal}. */
    public void drain()
    {
        if (!closed)
        {
            LIBC.read(fd, drainValue.address(), COUNTER_LENGTH);
        }
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            LIBC.close(fd);
        }
    }
}
