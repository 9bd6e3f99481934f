package io.jvs.dataplane;

/**
 * Tuning of the switch. Defaults suit a 2-core host: one thread for receive and forwarding that blocks in
 * poll(2) when idle.
 */
public record SwitchConfig(
    ThreadingMode threadingMode,
    String idleStrategy,
    int ringCapacityBytes,
    int batchSize,
    int macTableCapacity,
    long macAgingNanos)
{
    public enum ThreadingMode
    {
        /** Receive and forwarding agents share one thread. */
        SHARED,
        /** Receive and forwarding agents each have a thread. */
        DEDICATED
    }

    public static final long DEFAULT_MAC_AGING_NANOS = 300L * 1_000_000_000L;

    public static SwitchConfig defaults()
    {
        return new SwitchConfig(ThreadingMode.SHARED, "poll", 16 * 1024 * 1024, 64, 65536, DEFAULT_MAC_AGING_NANOS);
    }
}
