package io.jvs.tap;

import jnr.ffi.Pointer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.jvs.tap.Native.LIBC;

/**
 * An eventfd (non-blocking, close-on-exec): any thread {@link #signal}s, the thread that waits on it in an
 * {@link Epoll} set sees it readable until it {@link #clear}s it. How a command wakes an agent sleeping in
 * epoll_wait at once rather than at the wait's timeout.
 * <p>
 * {@link #signal} and {@link #close} hold this object's lock, so a late signal never writes to a closed (and
 * perhaps reused) descriptor number; {@link #clear} is for the one waiting thread.
 */
public final class EventFd implements AutoCloseable
{
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;
    private static final int COUNTER_LENGTH = 8;

    private final int fd;
    /** Holds 1: what each signal adds to the counter (read-only after construction, shared by signalling threads). */
    private final Pointer onePointer;
    /** Where {@link #clear} reads the counter into (the waiting thread's). */
    private final Pointer counterPointer;
    private boolean closed;

    public EventFd()
    {
        onePointer = Native.allocate(COUNTER_LENGTH);
        new UnsafeBuffer(onePointer.address(), COUNTER_LENGTH).putLong(0, 1L);
        counterPointer = Native.allocate(COUNTER_LENGTH);
        fd = LIBC.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0)
        {
            throw Native.failure("eventfd", "EFD_NONBLOCK|EFD_CLOEXEC");
        }
    }

    public int fd()
    {
        return fd;
    }

    /** Any thread: makes the descriptor readable (no-op once closed). */
    public synchronized void signal()
    {
        if (!closed)
        {
            // Only EAGAIN (the counter at its maximum) can fail here, and the descriptor is readable then anyway.
            LIBC.write(fd, onePointer.address(), COUNTER_LENGTH);
        }
    }

    /** The waiting thread: makes it unreadable again. @return the signals since the last clear (0 if none). */
    public long clear()
    {
        final long n = LIBC.read(fd, counterPointer.address(), COUNTER_LENGTH);
        return n == COUNTER_LENGTH ? counterPointer.getLong(0) : 0;
    }

    @Override
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            LIBC.close(fd);
        }
    }
}
