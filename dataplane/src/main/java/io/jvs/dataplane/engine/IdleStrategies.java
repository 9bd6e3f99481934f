package io.jvs.dataplane.engine;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.util.concurrent.TimeUnit;

/** Idle strategies by the names SwitchConfig uses. */
public final class IdleStrategies
{
    public static final String POLL = PollIdleStrategy.ALIAS;
    public static final String BACKOFF = "backoff";
    public static final String BUSY = "busy";
    public static final String YIELD = "yield";
    public static final String SLEEP = "sleep";

    /** Backoff phases: spins, yields, then park from 1 us doubling to 1 ms. */
    static final long BACKOFF_SPINS = 100;
    static final long BACKOFF_YIELDS = 20;
    static final long BACKOFF_MIN_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(1);
    static final long BACKOFF_MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Upper bound of the "poll:MICROS" spin window: beyond a second it is just "busy". */
    static final long MAX_SPIN_MICROS = 1_000_000;
    static final long SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private IdleStrategies()
    {
    }

    public static void validate(final String name)
    {
        create(name, true);
    }

    /**
     * @param canPoll false for an agent that owns no port fds (the forwarding agent in DEDICATED mode): "poll"
     *                then falls back to backoff.
     */
    public static IdleStrategy create(final String name, final boolean canPoll)
    {
        if (null == name)
        {
            throw new IllegalArgumentException("idle strategy name is null");
        }
        if (name.startsWith(POLL + ":"))
        {
            final long micros = parseMicros(name, name.substring(POLL.length() + 1));
            return canPoll ? new PollIdleStrategy(TimeUnit.MICROSECONDS.toNanos(micros)) : backoff();
        }
        switch (name)
        {
            case POLL:
                return canPoll ? new PollIdleStrategy() : backoff();
            case BACKOFF:
                return backoff();
            case BUSY:
                return new BusySpinIdleStrategy();
            case YIELD:
                return new YieldingIdleStrategy();
            case SLEEP:
                return new SleepingIdleStrategy(SLEEP_NANOS);
            default:
                throw new IllegalArgumentException(
                    "unknown idle strategy '" + name + "' (poll, poll:SPIN_MICROS, backoff, busy, yield, sleep)");
        }
    }

    private static long parseMicros(final String name, final String value)
    {
        try
        {
            final long micros = Long.parseLong(value);
            if (micros >= 0 && micros <= MAX_SPIN_MICROS)
            {
                return micros;
            }
        }
        catch (final NumberFormatException ignored)
        {
            // reported below with the whole name
        }
        throw new IllegalArgumentException(
            "idle strategy '" + name + "': spin window must be 0.." + MAX_SPIN_MICROS + " microseconds");
    }

    private static IdleStrategy backoff()
    {
        return new BackoffIdleStrategy(
            BACKOFF_SPINS, BACKOFF_YIELDS, BACKOFF_MIN_PARK_NANOS, BACKOFF_MAX_PARK_NANOS);
    }
}
