package io.jvs.dataplane.engine;

import io.jvs.tap.Epoll;
import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Idles by spinning, then yielding, then sleeping in epoll_wait on the agent's {@link Epoll} set (every port's fd
 * and an eventfd commands signal, {@link AgentWakeup}), so an idle switch costs no CPU, the next frame wakes it at
 * once, and so does the next command.
 * <p>
 * The spin phase lasts a time window after the last work ({@link #DEFAULT_SPIN_NANOS}, or "poll:MICROS"),
 * not a count: waking from epoll_wait costs tens of microseconds on an idle core (CPU idle-state exit plus the
 * scheduler), so a request/response exchange whose next frame comes within the window never pays it. The price
 * is at most one window of CPU per burst of traffic.
 * <p>
 * The sleep's timeout is the agent's to choose ({@link #sleepOn}): long ({@link #IDLE_TIMEOUT_MILLIS}) when every
 * port can wake the thread, so that only the duty cycle's clocks (MAC aging, ARP retries, kernel drop counts) wake an
 * idle switch; {@link #POLL_TIMEOUT_MILLIS} when some port cannot (no fd: in-memory ports; a shared link's port with
 * frames of its own). With no epoll set, or no watched fd at all, the last phase parks with an exponential backoff up
 * to {@link #MAX_PARK_NANOS}. Not thread safe: the agent thread that idles also calls {@link #sleepOn}.
 */
public final class PollIdleStrategy implements IdleStrategy
{
    public static final String ALIAS = "poll";
    /** Spin window after the last work: longer than a round trip through the switch and a container stack. */
    public static final long DEFAULT_SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    public static final int YIELDS = 20;
    /**
     * Sleep bound when every port wakes the thread: the finest clock of the duty cycle is the ARP retry (1 s), MAC
     * aging steps catch up however late they run, and a command wakes the thread through its eventfd.
     */
    public static final int IDLE_TIMEOUT_MILLIS = 100;
    /** Sleep bound while a port without a wake-up fd is attached: how late its frames may be seen. */
    public static final int POLL_TIMEOUT_MILLIS = 10;
    public static final long MIN_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(1);
    public static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** epoll data of the wake-up eventfd; port ids are positive. */
    public static final int WAKEUP_DATA = -1;

    private final long spinNanos;
    private final AgentWakeup wakeup = new AgentWakeup();
    private Epoll epoll;
    private Epoll epollWithWakeup;
    private int timeoutMillis;
    private long spinStartNanos;
    private boolean spinning;
    private int yields;
    private long parkNanos = MIN_PARK_NANOS;
    /** Written by the agent thread only; volatile so tests and diagnostics on other threads see them. */
    private volatile long polls;
    private volatile long wakeups;

    public PollIdleStrategy()
    {
        this(DEFAULT_SPIN_NANOS);
    }

    /** @param spinNanos how long to spin after the last work before yielding, then polling (0: no spinning). */
    public PollIdleStrategy(final long spinNanos)
    {
        if (spinNanos < 0)
        {
            throw new IllegalArgumentException("spinNanos=" + spinNanos);
        }
        this.spinNanos = spinNanos;
    }

    /** What the agents' {@link CommandQueue}s signal ({@link CommandQueue#wakeUp}) so commands end a sleep. */
    public AgentWakeup wakeup()
    {
        return wakeup;
    }

    /**
     * Agent thread: sleep in {@code epoll} (the eventfd of {@link #wakeup()} is added to it, with
     * {@link #WAKEUP_DATA}) for at most {@code timeoutMillis}; null: park instead (nothing can wake the thread).
     */
    public void sleepOn(final Epoll epoll, final int timeoutMillis)
    {
        if (null != epoll && epoll != epollWithWakeup)
        {
            epoll.add(wakeup.fd(), WAKEUP_DATA);
            epollWithWakeup = epoll;
        }
        this.epoll = epoll;
        this.timeoutMillis = timeoutMillis;
    }

    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
        }
        else
        {
            idle();
        }
    }

    public void idle()
    {
        if (!spinning)
        {
            spinning = true;
            spinStartNanos = System.nanoTime();
        }
        if (System.nanoTime() - spinStartNanos < spinNanos)
        {
            Thread.onSpinWait();
        }
        else if (yields < YIELDS)
        {
            yields++;
            Thread.yield();
        }
        else if (null != epoll && !wakeup.stopped())
        {
            sleep();
        }
        else
        {
            LockSupport.parkNanos(parkNanos);
            parkNanos = Math.min(parkNanos << 1, MAX_PARK_NANOS);
        }
    }

    private void sleep()
    {
        if (!wakeup.prepareToSleep())
        {
            return; // a command waits: back to the duty cycle at once
        }
        final int ready;
        try
        {
            polls++;
            ready = epoll.await(timeoutMillis);
        }
        finally
        {
            wakeup.awake();
        }
        for (int i = 0; i < ready; i++)
        {
            if (epoll.data(i) == WAKEUP_DATA)
            {
                wakeups++;
                wakeup.clear();
                break;
            }
        }
    }

    public void reset()
    {
        spinning = false;
        yields = 0;
        parkNanos = MIN_PARK_NANOS;
    }

    public long spinNanos()
    {
        return spinNanos;
    }

    public String alias()
    {
        return ALIAS;
    }

    /** Number of epoll_wait sleeps so far (for tests and diagnostics). */
    public long polls()
    {
        return polls;
    }

    /** Sleeps a command's eventfd signal ended (for tests and diagnostics). */
    public long wakeups()
    {
        return wakeups;
    }

    /** The timeout of the next sleep (for tests and diagnostics). */
    public int timeoutMillis()
    {
        return timeoutMillis;
    }

    /** Agent thread, on close: closes the eventfd; the agent closes its epoll set. */
    public void close()
    {
        epoll = null;
        epollWithWakeup = null;
        wakeup.close();
    }
}
