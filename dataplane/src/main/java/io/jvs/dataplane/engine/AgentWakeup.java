package io.jvs.dataplane.engine;

import io.jvs.tap.EventFd;

import java.util.Arrays;

/**
 * Wakes an agent thread asleep in epoll_wait when a command is queued for it, and only then: the agent raises
 * {@link #prepareToSleep a flag} before it sleeps and looks at its command queues once more after raising it; a
 * submitter queues first and signals the eventfd only if it sees the flag (Dekker's handshake over two volatiles,
 * so no wake-up is lost and a busy agent costs its submitters no syscall). A signal that races with the agent waking
 * costs one spurious wake, nothing else.
 * <p>
 * The eventfd is opened on the first {@link #fd()} (the agent adding it to its epoll set), so an idle strategy made
 * only to validate a name holds no descriptor. One per agent thread; in the shared threading mode both agents'
 * queues {@link CommandQueue#wakeUp wake} the one thread. Frames other forwarding lanes hand over wake it the same
 * way ({@link #alsoWakeFor}, {@link #onWork}), once per batch that handed it frames.
 */
public final class AgentWakeup implements AutoCloseable
{
    private volatile boolean sleeping;
    private volatile boolean stopped;
    private volatile CommandQueue[] queues = new CommandQueue[0];
    private volatile PendingWork pendingWork;

    /** Work for the agent that no watched fd shows (frames other lanes handed over). */
    @FunctionalInterface
    public interface PendingWork
    {
        boolean pending();
    }

    /** Control thread (setup): the agent must not sleep while {@code work} is pending; producers call {@link #onWork}. */
    public void alsoWakeFor(final PendingWork work)
    {
        pendingWork = work;
    }

    /** Any thread, after making work {@link #alsoWakeFor pending}: wakes the agent if it sleeps or is about to. */
    public void onWork()
    {
        onCommand();
    }
    private volatile EventFd eventFd;

    /** Control thread (setup): the queue's commands wake this agent. */
    synchronized void register(final CommandQueue queue)
    {
        final CommandQueue[] old = queues;
        final CommandQueue[] updated = Arrays.copyOf(old, old.length + 1);
        updated[old.length] = queue;
        queues = updated;
    }

    /** Any thread, after queueing a command: wakes the agent if it sleeps or is about to. */
    void onCommand()
    {
        if (sleeping)
        {
            signal();
        }
    }

    /** The agent is stopping: wake it, and never let it sleep in epoll again (it parks, which interrupts end). */
    void stop()
    {
        stopped = true;
        signal();
    }

    private void signal()
    {
        final EventFd fd = eventFd;
        if (null != fd)
        {
            fd.signal();
        }
    }

    /** Agent thread: the eventfd to watch in its epoll set (opened now if not yet). */
    synchronized int fd()
    {
        if (null == eventFd)
        {
            eventFd = new EventFd();
        }
        return eventFd.fd();
    }

    /**
     * Agent thread, just before epoll_wait: raises the flag, then checks nothing is queued.
     *
     * @return false if the agent must not sleep (a command waits, or it is stopping); the flag is down again then.
     */
    boolean prepareToSleep()
    {
        sleeping = true;
        if (stopped || anyQueued())
        {
            sleeping = false;
            return false;
        }
        return true;
    }

    /** Agent thread, after epoll_wait returned. */
    void awake()
    {
        sleeping = false;
    }

    /** Agent thread: the eventfd was reported readable, make it unreadable. */
    void clear()
    {
        final EventFd fd = eventFd;
        if (null != fd)
        {
            fd.clear();
        }
    }

    boolean stopped()
    {
        return stopped;
    }

    private boolean anyQueued()
    {
        final CommandQueue[] queues = this.queues;
        for (int i = 0; i < queues.length; i++)
        {
            if (queues[i].hasQueued())
            {
                return true;
            }
        }
        final PendingWork work = pendingWork;
        return null != work && work.pending();
    }

    /** Agent thread, on close: later signals do nothing. */
    @Override
    public synchronized void close()
    {
        stopped = true;
        if (null != eventFd)
        {
            eventFd.close();
        }
    }
}
