package io.jvs.control.cli;

import io.jvs.control.Daemon;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.overlay.OverlayControl;
import io.jvs.control.overlay.OverlayOptions;
import io.jvs.dataplane.SwitchConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code jvs daemon}: runs the switch and serves the API until SIGTERM/SIGINT. */
@Command(name = "daemon", description = "Run the switch and serve the local API.", mixinStandardHelpOptions = true)
final class DaemonCommand implements Callable<Integer>
{
    /** grpc-java (under jetcd) logs connection details at INFO through java.util.logging; held so it stays set. */
    private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

    enum Threads { shared, dedicated }


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
        description = "How idle switch threads wait: poll (spin 50 us after the last frame, then block in poll(2)), " +
            "poll:MICROS (another spin window), backoff (spin, yield, park), busy (spin; a core each), yield, " +
            "sleep. Default: ${DEFAULT-VALUE}.")
    String idle;

    @Option(names = "--underlay", paramLabel = "IFACE",
        description = "Interface carrying overlay (VXLAN) traffic to other hosts; without it overlay networks stay on this host.")
    String underlay;

    @Option(names = "--underlay-address", paramLabel = "CIDR",
        description = "This host's VTEP address and prefix on the underlay (default: the interface's first IPv4 address).")
    String underlayAddress;

    @Option(names = "--underlay-gateway", paramLabel = "IP",
        description = "Next hop towards VTEPs outside the underlay prefix.")
    String underlayGateway;

    @Option(names = "--etcd", paramLabel = "URL[,URL...]",
        description = "etcd v3 endpoints (http://IP:2379,...) shared by the hosts of the overlay.")
    String etcd;

    @Option(names = "--peers", paramLabel = "IP[,IP...]", split = ",",
        description = "Static VTEP peers (no etcd needed; addresses are then not coordinated between hosts).")
    List<String> peers;

    @Option(names = "--lease-ttl", paramLabel = "SECONDS", defaultValue = "" + OverlayControl.DEFAULT_LEASE_TTL_SECONDS,
        description = "How long a silent host stays in the others' peer lists (default: ${DEFAULT-VALUE}).")
    long leaseTtl;

    @Option(names = "--overlay-mtu", paramLabel = "MTU", defaultValue = "1450",
        description = "MTU of sandbox interfaces on overlay networks; the underlay MTU must be 50 more (default: ${DEFAULT-VALUE}).")
    int overlayMtu;

    @Override
    public Integer call()
    {
        final SwitchConfig defaults = SwitchConfig.defaults();
        final SwitchConfig switchConfig = new SwitchConfig(
            threads == Threads.dedicated ? SwitchConfig.ThreadingMode.DEDICATED : SwitchConfig.ThreadingMode.SHARED,
            idle, defaults.ringCapacityBytes(), defaults.batchSize(), defaults.macTableCapacity(),
            defaults.macAgingNanos());
        GRPC_LOG.setLevel(java.util.logging.Level.WARNING);
        final OverlayOptions overlay = new OverlayOptions(underlay, underlayAddress, underlayGateway, etcd,
            peers == null ? List.of() : List.copyOf(peers), leaseTtl, overlayMtu);
        final Daemon daemon = Daemon.start(
            new Daemon.Config(socket.resolve(spec), stateDir, switchConfig, HostsFiles.DEFAULT_ROOT, true),
            () -> JvsFabric.start(switchConfig), overlay);
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
            "); " + daemon.overlay().describe() + (daemon.adoptedSandboxes().isEmpty() ? "" :
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
