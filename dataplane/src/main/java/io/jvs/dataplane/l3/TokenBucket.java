package io.jvs.dataplane.l3;

/**
 * A token bucket over the caller's nanosecond clock: {@code perSecond} tokens a second, at most {@code burst}
 * saved up (starts full). Linux limits the ICMP errors it sends the same way (net.ipv4.icmp_msgs_per_sec 1000,
 * icmp_msgs_burst 50). Credit is kept in nanoseconds, so refilling needs no division. One thread.
 */
public final class TokenBucket
{
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final long nanosPerToken;
    private final long capacityNanos;
    private long creditNanos;
    private long lastNanos;
    private boolean started;

    public TokenBucket(final int perSecond, final int burst)
    {
        if (perSecond <= 0 || perSecond > NANOS_PER_SECOND || burst <= 0)
        {
            throw new IllegalArgumentException("perSecond=" + perSecond + " burst=" + burst);
        }
        nanosPerToken = NANOS_PER_SECOND / perSecond;
        capacityNanos = nanosPerToken * burst;
        creditNanos = capacityNanos;
    }

    /** @return true if a token was taken. */
    public boolean tryAcquire(final long nowNanos)
    {
        if (started)
        {
            final long elapsed = nowNanos - lastNanos;
            if (elapsed > 0)
            {
                creditNanos = Math.min(capacityNanos, creditNanos + Math.min(elapsed, capacityNanos));
            }
        }
        started = true;
        lastNanos = nowNanos;
        if (creditNanos < nanosPerToken)
        {
            return false;
        }
        creditNanos -= nanosPerToken;
        return true;
    }
}
