package io.jvs.benchmarks;

import io.jvs.dataplane.PortStats;
import io.jvs.dataplane.Switch;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.dataplane.engine.ReceiveAgent;
import io.jvs.dataplane.engine.SwitchCounters;
import io.jvs.tap.NetworkNamespace;
import io.jvs.tap.PacketPort;
import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.RingConfig;
import io.jvs.tap.VnetHeader;
import io.jvs.tap.netlink.Rtnetlink;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Many idle ports, measured: N veth pairs in a namespace of its own, the host ends opened as packet sockets with
 * small rings (a page each way), then
 * <ol>
 *   <li>the receive agent's duty cycle, driven on this thread, with every port idle and with one busy in-memory port
 *       handing over a batch per cycle (ns per cycle: what scanning the idle ports costs a busy lane);</li>
 *   <li>a started {@link Switch} (default config: one shared thread, idle strategy poll) with the N ports attached:
 *       attach latency, the switch thread's CPU while idle (ThreadMXBean), the process's CPU over the same window
 *       (/proc/self/stat), and the latency of a command on the idle switch.</li>
 * </ol>
 * Run as root: {@code java -cp benchmarks/target/jvs-benchmarks.jar io.jvs.benchmarks.IdlePortsBench N [IDLE_S]}.
 * Uses ip(8) only to add and delete the namespace; everything in it goes with it.
 */
public final class IdlePortsBench
{
    static final RingConfig SMALL_RINGS = new RingConfig(2048, 2, 2048, 2);
    static final int BATCH = 64;
    /** Sockets opened per namespace task (NetworkNamespace.call gives a task 10 s). */
    static final int OPEN_CHUNK = 128;
    static final long CYCLE_WARMUP_NANOS = TimeUnit.SECONDS.toNanos(2);
    static final long CYCLE_MEASURE_NANOS = TimeUnit.SECONDS.toNanos(3);
    static final int COMMAND_SAMPLES = 15;
    static final long CLOCK_TICKS_PER_SECOND = 100;

    private IdlePortsBench()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int n = Integer.parseInt(args[0]);
        final int idleSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        final String ns = "jvsidle" + ProcessHandle.current().pid();
        final Path nsFile = NetworkNamespace.named(ns);
        run("ip", "netns", "add", ns);
        // No IPv6 on the veths: their router solicitations and MLD reports would be traffic in the idle window.
        run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1");
        final List<PacketPort> ports = new ArrayList<>();
        try
        {
            long start = System.nanoTime();
            try (Rtnetlink rt = Rtnetlink.openIn(nsFile))
            {
                for (int i = 0; i < n; i++)
                {
                    rt.createVeth("a" + i, "b" + i, Rtnetlink.mac(String.format("02:00:00:00:%02x:%02x", i >> 8,
                        i & 0xFF)), 1500, nsFile);
                    rt.setUp("a" + i);
                    rt.setUp("b" + i);
                }
            }
            for (int first = 0; first < n; first += OPEN_CHUNK)
            {
                final int from = first;
                ports.addAll(NetworkNamespace.call(nsFile, () ->
                {
                    final List<PacketPort> opened = new ArrayList<>();
                    for (int i = from; i < Math.min(n, from + OPEN_CHUNK); i++)
                    {
                        opened.add(PacketSocketPort.open("a" + i, SMALL_RINGS));
                    }
                    return opened;
                }));
            }
            System.out.printf("# %d veth pairs and packet sockets in %d ms%n", n,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));

