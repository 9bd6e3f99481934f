package io.jvs.dataplane.nat;

import java.util.concurrent.TimeUnit;

/**
 * Sizes and timeouts of connection tracking and NAT. Timeouts follow Linux conntrack's defaults where they are
 * reasonable for containers (established TCP is 2 h 4 min rather than 5 days).
 *
 * @param capacity connections tracked at most (each has two keys, so the index holds 4x this many slots).
 * @param portMin  lowest SNAT source port / ICMP identifier handed out.
 * @param portMax  highest, inclusive.
 * @param accounting count packets per connection and direction (for {@code jvs nat ls}); off by default, as
 *                   Linux's nf_conntrack_acct, because the counter write is a third random cache line per packet.
 */
public record NatConfig(
    int capacity,
    int portMin,
    int portMax,
    long tcpSynNanos,
    long tcpEstablishedNanos,
    long tcpClosingNanos,
    long tcpCloseNanos,
    long udpNanos,
    long udpStreamNanos,
    long icmpNanos,
    boolean accounting)
{
    public static final int MAX_CAPACITY = 1 << 22;

    public static NatConfig defaults()
    {
        return new NatConfig(65536, 32768, 60999,
            TimeUnit.SECONDS.toNanos(120), TimeUnit.SECONDS.toNanos(7440), TimeUnit.SECONDS.toNanos(120),
            TimeUnit.SECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(30), TimeUnit.SECONDS.toNanos(120),
            TimeUnit.SECONDS.toNanos(30), false);
    }

    public NatConfig withCapacity(final int capacity)
    {
        return new NatConfig(capacity, portMin, portMax, tcpSynNanos, tcpEstablishedNanos, tcpClosingNanos,
            tcpCloseNanos, udpNanos, udpStreamNanos, icmpNanos, accounting);
    }

    public NatConfig withPorts(final int portMin, final int portMax)
    {
        return new NatConfig(capacity, portMin, portMax, tcpSynNanos, tcpEstablishedNanos, tcpClosingNanos,
            tcpCloseNanos, udpNanos, udpStreamNanos, icmpNanos, accounting);
    }

    public NatConfig withAccounting(final boolean accounting)
    {
        return new NatConfig(capacity, portMin, portMax, tcpSynNanos, tcpEstablishedNanos, tcpClosingNanos,
            tcpCloseNanos, udpNanos, udpStreamNanos, icmpNanos, accounting);
    }

    /** Every timeout set to {@code nanos} (tests). */
    public NatConfig withAllTimeouts(final long nanos)
    {
        return new NatConfig(capacity, portMin, portMax, nanos, nanos, nanos, nanos, nanos, nanos, nanos, accounting);
    }

    public void validate()
    {
        if (capacity < 1 || capacity > MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity=" + capacity + " not in [1, " + MAX_CAPACITY + "]");
        }
        if (portMin < 1 || portMax > 65535 || portMin > portMax)
        {
            throw new IllegalArgumentException("NAT port range " + portMin + "-" + portMax + " not within 1-65535");
        }
        if (tcpSynNanos <= 0 || tcpEstablishedNanos <= 0 || tcpClosingNanos <= 0 || tcpCloseNanos <= 0 ||
            udpNanos <= 0 || udpStreamNanos <= 0 || icmpNanos <= 0)
        {
            throw new IllegalArgumentException("NAT timeouts must be > 0: " + this);
        }
    }
}
