package io.jvs.control.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.SandboxLeftovers;
import io.jvs.control.testing.TempDirs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A daemon in a child JVM with {@code --metrics} on 127.0.0.1, one network and two sandboxes on it, named
 * {@code obs<random>...} (the observability tests' prefix); {@link #close} removes them by name.
 */
final class TwoSandboxes implements AutoCloseable
{
    final String run = "obs" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    final String network = run + "n";
    final String a = run + "a";
    final String b = run + "b";
    final Path dir;
    final InProcessCli jvs;
    final DaemonProcess daemon;
    /** b's address on the network. */
    final String addressB;
    private final List<String> sandboxes = List.of(a, b);
    private final List<Process> background = new ArrayList<>();

    /** @param subnet the network's, e.g. 10.195.77.0/24 (the gateway is its .1). */
    TwoSandboxes(final int metricsPort, final String subnet) throws Exception
    {
        dir = Files.createTempDirectory(Path.of("/tmp"), run + "-");
        final Path socket = dir.resolve("jvs.sock");
        jvs = InProcessCli.socketBeforeCommand(socket);
        daemon = new DaemonProcess(dir, socket, null);
        daemon.networkArgs(List.of("--no-host-port", "--metrics", "127.0.0.1:" + metricsPort));
        daemon.start();
        jvs.ok("network", "create", "--subnet", subnet, network);
        for (final String sandbox : sandboxes)
        {
            jvs.ok("sandbox", "create", sandbox);
            jvs.ok("network", "connect", network, sandbox);
        }
        addressB = new ObjectMapper().readTree(jvs.ok("network", "inspect", network).out()).get(0)
            .path("Containers").path(b).path("IPv4Address").asText().split("/")[0];
    }

    /** {@code count} pings 0.2 s apart from {@code namespace}, every one answered. */
    static void ping(final String namespace, final String address, final int count) throws Exception
    {
        final Process ping = new ProcessBuilder("ip", "netns", "exec", namespace, "ping", "-c", Integer.toString(count),
            "-i", "0.2", "-W", "2", address).redirectErrorStream(true).start();
        final String out = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(ping.waitFor(30, TimeUnit.SECONDS), "ping did not finish");
        assertTrue(out.contains(count + " packets transmitted, " + count + " received"), out);
    }

    /** A process stopped (by PID) at {@link #close}. */
    Process background(final ProcessBuilder builder) throws Exception
    {
        final Process process = builder.start();
        background.add(process);
        return process;
    }

    @Override
    public void close() throws Exception
    {
        for (final Process p : background)
        {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (daemon.isAlive())
        {
            for (final String sandbox : sandboxes)
            {
                jvs.run("sandbox", "rm", sandbox);
            }
            jvs.run("network", "rm", network);
            daemon.stop();
        }
        SandboxLeftovers.remove(sandboxes);
        TempDirs.deleteTree(dir);
    }
}
