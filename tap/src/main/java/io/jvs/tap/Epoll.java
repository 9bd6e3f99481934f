package io.jvs.tap;

import jnr.ffi.Pointer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.jvs.tap.Native.LIBC;

/**
 * An epoll set (epoll_create1, level-triggered EPOLLIN): the descriptors a thread waits on, each added and removed
 * on its own as ports come and go, with an int of the caller's (a port id) handed back for each ready one. A wait
 * costs what is ready, not what is watched, unlike poll(2) over every descriptor.
 * <p>
 * Level-triggered on purpose: a packet socket with frames left in its RX ring stays ready (packet_poll looks at the
 * ring), so a reader that stops early still hears of it at the next wait. Not thread safe: one owning thread adds,
 * removes and waits. The event arrays live in native memory allocated once; {@link #await} allocates nothing.
 */
public final class Epoll implements AutoCloseable
{
    private final int maxEvents;
    private final Pointer eventsPointer;
    private final UnsafeBuffer events;
    /** The one struct epoll_event epoll_ctl reads on an add. */
    private final Pointer controlPointer;
    private final UnsafeBuffer control;
    private final int fd;
    private int watched;
    private int ready;
    private boolean closed;

    /** @param maxEvents ready descriptors reported per {@link #await} at most (the rest at the next one). */
    public Epoll(final int maxEvents)
    {
        if (maxEvents <= 0)
        {
            throw new IllegalArgumentException("maxEvents=" + maxEvents);
        }
        this.maxEvents = maxEvents;
        this.eventsPointer = Native.allocate(maxEvents * EpollEventDescriptor.LENGTH);
        this.events = new UnsafeBuffer(eventsPointer.address(), maxEvents * EpollEventDescriptor.LENGTH);
        this.controlPointer = Native.allocate(EpollEventDescriptor.LENGTH);
        this.control = new UnsafeBuffer(controlPointer.address(), EpollEventDescriptor.LENGTH);
        this.fd = LIBC.epoll_create1(EpollEventDescriptor.EPOLL_CLOEXEC);
        if (fd < 0)
        {
            throw Native.failure("epoll_create1", "EPOLL_CLOEXEC");
        }
    }

    /** Watches {@code fd} for readability; {@link #data} reports {@code data} when it is ready. */
    public void add(final int fd, final int data)
    {
        ensureOpen();
        control.putInt(EpollEventDescriptor.EVENTS_OFFSET, EpollEventDescriptor.EPOLLIN);
        control.putLong(EpollEventDescriptor.DATA_OFFSET, data & 0xFFFF_FFFFL);
        if (LIBC.epoll_ctl(this.fd, EpollEventDescriptor.EPOLL_CTL_ADD, fd, controlPointer) < 0)
        {
            throw Native.failure("epoll_ctl(ADD)", "fd " + fd);
        }
        watched++;
    }

    /**
     * Stops watching {@code fd}: call it before the descriptor is closed (a close drops it only when no duplicate of
     * the descriptor is left).
     *
     * @return false if it was not watched (any more): not in the set (ENOENT), or already closed (EBADF).
     */
    public boolean remove(final int fd)
    {
        ensureOpen();
        if (LIBC.epoll_ctl(this.fd, EpollEventDescriptor.EPOLL_CTL_DEL, fd, controlPointer) < 0)
        {
            final int errno = Native.errno();
            if (errno != Native.ENOENT && errno != Native.EBADF)
            {
                throw new NativeException("epoll_ctl(DEL)", errno, "fd " + fd);
            }
            watched = Math.max(0, watched - 1); // gone with its close, or never added: not watched either way
            return false;
        }
        watched--;
        return true;
    }

    /**
     * Waits until a descriptor is readable or the timeout passes (0: just looks, -1: no timeout).
     *
     * @return the number of ready descriptors, read with {@link #data}; 0 on timeout (EINTR counts as 0).
     */
    public int await(final int timeoutMillis)
    {
        ensureOpen();
        final int n = LIBC.epoll_wait(fd, eventsPointer, maxEvents, timeoutMillis);
        if (n < 0)
        {
            ready = 0;
            final int errno = Native.errno();
            if (errno == Native.EINTR)
            {
                return 0;
            }
            throw new NativeException("epoll_wait", errno, watched + " fds");
        }
        ready = n;
        return n;
    }

    /** The data added with the {@code index}th ready descriptor of the last {@link #await}. */
    public int data(final int index)
    {
        checkIndex(index);
        return events.getInt(index * EpollEventDescriptor.LENGTH + EpollEventDescriptor.DATA_OFFSET);
    }

    /** The epoll events (EPOLLIN 1, EPOLLERR 8, EPOLLHUP 0x10) of the {@code index}th ready descriptor. */
    public int events(final int index)
    {
        checkIndex(index);
        return events.getInt(index * EpollEventDescriptor.LENGTH + EpollEventDescriptor.EVENTS_OFFSET);
    }

    /** Descriptors watched now. */
    public int watched()
    {
        return watched;
    }

    public int maxEvents()
    {
        return maxEvents;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            ready = 0;
            LIBC.close(fd);
        }
    }

    private void checkIndex(final int index)
    {
        if (index < 0 || index >= ready)
        {
            throw new IndexOutOfBoundsException("index=" + index + " ready=" + ready);
        }
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("epoll closed");
        }
    }
}
