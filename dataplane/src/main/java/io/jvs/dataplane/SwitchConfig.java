package io.jvs.dataplane;

import io.jvs.tap.RingConfig;

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
    long macAgingNanos,
    int threadNice,
    int threadRtPriority,
    int portRxSlots,
    String switchCpus,
    int lanes)
{
    public enum ThreadingMode
    {
        /** Receive and forwarding agents share one thread. */
        SHARED,
        /** Receive and forwarding agents each have a thread. */
        DEDICATED
    }

    public static final long DEFAULT_MAC_AGING_NANOS = 300L * 1_000_000_000L;
    /**
     * Nice value of the switch threads. The kernel bridge does its forwarding in softirq context, which
     * preempts every task; a switch thread at nice 0 shares its core with whatever else runs and, while
     * descheduled for a time slice, lets the ports' RX rings overflow. -10 gives it ~9x the CPU share of a
     * nice-0 task under contention and costs nothing when the host is idle. 0 leaves the priority alone.
     */
    public static final int DEFAULT_THREAD_NICE = -10;
    /**
     * SCHED_FIFO priority of the switch threads, 0 = stay a normal (CFS) task with {@link #threadNice}. A normal
     * task is still preempted for other tasks' time slices (ms), and a port's RX ring (384 frames) overflows
     * within a fraction of that at packet rates; SCHED_FIFO removes those preemptions. Only with an idle
     * strategy that blocks (poll): a spinning real-time thread would keep its core from everything else.
     */
    public static final int DEFAULT_THREAD_RT_PRIORITY = 0;
    /**
     * RX ring slots of each container port's AF_PACKET socket ({@link RingConfig#DEFAULT_RX_FRAMES}): how many
     * frames wait in the kernel while the switch thread is off its CPU. More absorb longer descheduling on a busy
     * host; fewer keep the ring in the CPU caches (docs/dataplane.md has the figures both ways).
     */
    public static final int DEFAULT_PORT_RX_SLOTS = RingConfig.DEFAULT_RX_FRAMES;
    public static final int MIN_PORT_RX_SLOTS = 64;
    public static final int MAX_PORT_RX_SLOTS = 65536;
    /** Placement of the switch threads ({@link SwitchCpus}): a CPU each among the last, the first left to the host. */
    public static final String DEFAULT_SWITCH_CPUS = SwitchCpus.AUTO;

    /** One forwarding lane: every port on one switch thread (what "auto" gives a 2-CPU host). */
    public static final int DEFAULT_LANES = 1;

    public SwitchConfig
    {
        SwitchCpus.validate(switchCpus);
        if (lanes < 1)
        {
            throw new IllegalArgumentException("lanes " + lanes + " must be at least 1");
        }
        if (portRxSlots < MIN_PORT_RX_SLOTS || portRxSlots > MAX_PORT_RX_SLOTS)
        {
            throw new IllegalArgumentException("port RX slots " + portRxSlots + " not in " + MIN_PORT_RX_SLOTS +
                ".." + MAX_PORT_RX_SLOTS);
        }
    }

    /** The rings of a container port's AF_PACKET socket: the defaults with {@link #portRxSlots} RX slots. */
    public RingConfig portRings()
    {
        return new RingConfig(RingConfig.DEFAULT_RX_FRAME_SIZE, portRxSlots, RingConfig.DEFAULT_TX_FRAME_SIZE,
            RingConfig.DEFAULT_TX_FRAMES);
    }

    /** This config with {@code slots} RX slots per port socket. */
    public SwitchConfig withPortRxSlots(final int slots)
    {
        return new SwitchConfig(threadingMode, idleStrategy, ringCapacityBytes, batchSize, macTableCapacity,
            macAgingNanos, threadNice, threadRtPriority, slots, switchCpus, lanes);
    }

    /** This config with {@code count} forwarding lanes. */
    public SwitchConfig withLanes(final int count)
    {
        return new SwitchConfig(threadingMode, idleStrategy, ringCapacityBytes, batchSize, macTableCapacity,
            macAgingNanos, threadNice, threadRtPriority, portRxSlots, switchCpus, count);
    }

    /** This config with the switch threads placed as {@code cpus} says ({@link SwitchCpus}). */
    public SwitchConfig withSwitchCpus(final String cpus)
    {
        return new SwitchConfig(threadingMode, idleStrategy, ringCapacityBytes, batchSize, macTableCapacity,
            macAgingNanos, threadNice, threadRtPriority, portRxSlots, cpus, lanes);
    }

    /** Without a thread priority or placement change (nice and CPUs left as inherited). */
    public SwitchConfig(
        final ThreadingMode threadingMode,
        final String idleStrategy,
        final int ringCapacityBytes,
        final int batchSize,
        final int macTableCapacity,
        final long macAgingNanos)
    {
        this(threadingMode, idleStrategy, ringCapacityBytes, batchSize, macTableCapacity, macAgingNanos, 0, 0,
            DEFAULT_PORT_RX_SLOTS, SwitchCpus.NONE, DEFAULT_LANES);
    }

    public static SwitchConfig defaults()
    {
        return new SwitchConfig(
            ThreadingMode.SHARED, "poll", 16 * 1024 * 1024, 64, 65536, DEFAULT_MAC_AGING_NANOS, DEFAULT_THREAD_NICE,
            DEFAULT_THREAD_RT_PRIORITY, DEFAULT_PORT_RX_SLOTS, DEFAULT_SWITCH_CPUS, DEFAULT_LANES);
    }
}
