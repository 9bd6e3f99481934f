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

    @Option(names = "--docker-plugin", paramLabel = "SOCKET", defaultValue = "/run/docker/plugins/jvs.sock",
        description = "Serve Docker's network driver and IPAM plugin API here; the driver is named after the file " +
            "(default: ${DEFAULT-VALUE}, so `docker network create -d jvs --ipam-driver jvs`).")
    Path dockerPlugin;

    @Option(names = "--no-docker-plugin", description = "Do not serve Docker's plugin API.")
    boolean noDockerPlugin;

    @Option(names = "--no-adopt", description = "Do not take over jvs-marked namespaces the state does not know.")
    boolean noAdopt;

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
            new Daemon.Config(socket.resolve(spec), stateDir, switchConfig, HostsFiles.DEFAULT_ROOT, !noAdopt,
                noDockerPlugin ? null : dockerPlugin));
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread hook = new Thread(() ->
        {
            System.err.println("jvs: shutting down: detaching ports, stopping the switch (veths and state stay)");
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
            ")" + (daemon.dockerPluginSocket() == null ? "" : "; Docker plugin on " + daemon.dockerPluginSocket()) +
            (daemon.adoptedSandboxes().isEmpty() ? "" :
            "; adopted sandboxes " + String.join(", ", daemon.adoptedSandboxes())));
        final var restored = daemon.restored();
        if (restored.reattached() + restored.detached() > 0 || !restored.dropped().isEmpty())
        {
            System.err.println("jvs: restored from " + stateDir + ": " + restored.networks() + " networks, " +
                restored.reattached() + " endpoints re-attached, " + restored.detached() + " without their veth" +
                (restored.dropped().isEmpty() ? "" : "; dropped " + String.join(", ", restored.dropped())));
        }
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
