package io.jvs.control.it;

import io.jvs.control.common.JvsException;
import io.jvs.control.daemon.Daemon;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.control.netns.Command;
import io.jvs.control.network.CreateNetworkRequest;
import io.jvs.control.network.NetworkService;
import io.jvs.control.testing.TempDirs;
import io.jvs.dataplane.SwitchConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 item 4: a daemon whose state volume is full (a real 1 MB tmpfs) refuses changes with one clear error and
 * changes nothing (no network installed in the switch, no veth left by a connect); a start on the full volume is
 * refused with the same clear error and the state kept, and once space is freed the daemon starts with its state
 * whole. Before, Chronicle's memory-mapped journal took the next start down with an InternalError (SIGBUS).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StateVolumeFullTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    @Test
    void aFullStateVolumeRefusesChangesCleanlyAndTheDaemonStillStarts() throws Exception
    {
        final String run = "jf" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
        final Path dir = Files.createTempDirectory(run);
        final Path state = Files.createDirectories(dir.resolve("state"));
        final Daemon.Config config = Daemon.Config.embedded(dir.resolve("jvs.sock"), state);
        final JvsFabric[] fabric = new JvsFabric[1];
        Command.run("mount", "-t", "tmpfs", "-o", "size=1m", run, state.toString());
        Daemon daemon = null;
        try
        {
            daemon = Daemon.start(config, () -> fabric[0] = JvsFabric.start(SwitchConfig.defaults()));
            final NetworkService service = daemon.service();
            service.createNetwork(new CreateNetworkRequest(run + "a", null, "10.93.0.0/24", null, false));
            service.createSandbox(run + "s");
            fill(state.resolve("filler"));

            // The journal's last page can still take a small record: the first create that does not fit is the test.
            JvsException create = null;
            int made = 0;
            for (int i = 0; i < 20 && create == null; i++)
            {
                final int networksInSwitch = fabric[0].networkStats().size();
                final String name = run + "b" + i;
                try
                {
                    service.createNetwork(new CreateNetworkRequest(name, null, "10.93." + (i + 1) + ".0/24", null,
                        false));
                    made++;
                }
                catch (final JvsException ex)
                {
                    create = ex;
                    assertFalse(service.networks().stream().anyMatch(n -> n.network().name().equals(name)),
                        "no network " + name);
                    assertEquals(networksInSwitch, fabric[0].networkStats().size(), "nothing installed in the switch");
                }
            }
            assertTrue(create != null && create.getMessage().contains("the state volume is full"),
                "refused once full: " + create);

            final String hostLinks = Command.run("ip", "-o", "link", "show");
            final JvsException connect = assertThrows(JvsException.class, () -> service.connect(run + "a", run + "s"));
            assertTrue(connect.getMessage().contains("the state volume is full"), connect.getMessage());
            assertTrue(service.sandbox(run + "s").endpoints().isEmpty(), "no endpoint");
            assertEquals(hostLinks.lines().count(), Command.run("ip", "-o", "link", "show").lines().count(),
                "no veth left on the host");

            // Stopping still stops everything; the overlay's lease revocation it journals is reported, not lost
            // silently (the lease expires by its TTL after the restart instead).
            final Daemon stopping = daemon;
            daemon = null;
            final JvsException stop = assertThrows(JvsException.class, stopping::close);
            assertTrue(stop.getMessage().contains("the state volume is full"), stop.getMessage());
            // A start on the full volume is refused with the same one clear error (it journals the overlay's host
            // lease) and leaves the state as it was; once space is freed it starts with everything.
            final JvsException start = assertThrows(JvsException.class,
                () -> Daemon.start(config, () -> fabric[0] = JvsFabric.start(SwitchConfig.defaults())));
            assertTrue(start.getMessage().contains("the state volume is full"), start.getMessage());
            Files.delete(state.resolve("filler"));
            daemon = Daemon.start(config, () -> fabric[0] = JvsFabric.start(SwitchConfig.defaults()));
            final NetworkService restarted = daemon.service();
            assertEquals(1 + made, restarted.networks().stream().map(n -> n.network().name())
                .filter(n -> n.startsWith(run)).count(), "the state came back whole");
            restarted.connect(run + "a", run + "s");
            assertEquals(1, restarted.sandbox(run + "s").endpoints().size(), "connects again");
            restarted.removeSandbox(run + "s");
            restarted.removeNetwork(run + "a");
            for (int i = 0; i < made; i++)
            {
                restarted.removeNetwork(run + "b" + i);
            }
        }
        finally
        {
            if (daemon != null)
            {
                daemon.close();
            }
            Command.exec(TIMEOUT, "ip", "netns", "del", run + "s");
            Command.exec(TIMEOUT, "umount", state.toString());
            TempDirs.deleteTree(dir);
        }
    }

    /** Writes until the volume is full (bounded by its size). */
    private static void fill(final Path file) throws IOException
    {
        final ByteBuffer block = ByteBuffer.allocate(16 * 1024);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE))
        {
            for (int i = 0; i < 1024; i++)
            {
                block.clear();
                channel.write(block);
            }
        }
        catch (final IOException ex)
        {
            if (ex.getMessage() != null && ex.getMessage().contains("No space left"))
            {
                return;
            }
            throw ex;
        }
        throw new AssertionError("a 1 MB volume took 16 MB");
    }
}
