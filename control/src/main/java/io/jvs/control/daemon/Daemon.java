package io.jvs.control.daemon;

import io.jvs.control.api.ApiClient;
import io.jvs.control.api.JvsApi;
import io.jvs.control.api.UnixHttpClient;
import io.jvs.control.api.UnixSocketHttpServer;
import io.jvs.control.docker.DockerDriver;
import io.jvs.control.docker.DockerIpam;
import io.jvs.control.docker.DockerPluginApi;
import io.jvs.control.docker.PluginSocketServer;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.control.ipam.Cidr6;
import io.jvs.control.ipam.SubnetPool;
import io.jvs.control.ipam.SubnetPool6;
import io.jvs.control.dns.SandboxDns;
import io.jvs.control.dns.SandboxNames;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.network.NetworkService;
import io.jvs.control.network.RestoreReport;
import io.jvs.control.common.Failures;
import io.jvs.control.common.JvsException;
import io.jvs.control.netns.IpTool;
import io.jvs.control.netns.MountPropagation;
import io.jvs.control.state.JournaledNetworkStore;
import io.jvs.control.state.StateTables;
import io.jvs.control.overlay.OverlayOptions;
import io.jvs.control.overlay.OverlayRuntime;
import io.jvs.dataplane.SwitchConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The jvs daemon: the switch (via a {@link Fabric}), the control plane with its durable state, its API on a unix
 * socket and, optionally, Docker's plugin API (network driver and IPAM) on a second one.
 * <p>
 * State (networks, sandboxes, endpoints, Docker's settings and address pools) is journaled under the state
 * directory; a daemon started on the same directory, after a clean stop or a SIGKILL alike, rebuilds the switch
 * side and re-attaches every endpoint whose veth survived. Closing stops the APIs, detaches the ports and stops the
 * switch; veths, namespaces and state stay.
 */
public final class Daemon implements AutoCloseable
{
    /**
     * Where and how to run.
     *
     * @param l3                 gateways, host port, uplink and NAT settings.
     * @param dockerPluginSocket where Docker's plugin API is served (the driver's name is the file name without
     *                           ".sock"); null serves none.
     * @param dns                the sandboxes' resolver at 127.0.0.11 and where it forwards.
     * @param ipv6Pool           where {@code --ipv6} networks without an IPv6 subnet get a /64
     *                           ({@code --default-ipv6-pool}); null for {@link SubnetPool6#DEFAULT_POOL}.
     * @param sandboxes          whether jvs sandboxes (network namespaces under /run/netns) are served; off
     *                           ({@code --no-sandboxes}) for a daemon whose mounts do not reach the host.
     */
    public record Config(Path socket, Path stateDir, SwitchConfig switchConfig, Path netnsEtc, boolean adoptSandboxes,
        JvsFabric.L3Config l3, Path dockerPluginSocket, SandboxDns.Config dns, Cidr6 ipv6Pool, boolean sandboxes)
    {
        public static final Path DEFAULT_SOCKET = Path.of("/run/jvs/jvs.sock");
        public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/jvs");
        public static final Path DEFAULT_DOCKER_PLUGIN_SOCKET = Path.of("/run/docker/plugins/jvs.sock");

        /** Serving sandboxes. */
        public Config(final Path socket, final Path stateDir, final SwitchConfig switchConfig, final Path netnsEtc,
            final boolean adoptSandboxes, final JvsFabric.L3Config l3, final Path dockerPluginSocket,
            final SandboxDns.Config dns, final Cidr6 ipv6Pool)
        {
            this(socket, stateDir, switchConfig, netnsEtc, adoptSandboxes, l3, dockerPluginSocket, dns, ipv6Pool, true);
        }

        /** With the default IPv6 pool, serving sandboxes. */
        public Config(final Path socket, final Path stateDir, final SwitchConfig switchConfig, final Path netnsEtc,
            final boolean adoptSandboxes, final JvsFabric.L3Config l3, final Path dockerPluginSocket,
            final SandboxDns.Config dns)
        {
            this(socket, stateDir, switchConfig, netnsEtc, adoptSandboxes, l3, dockerPluginSocket, dns, null, true);
        }

        /** With the sandboxes' resolver forwarding to the host's resolvers. */
        public Config(final Path socket, final Path stateDir, final SwitchConfig switchConfig, final Path netnsEtc,
            final boolean adoptSandboxes, final JvsFabric.L3Config l3, final Path dockerPluginSocket)
        {
            this(socket, stateDir, switchConfig, netnsEtc, adoptSandboxes, l3, dockerPluginSocket,
                SandboxDns.Config.hostResolvers());
        }

        /** Without L3 settings (gateways only: no host port, no uplink) and without Docker's plugin API. */
        public Config(final Path socket, final Path stateDir, final SwitchConfig switchConfig, final Path netnsEtc,
            final boolean adoptSandboxes)
        {
            this(socket, stateDir, switchConfig, netnsEtc, adoptSandboxes, JvsFabric.L3Config.gatewaysOnly(), null);
        }

        /** For an in-process daemon (tests, demo): private socket, no adoption of leftover sandboxes. */
        public static Config embedded(final Path socket, final Path stateDir)
        {
            return new Config(socket, stateDir, SwitchConfig.defaults(), HostsFiles.DEFAULT_ROOT, false);
        }

        public Config withDockerPlugin(final Path pluginSocket)
        {
            return new Config(socket, stateDir, switchConfig, netnsEtc, adoptSandboxes, l3, pluginSocket, dns,
                ipv6Pool, sandboxes);
        }

        public Config withDns(final SandboxDns.Config sandboxDns)
        {
            return new Config(socket, stateDir, switchConfig, netnsEtc, adoptSandboxes, l3, dockerPluginSocket,
                sandboxDns, ipv6Pool, sandboxes);
        }

        /** The /64s of {@code --ipv6} networks without an IPv6 subnet come from {@code pool}. */
        public Config withIpv6Pool(final Cidr6 pool)
        {
            return new Config(socket, stateDir, switchConfig, netnsEtc, adoptSandboxes, l3, dockerPluginSocket, dns,
                pool, sandboxes);
        }

        /** Docker only: sandboxes refused (see {@link MountPropagation}). */
        public Config withoutSandboxes()
        {
            return new Config(socket, stateDir, switchConfig, netnsEtc, false, l3, dockerPluginSocket, dns, ipv6Pool,
                false);
        }

        /** The IPv6 pool, cut into /64s. */
        public SubnetPool6 ipv6Subnets()
        {
            return ipv6Pool == null ? SubnetPool6.defaults() : new SubnetPool6(ipv6Pool, SubnetPool6.DEFAULT_PREFIX);
        }
    }

    private final Fabric fabric;
    private final StateTables tables;
    private final NetworkService service;
    private final UnixSocketHttpServer server;
    private final PluginSocketServer pluginServer;
    private final DockerDriver dockerDriver;
    private final DockerIpam dockerIpam;
    private final List<String> adopted;
    private final RestoreReport restored;
    private final OverlayRuntime overlay;
    private final SandboxDns dns;
    private boolean closed;

    private Daemon(final Builder b)
    {
        this.fabric = b.fabric;
        this.tables = b.tables;
        this.service = b.service;
        this.server = b.server;
        this.pluginServer = b.pluginServer;
        this.dockerDriver = b.dockerDriver;
        this.dockerIpam = b.dockerIpam;
        this.adopted = b.adopted;
        this.restored = b.restored;
        this.overlay = b.overlay;
        this.dns = b.dns;
    }

    /** Starts on the real switch. */
    public static Daemon start(final Config config)
    {
        return start(config, () -> JvsFabric.start(config.switchConfig(), config.l3()));
    }

    /** Starts on the real switch with the given overlay settings. */
    public static Daemon start(final Config config, final OverlayOptions overlayOptions)
    {
        return start(config, () -> JvsFabric.start(config.switchConfig(), config.l3()), overlayOptions);
    }

    /** Overlay networks on this host only (no underlay, no etcd). */
    public static Daemon start(final Config config, final Supplier<Fabric> fabricFactory)
    {
        return start(config, fabricFactory, OverlayOptions.local());
    }

    public static Daemon start(final Config config, final Supplier<Fabric> fabricFactory,
        final OverlayOptions overlayOptions)
    {
        if (new ApiClient(config.socket()).ping())
        {
            throw new JvsException(JvsException.Kind.CONFLICT,
                "another jvs daemon is already serving on " + config.socket());
        }
        if (config.dockerPluginSocket() != null && answers(config.dockerPluginSocket()))
        {
            throw new JvsException(JvsException.Kind.CONFLICT,
                "something is already serving Docker plugins on " + config.dockerPluginSocket());
        }
        if (config.sandboxes())
        {
            MountPropagation.requireSandboxesReachHost();
        }
        try
        {
            Files.createDirectories(config.stateDir());
        }
        catch (final IOException ex)
        {
            throw new JvsException(JvsException.Kind.INTERNAL,
                "cannot create the state directory " + config.stateDir() + ": " + ex.getMessage(), ex);
        }
        final Builder b = new Builder();
        try
        {
            b.tables = StateTables.open(config.stateDir());
            b.fabric = fabricFactory.get();
            final IpTool ip = new IpTool();
            final SandboxNames names = new SandboxNames();
            b.dns = config.dns().enabled() ? SandboxDns.start(config.dns(), names, b.fabric.counters()) : null;
            b.service = new NetworkService(new JournaledNetworkStore(b.tables), b.fabric, ip,
                new HostsFiles(config.netnsEtc(), b.dns == null ? HostsFiles.Observer.NONE : b.dns),
                SubnetPool.defaults(), names);
            FaultInjection.fromSystemProperties().ifPresent(b.service::probe);
            if (!config.sandboxes())
            {
                b.service.refuseSandboxes();
            }
            b.service.ipv6Pool(config.ipv6Subnets());
            b.restored = b.service.restore();
            b.adopted = config.adoptSandboxes() ? b.service.adoptSandboxes() : List.of();
            b.overlay = OverlayRuntime.start(overlayOptions, b.fabric, ip, b.tables);
            b.restored = b.restored.and(b.service.enableOverlay(b.overlay.control()));
            b.dockerDriver = new DockerDriver(b.service, b.tables);
            b.dockerIpam = new DockerIpam(b.tables, b.service, ip, SubnetPool.defaults());
            b.server = UnixSocketHttpServer.start(config.socket(), new JvsApi(b.service), "jvs-api");
            if (config.dockerPluginSocket() != null)
            {
                b.pluginServer = PluginSocketServer.start(config.dockerPluginSocket(),
                    new DockerPluginApi(b.dockerDriver, b.dockerIpam), "jvs-docker");
            }
            return new Daemon(b);
        }
        catch (final RuntimeException ex)
        {
            final List<Runnable> undo = new ArrayList<>();
            if (b.overlay != null)
            {
                undo.add(b.overlay::leave);
            }
            if (b.server != null)
            {
                undo.add(b.server::close);
            }
            if (b.service != null)
            {
                undo.add(b.service::close);
            }
            if (b.fabric != null)
            {
                undo.add(b.fabric::close);
            }
            if (b.overlay != null)
            {
                undo.add(b.overlay::close);
            }
            if (b.tables != null)
            {
                undo.add(b.tables::close);
            }
            if (b.dns != null)
            {
                undo.add(b.dns::close);
            }
            undo.forEach(step -> Failures.runQuietly(step, ex));
            throw ex;
        }
    }

    private static boolean answers(final Path socket)
    {
        try
        {
            new UnixHttpClient(socket, Duration.ofSeconds(5)).send("POST", "/Plugin.Activate", new byte[0]);
            return true;
        }
        catch (final IOException ex)
        {
            return false; // nobody there (a stale socket file is replaced)
        }
    }

    public Path socket()
    {
        return server.socket();
    }

    /** Where Docker's plugin API is served; null when it is not. */
    public Path dockerPluginSocket()
    {
        return pluginServer == null ? null : pluginServer.socket();
    }

    public NetworkService service()
    {
        return service;
    }

    /** The switch as the control plane sees it (counters, latency): for readers such as the metrics endpoint. */
    public Fabric fabric()
    {
        return fabric;
    }

    public DockerDriver dockerDriver()
    {
        return dockerDriver;
    }

    public DockerIpam dockerIpam()
    {
        return dockerIpam;
    }

    public OverlayRuntime overlay()
    {
        return overlay;
    }

    /** The sandboxes' resolver; null when off. */
    public SandboxDns dns()
    {
        return dns;
    }

    /** Sandboxes left by an earlier daemon and taken over at start. */
    public List<String> adoptedSandboxes()
    {
        return adopted;
    }

    /** What the start found in the state directory and re-attached. */
    public RestoreReport restored()
    {
        return restored;
    }

    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        final List<Runnable> steps = new ArrayList<>();
        if (pluginServer != null)
        {
            steps.add(pluginServer::close);
        }
        steps.addAll(List.of(server::close, overlay::leave, service::close, fabric::close, overlay::close,
            tables::close));
        if (dns != null)
        {
            steps.add(dns::close);
        }
        Failures.runAll(steps);
    }

    /** What start has built so far, so a failure can undo exactly that. */
    private static final class Builder
    {
        Fabric fabric;
        StateTables tables;
        NetworkService service;
        UnixSocketHttpServer server;
        PluginSocketServer pluginServer;
        DockerDriver dockerDriver;
        DockerIpam dockerIpam;
        List<String> adopted = List.of();
        RestoreReport restored;
        OverlayRuntime overlay;
        SandboxDns dns;
    }
}
