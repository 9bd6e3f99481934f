package io.jvs.control.it;

import io.jvs.control.daemon.Daemon;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.control.netns.Command;
import io.jvs.control.network.CreateNetworkRequest;
import io.jvs.control.testing.TempDirs;
import io.jvs.dataplane.SwitchConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Measures the API's connect and disconnect (the service calls' own time, no HTTP, no CLI) on an in-process daemon:
 * one sandbox connected and disconnected {@code -Djvs.timing.connects=N} times after 5 warm-up rounds, medians
 * printed. With {@code JVS_IP_LOG} set and an {@code ip} wrapper first on PATH that appends a line per call to it
 * (see docs/scale.md), also the number of {@code ip} processes per connect and per disconnect. Off unless asked for;
 * run under flock /tmp/jvs-it.lock and /tmp/jvs-timing.lock.
 */
@EnabledIfSystemProperty(named = "jvs.timing.connects", matches = "\\d+")
class ConnectTimingTest
{
    private static final int WARM_UP = 5;

    @Test
    void connectAndDisconnect() throws Exception
    {
        final int rounds = Integer.getInteger("jvs.timing.connects");
        final String run = "jq" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
        final Path dir = Files.createTempDirectory(run);
        final String ipLog = System.getenv("JVS_IP_LOG");
        final String sandbox = run + "s";
        final String network = run + "n";
        final long[] connects = new long[rounds];
        final long[] disconnects = new long[rounds];
        long ipOnConnect = 0;
        long ipOnDisconnect = 0;
        try (Daemon daemon = Daemon.start(Daemon.Config.embedded(dir.resolve("jvs.sock"), dir.resolve("state")),
            () -> JvsFabric.start(SwitchConfig.defaults())))
        {
            try
            {
                daemon.service().createNetwork(new CreateNetworkRequest(network, null, "10.93.0.0/24", null, false));
                daemon.service().createSandbox(sandbox);
                for (int i = -WARM_UP; i < rounds; i++)
                {
                    final long before = lines(ipLog);
                    final long start = System.nanoTime();
                    daemon.service().connect(network, sandbox);
                    final long connected = System.nanoTime();
                    final long afterConnect = lines(ipLog);
                    daemon.service().disconnect(network, sandbox);
                    final long disconnected = System.nanoTime();
                    if (i >= 0)
                    {
                        connects[i] = connected - start;
                        disconnects[i] = disconnected - connected;
                        ipOnConnect += afterConnect - before;
                        ipOnDisconnect += lines(ipLog) - afterConnect;
                    }
                }
            }
            finally
            {
                quietly(() -> daemon.service().removeSandbox(sandbox));
                quietly(() -> daemon.service().removeNetwork(network));
            }
        }
        finally
        {
            TempDirs.deleteTree(dir);
            Command.exec(Duration.ofSeconds(10), "ip", "netns", "delete", sandbox);
        }
        final String report = String.format("connect median %.2f ms (p10 %.2f, p90 %.2f), disconnect median %.2f ms " +
            "(p10 %.2f, p90 %.2f), N=%d%s", ms(connects, 50), ms(connects, 10), ms(connects, 90), ms(disconnects, 50),
            ms(disconnects, 10), ms(disconnects, 90), rounds, ipLog == null ? "" : String.format(
            ", ip processes per connect %.1f, per disconnect %.1f", (double)ipOnConnect / rounds,
            (double)ipOnDisconnect / rounds));
        System.out.println("[connect-timing] " + report);
        Files.writeString(Path.of("target", "connect-timing.txt"), report + "\n");
        assertFalse(Files.exists(Path.of("/run/netns", sandbox)), "left behind: namespace " + sandbox);
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