            dutyCycles(ports, false);
            dutyCycles(ports, true);
            idleSwitch(ports, idleSeconds);
        }
        finally
        {
            ports.forEach(PacketPort::close);
            run("ip", "netns", "del", ns);
        }
    }

    /** The receive agent alone on this thread: ns per duty cycle, every port idle or one in-memory port busy. */
    private static void dutyCycles(final List<PacketPort> ports, final boolean busy)
    {
        final OneToOneRingBuffer ring = new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect((1 << 20) + RingBufferDescriptor.TRAILER_LENGTH)));
        final ReceiveAgent agent = new ReceiveAgent(ring, new SwitchCounters(), BATCH, null);
        for (int i = 0; i < ports.size(); i++)
        {
            agent.onPortAdded(i + 1, ports.get(i), 1);
        }
        if (busy)
        {
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[VnetHeader.LENGTH + Fixtures.FRAME_LENGTH]);
            final int length = Fixtures.writeFrame(frame, 0, 0x0200_0000_0002L, 0x0200_0000_0001L);
            agent.onPortAdded(ports.size() + 1, new SinkPort("busy", frame, new int[] {0}, new int[] {length}), 1);
        }
        long cycles = 0;
        long frames = 0;
        final long warmupEnd = System.nanoTime() + CYCLE_WARMUP_NANOS;
        while (System.nanoTime() < warmupEnd)
        {
            agent.doWork();
            ring.read((type, buffer, index, length) -> { }, Integer.MAX_VALUE);
        }
        final long start = System.nanoTime();
        final long end = start + CYCLE_MEASURE_NANOS;
        long now;
        do
        {
            for (int i = 0; i < 64; i++)
            {
                frames += agent.doWork();
                ring.read((type, buffer, index, length) -> { }, Integer.MAX_VALUE);
            }
            cycles += 64;
            now = System.nanoTime();
        }
        while (now < end);
        System.out.printf("duty cycle, %d ports, %s: %.0f ns per cycle (%d frames per cycle)%n", ports.size(),
            busy ? "one busy in-memory port (batch " + BATCH + ")" : "all idle",
            (double)(now - start) / cycles, frames / cycles);
        agent.onClose();
    }

    private static void idleSwitch(final List<PacketPort> ports, final int idleSeconds) throws Exception
    {
        final Switch sw = Switch.start(SwitchConfig.defaults());
        try
        {
            final int bd = sw.createBridgeDomain("idle");
            final long[] attach = new long[ports.size()];
            for (int i = 0; i < ports.size(); i++)
            {
                final long start = System.nanoTime();
                sw.addPort(ports.get(i), bd);
                attach[i] = System.nanoTime() - start;
            }
            ports.clear(); // the switch owns and closes them now
            Arrays.sort(attach);
            System.out.printf("addPort on a switch with 0..%d ports: median %.1f us, p90 %.1f us%n", attach.length,
                attach[attach.length / 2] / 1e3, attach[attach.length * 9 / 10] / 1e3);

            Thread.sleep(2000);
            final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            final long tid = switchThread(threads);
            final Path task = switchTask();
            final long[] switches0 = contextSwitches(task);
            final long cpu0 = threads.getThreadCpuTime(tid);
            final long proc0 = processCpuTicks();
            final long t0 = System.nanoTime();
            Thread.sleep(TimeUnit.SECONDS.toMillis(idleSeconds));
            final long wall = System.nanoTime() - t0;
            final long cpu = threads.getThreadCpuTime(tid) - cpu0;
            final long procTicks = processCpuTicks() - proc0;
            final long[] switches1 = contextSwitches(task);
            System.out.printf("switch thread context switches per second: %.1f voluntary, %.1f involuntary%n",
                (switches1[0] - switches0[0]) * 1e9 / wall, (switches1[1] - switches0[1]) * 1e9 / wall);
            long rx = 0;
            for (final PortStats port : sw.portStats())
            {
                rx += port.rxPackets();
            }
            System.out.printf("frames received by the switch since attach: %d%n", rx);
            System.out.printf("idle %d s with %d ports: switch thread %.2f %% of a core, whole JVM %.2f %% of a core%n",
                idleSeconds, attach.length, 100.0 * cpu / wall,
                100.0 * procTicks / CLOCK_TICKS_PER_SECOND * 1e9 / wall);

            final long[] command = new long[COMMAND_SAMPLES];
            for (int i = 0; i < COMMAND_SAMPLES; i++)
            {
                Thread.sleep(300); // asleep again
                final long start = System.nanoTime();
                final int id = sw.createBridgeDomain("c" + i);
                command[i] = System.nanoTime() - start;
                sw.removeBridgeDomain(id);
            }
            Arrays.sort(command);
            System.out.printf("command on the idle switch (createBridgeDomain): median %.1f us, max %.1f us%n",
                command[COMMAND_SAMPLES / 2] / 1e3, command[COMMAND_SAMPLES - 1] / 1e3);
        }
        finally
        {
            sw.close();
        }
    }

    private static long switchThread(final ThreadMXBean threads)
    {
        for (final ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds()))
        {
            if (null != info && Switch.SHARED_THREAD_NAME.equals(info.getThreadName()))
            {
                return info.getThreadId();
            }
        }
        throw new IllegalStateException("no thread " + Switch.SHARED_THREAD_NAME);
    }

    /** /proc/self/task/TID of the switch thread (its kernel name is the thread's name). */
    private static Path switchTask() throws Exception
    {
        try (var tasks = Files.list(Path.of("/proc/self/task")))
        {
            for (final Path task : (Iterable<Path>)tasks::iterator)
            {
                if (Files.readString(task.resolve("comm")).trim().equals(Switch.SHARED_THREAD_NAME))
                {
                    return task;
                }
            }
        }
        throw new IllegalStateException("no task " + Switch.SHARED_THREAD_NAME);
    }

    /** voluntary and involuntary context switches of a task (/proc/.../status). */
    private static long[] contextSwitches(final Path task) throws Exception
    {
        final long[] counts = new long[2];
        for (final String line : Files.readAllLines(task.resolve("status")))
        {
            if (line.startsWith("voluntary_ctxt_switches:"))
            {
                counts[0] = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
            else if (line.startsWith("nonvoluntary_ctxt_switches:"))
            {
                counts[1] = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return counts;
    }

    /** utime + stime of this process, in clock ticks (/proc/self/stat fields 14 and 15). */
    private static long processCpuTicks() throws Exception
    {
        final String stat = Files.readString(Path.of("/proc/self/stat"));
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static void run(final String... command) throws Exception
    {
        final Process p = new ProcessBuilder(command).inheritIO().start();
        if (p.waitFor() != 0)
        {
            throw new IllegalStateException(String.join(" ", command) + ": exit " + p.exitValue());
        }
    }
}
