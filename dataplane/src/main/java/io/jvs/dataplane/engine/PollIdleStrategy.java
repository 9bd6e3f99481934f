package io.jvs.dataplane.engine;

import io.jvs.tap.Poller;
import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Idles by spinning, then yielding, then blocking in poll(2) on every port's fd with a short timeout, so an
 * idle switch costs no CPU, the next frame wakes it at once, and commands are still served within the timeout.
 * <p>
 * Ports without a pollable fd (fd < 0, e.g. in-memory ports) cannot wake the thread: with none pollable the
 * last phase parks with an exponential backoff up to {@link #MAX_PARK_NANOS}.
 * The {@link Poller} is created on the first pollable fd. Not thread safe: the agent thread that idles also
 * calls {@link #watch}.
 */
public final class PollIdleStrategy implements IdleStrategy
{
    public static final String ALIAS = "poll";
    public static final int SPINS = 100;
    public static final int YIELDS = 20;
    /** Bounds how long a command waits while the thread sleeps in poll(2). */
    public static final int POLL_TIMEOUT_MILLIS = 10;
    public static final long MIN_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(1);
    public static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    static final int MIN_POLLER_CAPACITY = 64;

    private Poller poller;
    private int pollerCapacity;
    private int fdCount;
    private int spins;
    private int yields;
    private long parkNanos = MIN_PARK_NANOS;
    private long polls;

    /** Replaces the watched descriptors; negative fds are skipped. Allocates (configuration path). */
    public void watch(final int[] fds, final int count)
    {
        final int[] pollable = new int[count];
        int n = 0;
        for (int i = 0; i < count; i++)
        {
            if (fds[i] >= 0)
            {
                pollable[n++] = fds[i];
            }
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
        if (spins < SPINS)
        {
            spins++;
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
            poller.await(POLL_TIMEOUT_MILLIS);
        }
        else
        {
            LockSupport.parkNanos(parkNanos);
            parkNanos = Math.min(parkNanos << 1, MAX_PARK_NANOS);
        }
    }

    public void reset()
    {
        spins = 0;
        yields = 0;
        parkNanos = MIN_PARK_NANOS;
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
