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
    int lanes,
    int portMacLimit)
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
    /**
     * MAC addresses a container port learns at most ({@link #portMacLimit}); frames from further source MACs are
     * dropped ({@code mac_limit}). A container has one MAC; a bridge, VM or macvlan inside one a few more. 256 leaves
     * room for those while one sandbox sending from random MACs takes at most 256 of the 65,536 entries (it would
     * take 60 such ports to exhaust a network's share, 240 the table's). Overlay tunnels and LAN ports, which stand
     * for many stations, have no limit.
     */
    public static final int DEFAULT_PORT_MAC_LIMIT = 256;
    /** {@link #portMacLimit} for no limit per port (the table's own bounds still hold). */
    public static final int NO_PORT_MAC_LIMIT = 0;

    public SwitchConfig
    {
        SwitchCpus.validate(switchCpus);
        if (portMacLimit < 0)
        {
            throw new IllegalArgumentException("port MAC limit " + portMacLimit + " must be >= 0 (0: none)");
        }
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
            macAgingNanos, threadNice, threadRtPriority, slots, switchCpus, lanes, portMacLimit);
    }

    /** This config with {@code count} forwarding lanes. */
    public SwitchConfig withLanes(final int count)
    {
        return new SwitchConfig(threadingMode, idleStrategy, ringCapacityBytes, batchSize, macTableCapacity,
            macAgingNanos, threadNice, threadRtPriority, portRxSlots, switchCpus, count, portMacLimit);
    }

    /** This config with the switch threads placed as {@code cpus} says ({@link SwitchCpus}). */
    public SwitchConfig withSwitchCpus(final String cpus)
    {
        return new SwitchConfig(threadingMode, idleStrategy, ringCapacityBytes, batchSize, macTableCapacity,
            macAgingNanos, threadNice, threadRtPriority, portRxSlots, cpus, lanes, portMacLimit);
    }

    /** This config with each container port learning at most {@code limit} MACs ({@link #NO_PORT_MAC_LIMIT}: none). */
    public SwitchConfig withPortMacLimit(final int limit)
    {
        return new SwitchConfig(threadingMode, idleStrategy, ringCapacityBytes, batchSize, macTableCapacity,
            macAgingNanos, threadNice, threadRtPriority, portRxSlots, switchCpus, lanes, limit);
    }

    /** With the default {@link #DEFAULT_PORT_MAC_LIMIT}. */
    public SwitchConfig(
        final ThreadingMode threadingMode,
        final String idleStrategy,
        final int ringCapacityBytes,
        final int batchSize,
        final int macTableCapacity,
        final long macAgingNanos,
        final int threadNice,
        final int threadRtPriority,
        final int portRxSlots,
        final String switchCpus,
        final int lanes)
    {
        this(threadingMode, idleStrategy, ringCapacityBytes, batchSize, macTableCapacity, macAgingNanos, threadNice,
            threadRtPriority, portRxSlots, switchCpus, lanes, DEFAULT_PORT_MAC_LIMIT);
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
            DEFAULT_PORT_RX_SLOTS, SwitchCpus.NONE, DEFAULT_LANES, DEFAULT_PORT_MAC_LIMIT);
    }

    public static SwitchConfig defaults()
    {
        return new SwitchConfig(
            ThreadingMode.SHARED, "poll", 16 * 1024 * 1024, 64, 65536, DEFAULT_MAC_AGING_NANOS, DEFAULT_THREAD_NICE,
            DEFAULT_THREAD_RT_PRIORITY, DEFAULT_PORT_RX_SLOTS, DEFAULT_SWITCH_CPUS, DEFAULT_LANES, DEFAULT_PORT_MAC_LIMIT);
    }
}
