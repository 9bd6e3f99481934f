package io.jvs.control.it;

import io.jvs.control.daemon.Daemon;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.netns.Command;
import io.jvs.control.network.CreateNetworkRequest;
import io.jvs.control.network.NetworkService;
import io.jvs.control.network.RestoreReport;
import io.jvs.control.testing.TempDirs;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.tap.RingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Times a daemon restart with {@code -Djvs.timing.restart=N} sandboxes attached to one network: an in-process daemon
 * makes them, stops (ports detached, veths and store kept), and a new daemon on the same state directory brings
 * them back; the new daemon's start is timed, every endpoint must be re-attached, and the first sandbox must resolve
 * the last by name and reach it. {@code -Djvs.timing.rings=small} as in {@link ConnectTimingTest}. Off unless asked
 * for; run under flock /tmp/jvs-it.lock and /tmp/jvs-timing.lock.
 */
@EnabledIfSystemProperty(named = "jvs.timing.restart", matches = "\\d+")
class RestartTimingTest
{
    private static final RingConfig SMALL_RINGS = new RingConfig(2048, 256, 2048, 128);
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    @Test
    void restartBringsEverySandboxBack() throws Exception
    {
        final int count = Integer.getInteger("jvs.timing.restart");
        final boolean small = "small".equals(System.getProperty("jvs.timing.rings"));
        final RingConfig rings = small ? SMALL_RINGS : SwitchConfig.defaults().portRings();
        final Supplier<io.jvs.control.fabric.Fabric> fabric = () -> JvsFabric.start(SwitchConfig.defaults(),
            JvsFabric.L3Config.gatewaysOnly(), rings);
        final String run = "jt" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
        final Path dir = Files.createTempDirectory(run);
        final Daemon.Config config = Daemon.Config.embedded(dir.resolve("jvs.sock"), dir.resolve("state"));
        final String network = run + "n";
        final List<String> made = new ArrayList<>();
        double makeSeconds;
        double stopSeconds;
        double startSeconds;
        RestoreReport report;
        Daemon daemon = Daemon.start(config, fabric);
        try
        {
            final long makeStart = System.nanoTime();
            daemon.service().createNetwork(new CreateNetworkRequest(network, null, "10.95.0.0/20", null, false));
            for (int i = 0; i < count; i++)
            {
                made.add(run + "s" + i);
                daemon.service().createSandbox(run + "s" + i);
                daemon.service().connect(network, run + "s" + i);
            }
            makeSeconds = (System.nanoTime() - makeStart) / 1e9;
            final long stopStart = System.nanoTime();
            daemon.close();
            stopSeconds = (System.nanoTime() - stopStart) / 1e9;
            final long start = System.nanoTime();
            daemon = Daemon.start(config, fabric);
            startSeconds = (System.nanoTime() - start) / 1e9;
            report = daemon.restored();

            assertEquals(count, report.reattached(), "every endpoint back: " + report);
            assertEquals(List.of(), report.dropped());
            final NetworkService service = daemon.service();
            final String first = made.get(0);
            final String last = made.get(count - 1);
            final String lastAddress = Ipv4.format(service.sandbox(last).endpoints().get(0).address());
            assertTrue(Command.exec(TIMEOUT, "ip", "netns", "exec", first, "getent", "hosts", last).stdout()
                .contains(lastAddress), "the first sandbox resolves the last after the restart");
            assertTrue(Command.exec(TIMEOUT, "ip", "netns", "exec", first, "ping", "-c", "1", "-W", "2", lastAddress)
                .ok(), "and reaches it");
        }
        finally
        {
            final NetworkService service = daemon.service();
            for (final String name : made)
            {
                quietly(() -> service.removeSandbox(name));
            }
            quietly(() -> service.removeNetwork(network));
            daemon.close();
            TempDirs.deleteTree(dir);
            for (final String name : made)
            {
                if (Files.exists(Path.of("/run/netns", name)))
                {
                    Command.exec(TIMEOUT, "ip", "netns", "delete", name);
                }
            }
        }
        final String line = String.format("%d sandboxes on one network, rings %s: made and connected in %.1f s, " +
            "daemon stop %.2f s, daemon start with restore %.2f s (%.2f ms per sandbox), %d re-attached%n", count,
            small ? "small" : "default", makeSeconds, stopSeconds, startSeconds, startSeconds * 1000 / count,
            report.reattached());
        System.out.print("[restart-timing] " + line);
        Files.writeString(Path.of("target", "restart-timing.txt"), line);
        for (final String name : made)
        {
            assertFalse(Files.exists(Path.of("/run/netns", name)), "left behind: namespace " + name);
        }
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
