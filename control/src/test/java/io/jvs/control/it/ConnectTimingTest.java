package io.jvs.control.it;

import io.jvs.control.daemon.Daemon;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.control.netns.Command;
import io.jvs.control.network.AttachProbe;
import io.jvs.control.network.AttachStep;
import io.jvs.control.network.CreateNetworkRequest;
import io.jvs.control.network.NetworkService;
import io.jvs.control.testing.TempDirs;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.RingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Measures the API's connect and disconnect (the service calls' own time, no HTTP, no CLI) on an in-process daemon:
 * one sandbox connected and disconnected {@code -Djvs.timing.connects=N} times after 5 warm-up rounds, with
 * {@code -Djvs.timing.sandboxes=M} other sandboxes already attached to the same network (default 0), medians and
 * p90 printed, and each {@link AttachStep}'s median. Beside them, what the switch costs on its own: one command
 * through its queue (a MAC-table snapshot: the wait of an idle switch thread), and opening and closing a port's
 * AF_PACKET socket with its rings (mmap/munmap). {@code -Djvs.timing.rings=small} gives every port rings of 768 KB
 * instead of the defaults (~20 MB each), so a thousand ports fit on a small host. With {@code JVS_IP_LOG} set and an
 * {@code ip} wrapper first on PATH that appends a line per call to it (see docs/scale.md), also the number of
 * {@code ip} processes per connect and per disconnect. Off unless asked for; run under flock /tmp/jvs-it.lock and
 * /tmp/jvs-timing.lock.
 */
@EnabledIfSystemProperty(named = "jvs.timing.connects", matches = "\\d+")
class ConnectTimingTest
{
    private static final int WARM_UP = 5;
    private static final int SWITCH_ROUNDS = 50;
    /** Longer than the idle switch thread's poll timeout (10 ms), as between two API requests. */
    private static final long IDLE_BEFORE_COMMAND_MS = 50;
    /** 768 KB: 256 RX and 128 TX slots of 2 KB (frames up to an MTU; no GSO frames). */
    private static final RingConfig SMALL_RINGS = new RingConfig(2048, 256, 2048, 128);

    /** Each step's time in each measured round: the time since the step before it (or the call's start). */
    private static final class StepClock implements AttachProbe
    {
        final Map<AttachStep, long[]> nanos = new EnumMap<>(AttachStep.class);
        int round = -1;
        long last;

        StepClock(final int rounds)
        {
            for (final AttachStep step : AttachStep.values())
            {
                nanos.put(step, new long[rounds]);
            }
        }

        void start(final int measuredRound)
        {
            round = measuredRound;
            last = System.nanoTime();
        }

        @Override
        public void after(final AttachStep step)
        {
            final long now = System.nanoTime();
            if (round >= 0)
            {
                nanos.get(step)[round] += now - last;
            }
            last = now;
        }
    }

