package io.jvs.dataplane.engine;

import io.jvs.tap.Poller;
import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Idles by spinning, then yielding, then blocking in poll(2) on every port's fd with a short timeout, so an
 * idle switch costs no CPU, the next frame wakes it at once, and commands are still served within the timeout.
 * <p>
 * The spin phase lasts a time window after the last work ({@link #DEFAULT_SPIN_NANOS}, or "poll:MICROS"),
 * not a count: waking from poll(2) costs tens of microseconds on an idle core (CPU idle-state exit plus the
 * scheduler), so a request/response exchange whose next frame comes within the window never pays it. The price
 * is at most one window of CPU per burst of traffic.
 * <p>
 * Ports without a pollable fd (fd < 0, e.g. in-memory ports) cannot wake the thread: with none pollable the
 * last phase parks with an exponential backoff up to {@link #MAX_PARK_NANOS}.
 * The {@link Poller} is created on the first pollable fd. Not thread safe: the agent thread that idles also
 * calls {@link #watch}.
 */
public final class PollIdleStrategy implements IdleStrategy
{
    public static final String ALIAS = "poll";
    /** Spin window after the last work: longer than a round trip through the switch and a container stack. */
    public static final long DEFAULT_SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    public static final int YIELDS = 20;
    /** Bounds how long a command waits while the thread sleeps in poll(2). */
    public static final int POLL_TIMEOUT_MILLIS = 10;
    public static final long MIN_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(1);
    public static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    static final int MIN_POLLER_CAPACITY = 64;

    private Poller poller;
    private int pollerCapacity;
    private int fdCount;
    private final long spinNanos;
    private long spinStartNanos;
    private boolean spinning;
    private int yields;
    private long parkNanos = MIN_PARK_NANOS;
    private long polls;
    private Doorbell doorbell;
    private PendingWork pending;
    private int[] lastFds = new int[0];
    private int lastCount;

    /** Work the thread's agents have that no watched fd shows (frames other lanes handed over). */
    @FunctionalInterface
    public interface PendingWork
    {
        boolean pending();
    }

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

    /**
     * Also wake when {@code doorbell} rings (another lane handed this thread frames); {@code pending} is checked
     * after raising the doorbell's flag and before blocking, so no hand-off waits for the timeout.
     */
    public void wakeOn(final Doorbell doorbell, final PendingWork pending)
    {
        this.doorbell = doorbell;
        this.pending = pending;
        watch(lastFds, lastCount);
    }

    /** Replaces the watched descriptors; negative fds are skipped. Allocates (configuration path). */
    public void watch(final int[] fds, final int count)
    {
        lastFds = fds;
        lastCount = count;
        final int[] pollable = new int[count + 1];
        int n = 0;
        for (int i = 0; i < count; i++)
        {
            if (fds[i] >= 0)
            {
                pollable[n++] = fds[i];
            }
        }
        if (null != doorbell && n > 0)
        {
            pollable[n++] = doorbell.fd(); // without a port to poll the thread parks briefly and looks anyway
        }
        if (n > pollerCapacity && null != poller)
        {
            poller.close();
            poller = null;
        }
        if (n > 0 && null == poller)
        {
            pollerCapacity = Math.max(MIN_POLLER_CAPACITY, Integer.highestOneBit(n) << 1);
            poller = new Poller(pollerCapacity);
        }
        if (null != poller)
        {
            poller.set(pollable, n);
        }
        fdCount = n;
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
        else if (fdCount > 0)
        {
            polls++;
            if (null == doorbell)
            {
                poller.await(POLL_TIMEOUT_MILLIS);
            }
            else
            {
                doorbell.arm();
                if (!pending.pending())
                {
                    poller.await(POLL_TIMEOUT_MILLIS);
                }
                doorbell.disarm();
            }
        }
        else
        {
            LockSupport.parkNanos(parkNanos);
            parkNanos = Math.min(parkNanos << 1, MAX_PARK_NANOS);
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

    /** Number of poll(2) waits so far (for tests and diagnostics). */
    public long polls()
    {
        return polls;
    }

    /** Closes the poller; the agent thread calls it on close. */
    public void close()
    {
        if (null != poller)
        {
            poller.close();
            poller = null;
        }
        fdCount = 0;
    }
}
