package io.jvs.control.it;

import io.jvs.control.api.ApiClient;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code jvs daemon} in a child JVM on the test class path, so a test can SIGKILL it: the JVM flags are this JVM's
 * (surefire's argLine), the output goes to a log file per start.
 */
final class DaemonProcess
{
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path dir;
    private final Path socket;
    private final Path pluginSocket;
    private Process process;
    private int starts;
    private List<String> networkArgs = List.of("--no-host-port");
    private List<String> launcher = List.of();
    private List<String> jvmArgs = List.of();

    /** @param pluginSocket the Docker plugin socket; null: {@code --no-docker-plugin}. */
    DaemonProcess(final Path dir, final Path socket, final Path pluginSocket)
    {
        this.dir = dir;
        this.socket = socket;
        this.pluginSocket = pluginSocket;
    }

    /**
     * Host port and uplink options instead of the default {@code --no-host-port} (the host TAP's default name is
     * machine-wide: a test that wants one names it after its run prefix).
     */
    void networkArgs(final List<String> args)
    {
        networkArgs = List.copyOf(args);
    }

    /** JVM options for the next starts (e.g. {@code -Djvs.faultInjection.haltAfter=VETH}); none by default. */
    void jvmArgs(final List<String> args)
    {
        jvmArgs = List.copyOf(args);
    }

    /** Waits for a daemon that is to stop by itself (a fault injected). @return its exit status. */
    int awaitExit() throws Exception
    {
        if (!process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
        {
            throw new AssertionError("daemon " + process.pid() + " still running after " + START_TIMEOUT);
        }
        return process.exitValue();
    }

    /** A command the daemon runs under, e.g. {@code ip netns exec NS} (none by default). */
    void launcher(final List<String> command)
    {
        launcher = List.copyOf(command);
    }

    Path socket()
    {
        return socket;
    }

    /** Starts and waits until the API answers. */
    void start() throws Exception
    {
        final File log = launch();
        final ApiClient api = new ApiClient(socket);
        final long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!api.ping() && process.isAlive())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("daemon did not answer within " + START_TIMEOUT + ": " +
                    Files.readString(log.toPath()));
            }
            Thread.sleep(100);
        }
        if (!process.isAlive())
        {
            throw new AssertionError("daemon died at start: " + Files.readString(log.toPath()));
        }
    }

    /** Starts a daemon that must refuse to run: waits for it to exit. @return its exit status and output. */
    String startRefused() throws Exception
    {
        final File log = launch();
        if (!process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
        {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("daemon still running after " + START_TIMEOUT + ": " +
                Files.readString(log.toPath()));
        }
        return "exit " + process.exitValue() + ": " + Files.readString(log.toPath());
    }

    private File launch() throws IOException
    {
        final List<String> argv = new ArrayList<>(launcher);
        // e.g. -Djvs.it.daemonPrefix="setpriv --bounding-set -all,+net_admin,... --": the daemon alone runs with the
        // capabilities packaging/jvs.service gives it, the test and dockerd with root's (docs/install.md).
        final String prefix = System.getProperty("jvs.it.daemonPrefix", "").strip();
        if (!prefix.isEmpty())
        {
            argv.addAll(List.of(prefix.split("\\s+")));
        }
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String flag : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (flag.startsWith("--add-") || flag.startsWith("-D") || flag.startsWith("-XX:") ||
                flag.startsWith("--enable-native-access") || flag.startsWith("--sun-misc"))
            {
                argv.add(flag);
            }
        }
        argv.addAll(jvmArgs);
        argv.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.jvs.control.cli.Main", "daemon",
            "--socket", socket.toString(), "--state-dir", dir.resolve("state").toString(),
            "--no-adopt", "--config", "none"));
        argv.addAll(networkArgs);
        argv.addAll(pluginSocket == null ? List.of("--no-docker-plugin") :
            List.of("--docker-plugin", pluginSocket.toString()));
        final File log = dir.resolve("daemon-" + (++starts) + ".log").toFile();
        process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log).start();
        return log;
    }

    /** SIGKILL by PID, then waits for the process to be gone. */
    void kill() throws Exception
    {
        new ProcessBuilder("kill", "-9", Long.toString(process.pid())).inheritIO().start().waitFor();
        if (!process.waitFor(10, TimeUnit.SECONDS))
        {
            throw new AssertionError("SIGKILLed daemon " + process.pid() + " still running");
        }
    }

    /** SIGTERM (a clean stop), SIGKILL if it has not stopped after 30 s. @return true when it stopped cleanly. */
    boolean stop() throws Exception
    {
        if (process == null || !process.isAlive())
        {
            return true;
        }
        process.destroy();
        final boolean clean = process.waitFor(30, TimeUnit.SECONDS);
        if (!clean)
        {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        return clean;
    }

    long pid()
    {
        return process.pid();
    }

    boolean isAlive()
    {
        return process != null && process.isAlive();
    }

    String log() throws Exception
    {
        return Files.readString(dir.resolve("daemon-" + starts + ".log"));
    }
}