    @Test
    void connectAndDisconnect() throws Exception
    {
        final int rounds = Integer.getInteger("jvs.timing.connects");
        final int others = Integer.getInteger("jvs.timing.sandboxes", 0);
        final boolean small = "small".equals(System.getProperty("jvs.timing.rings"));
        final RingConfig rings = small ? SMALL_RINGS : SwitchConfig.defaults().portRings();
        final String run = "jq" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
        final Path dir = Files.createTempDirectory(run);
        final String ipLog = System.getenv("JVS_IP_LOG");
        final String sandbox = run + "s";
        final String network = run + "n";
        final List<String> made = new ArrayList<>();
        final long[] connects = new long[rounds];
        final long[] disconnects = new long[rounds];
        final StepClock steps = new StepClock(rounds);
        final JvsFabric[] fabric = new JvsFabric[1];
        long ipOnConnect = 0;
        long ipOnDisconnect = 0;
        double madeSeconds = 0;
        String switchCosts = "";
        try (Daemon daemon = Daemon.start(Daemon.Config.embedded(dir.resolve("jvs.sock"), dir.resolve("state")),
            () -> fabric[0] = JvsFabric.start(SwitchConfig.defaults(), JvsFabric.L3Config.gatewaysOnly(), rings)))
        {
            final NetworkService service = daemon.service();
            try
            {
                service.createNetwork(new CreateNetworkRequest(network, null, "10.93.0.0/20", null, false));
                final long makeStart = System.nanoTime();
                for (int i = 0; i < others; i++)
                {
                    final String other = run + "b" + i;
                    made.add(other);
                    service.createSandbox(other);
                    service.connect(network, other);
                }
                madeSeconds = (System.nanoTime() - makeStart) / 1e9;
                made.add(sandbox);
                service.createSandbox(sandbox);
                service.probe(steps);
                for (int i = -WARM_UP; i < rounds; i++)
                {
                    final long before = lines(ipLog);
                    steps.start(i);
                    final long start = System.nanoTime();
                    service.connect(network, sandbox);
                    final long connected = System.nanoTime();
                    final long afterConnect = lines(ipLog);
                    steps.start(i);
                    service.disconnect(network, sandbox);
                    final long disconnected = System.nanoTime();
                    if (i >= 0)
                    {
                        connects[i] = connected - start;
                        disconnects[i] = disconnected - connected;
                        ipOnConnect += afterConnect - before;
                        ipOnDisconnect += lines(ipLog) - afterConnect;
                    }
                }
                service.probe(AttachProbe.NONE);
                switchCosts = switchCosts(fabric[0], rings, run);
            }
            finally
            {
                service.probe(AttachProbe.NONE);
                for (final String name : made)
                {
                    quietly(() -> service.removeSandbox(name));
                }
                quietly(() -> service.removeNetwork(network));
            }
        }
        finally
        {
            TempDirs.deleteTree(dir);
            for (final String name : made)
            {
                if (Files.exists(Path.of("/run/netns", name)))
                {
                    Command.exec(Duration.ofSeconds(10), "ip", "netns", "delete", name);
                }
            }
        }
        final StringBuilder report = new StringBuilder(String.format("%d other sandboxes on the network (made and " +
            "connected in %.1f s), rings %s (%d KB per port): connect median %.2f ms (p10 %.2f, p90 %.2f), disconnect " +
            "median %.2f ms (p10 %.2f, p90 %.2f), N=%d%s%n", others, madeSeconds, small ? "small" : "default",
            (rings.rxFrameSize() * rings.rxFrames() + rings.txFrameSize() * rings.txFrames()) / 1024,
            ms(connects, 50), ms(connects, 10), ms(connects, 90), ms(disconnects, 50), ms(disconnects, 10),
            ms(disconnects, 90), rounds, ipLog == null ? "" : String.format(
            ", ip processes per connect %.1f, per disconnect %.1f", (double)ipOnConnect / rounds,
            (double)ipOnDisconnect / rounds)));
        report.append("  step medians (ms):");
        steps.nanos.forEach((step, times) -> report.append(String.format(" %s %.2f", step.name().toLowerCase(),
            ms(times, 50))));
        report.append('\n').append(switchCosts);
        System.out.print("[connect-timing] " + report);
        Files.writeString(Path.of("target", "connect-timing.txt"), report);
        for (final String name : made)
        {
            assertFalse(Files.exists(Path.of("/run/netns", name)), "left behind: namespace " + name);
        }
    }

    /**
     * One switch command's round trip (a MAC-table snapshot through the command queue, the switch thread idle, as
     * it is when a request comes), and
     * a port socket's open (rings set up and mapped) and close (unmapped), on a veth of the test's own.
     */
    private static String switchCosts(final JvsFabric fabric, final RingConfig rings, final String run)
        throws InterruptedException
    {
        final long[] command = new long[SWITCH_ROUNDS];
        for (int i = 0; i < SWITCH_ROUNDS; i++)
        {
            Thread.sleep(IDLE_BEFORE_COMMAND_MS); // as before a connect: the switch thread parked in its idle wait
            final long start = System.nanoTime();
            fabric.macTable();
            command[i] = System.nanoTime() - start;
        }
        final String veth = run + "r";
        Command.run("ip", "link", "add", veth, "type", "veth", "peer", "name", veth + "p");
        final long[] open = new long[SWITCH_ROUNDS];
        final long[] close = new long[SWITCH_ROUNDS];
        try
        {
            Command.run("ip", "link", "set", veth, "up");
            for (int i = 0; i < SWITCH_ROUNDS; i++)
            {
                final long start = System.nanoTime();
                final PacketSocketPort port = PacketSocketPort.open(veth, rings);
                final long opened = System.nanoTime();
                port.close();
                close[i] = System.nanoTime() - opened;
                open[i] = opened - start;
            }
        }
        finally
        {
            Command.run("ip", "link", "delete", veth);
        }
        return String.format("  switch alone (medians, p90): one command through the queue to the idle switch thread %.2f ms (%.2f), a port " +
            "socket's open with its rings %.2f ms (%.2f), its close %.2f ms (%.2f)%n", ms(command, 50), ms(command, 90),
            ms(open, 50), ms(open, 90), ms(close, 50), ms(close, 90));
    }

    private static double ms(final long[] nanos, final int percentile)
    {
        final long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, sorted.length * percentile / 100)] / 1e6;
    }

    private static long lines(final String file) throws IOException
    {
        return file == null || !Files.exists(Path.of(file)) ? 0 : Files.readAllLines(Path.of(file)).size();
    }

    private static void quietly(final Runnable action)
    {
        try
        {
            action.run();
        }
        catch (final RuntimeException ignored)
        {
            // clean-up of a run that already failed
        }
    }
}
