package io.jvs.control.cli;

import io.jvs.control.Daemon;
import io.jvs.control.netns.HostsFiles;
import io.jvs.dataplane.SwitchConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code jvs daemon}: runs the switch and serves the API until SIGTERM/SIGINT. */
@Command(name = "daemon", description = "Run the switch and serve the local API.", mixinStandardHelpOptions = true)
final class DaemonCommand implements Callable<Integer>
{
    enum Threads { shared, dedicated }

    enum Idle { poll, backoff, busy }

    @Mixin
    SocketOption socket;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/jvs",
        description = "State directory (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--threads", paramLabel = "MODE", defaultValue = "shared",
        description = "shared: one thread receives and forwards; dedicated: a thread each (default: ${DEFAULT-VALUE}).")
    Threads threads;

    @Option(names = "--idle", paramLabel = "STRATEGY", defaultValue = "poll",
        description = "How idle switch threads wait: poll (block in poll(2)), backoff (spin, yield, park), busy " +
            "(spin; a core each). Default: ${DEFAULT-VALUE}.")
    Idle idle;

    @Override
    public Integer call()
    {
        final SwitchConfig defaults = SwitchConfig.defaults();
        final SwitchConfig switchConfig = new SwitchConfig(
            threads == Threads.dedicated ? SwitchConfig.ThreadingMode.DEDICATED : SwitchConfig.ThreadingMode.SHARED,
            idle.name(), defaults.ringCapacityBytes(), defaults.batchSize(), defaults.macTableCapacity(),
            defaults.macAgingNanos());
        final Daemon daemon = Daemon.start(
            new Daemon.Config(socket.resolve(spec), stateDir, switchConfig, HostsFiles.DEFAULT_ROOT, true));
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread hook = new Thread(() ->
        {
            System.err.println("jvs: shutting down: removing endpoints, stopping the switch");
            try
            {
                daemon.close();
            }
            finally
            {
                stopped.countDown();
            }
        }, "jvs-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.println("jvs: daemon listening on " + daemon.socket() + " (threads " + threads + ", idle " + idle +
            ")" + (daemon.adoptedSandboxes().isEmpty() ? "" :
            "; adopted sandboxes " + String.join(", ", daemon.adoptedSandboxes())));
        try
        {
            stopped.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
