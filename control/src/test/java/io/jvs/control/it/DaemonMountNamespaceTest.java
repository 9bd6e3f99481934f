package io.jvs.control.it;

import io.jvs.control.netns.Command;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.TempDirs;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 item 8: a daemon started with {@code ip netns exec NS} runs in a slave mount namespace, where the
 * sandboxes it would make under /run/netns cannot be entered from the host. It refuses to start, says how to start
 * instead, and leaves no state; started the way it says (nsenter + unshare with propagation kept) it runs.
 */
class DaemonMountNamespaceTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Test
    void underIpNetnsExecTheDaemonRefusesAndTheSuggestedLauncherWorks() throws Exception
    {
        final String run = "jm" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
        final String netns = run + "h";
        final Path dir = Files.createTempDirectory(run);
        Command.run("ip", "netns", "add", netns);
        final DaemonProcess daemon = new DaemonProcess(dir, dir.resolve("jvs.sock"), null);
        try
        {
            daemon.launcher(List.of("ip", "netns", "exec", netns));
            final String refused = daemon.startRefused();
            assertFalse(refused.startsWith("exit 0"), refused);
            assertTrue(refused.contains("ip netns exec") && refused.contains("unshare -m --propagation unchanged"),
                refused);
            assertFalse(Files.exists(dir.resolve("state")), "refused before the state directory was made");

            // --no-sandboxes: it serves Docker only there, and refuses a sandbox with why.
            daemon.networkArgs(List.of("--no-host-port", "--no-sandboxes"));
            daemon.start();
            final InProcessCli jvs = InProcessCli.socketBeforeCommand(daemon.socket());
            final InProcessCli.Result sandbox = jvs.run("sandbox", "create", netns + "s");
            assertFalse(sandbox.exit() == 0, "sandbox refused: " + sandbox);
            assertTrue(sandbox.err().contains("--no-sandboxes"), sandbox.err());
            assertFalse(Files.exists(Path.of("/run/netns", netns + "s")), "no namespace made");
            assertTrue(daemon.stop(), "clean stop");
            daemon.networkArgs(List.of("--no-host-port"));

            // Positive control: the launcher the message suggests gives a daemon that starts.
            daemon.launcher(List.of("nsenter", "--net=/run/netns/" + netns, "unshare", "-m", "--propagation",
                "unchanged"));
            daemon.start();
            assertTrue(daemon.stop(), "clean stop");
        }
        finally
        {
            daemon.stop();
            Command.exec(TIMEOUT, "ip", "netns", "del", netns);
            TempDirs.deleteTree(dir);
        }
        assertEquals(false, Files.exists(Path.of("/run/netns", netns)));
    }
}
