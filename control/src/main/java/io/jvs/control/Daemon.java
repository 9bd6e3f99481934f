package io.jvs.control;

import io.jvs.control.api.ApiClient;
import io.jvs.control.api.JvsApi;
import io.jvs.control.api.UnixSocketHttpServer;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.control.ipam.SubnetPool;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.netns.IpTool;
import io.jvs.control.overlay.OverlayOptions;
import io.jvs.control.overlay.OverlayRuntime;
import io.jvs.control.state.InMemoryNetworkStore;
import io.jvs.dataplane.SwitchConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * The jvs daemon: the switch (via a {@link Fabric}), the control plane and its API on a unix socket. Closing it
 * stops the API, removes every endpoint it created (switch ports and host-end veths) and stops the switch;
 * sandboxes stay until {@code jvs sandbox rm}.
 */
public final class Daemon implements AutoCloseable
{
    /** Where and how to run. */
    public record Config(Path socket, Path stateDir, SwitchConfig switchConfig, Path netnsEtc, boolean adoptSandboxes,
        JvsFabric.L3Config l3)
    {
        /** Without L3 settings: gateways only (no host port, no uplink). */
        public Config(final Path socket, final Path stateDir, final SwitchConfig switchConfig, final Path netnsEtc,
            final boolean adoptSandboxes)
        {
            this(socket, stateDir, switchConfig, netnsEtc, adoptSandboxes, JvsFabric.L3Config.gatewaysOnly());
        }

        public static final Path DEFAULT_SOCKET = Path.of("/run/jvs/jvs.sock");
        public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/jvs");

        /** For an in-process daemon (tests, demo): private socket, no adoption of leftover sandboxes. */
        public static Config embedded(final Path socket, final Path stateDir)
        {
            return new Config(socket, stateDir, SwitchConfig.defaults(), HostsFiles.DEFAULT_ROOT, false);
        }
    }

    private final Fabric fabric;
    private final NetworkService service;
    private final UnixSocketHttpServer server;
    private final List<String> adopted;
    private final OverlayRuntime overlay;
    private boolean closed;

    private Daemon(final Fabric fabric, final NetworkService service, final UnixSocketHttpServer server,
        final List<String> adopted, final OverlayRuntime overlay)
    {
        this.fabric = fabric;
        this.service = service;
        this.server = server;
        this.adopted = adopted;
        this.overlay = overlay;
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
        try
        {
            Files.createDirectories(config.stateDir());
        }
        catch (final IOException ex)
        {
            throw new JvsException(JvsException.Kind.INTERNAL,
                "cannot create the state directory " + config.stateDir() + ": " + ex.getMessage(), ex);
        }
        final Fabric fabric = fabricFactory.get();
        NetworkService service = null;
        OverlayRuntime overlay = null;
        try
        {
            final IpTool ip = new IpTool();
            service = new NetworkService(new InMemoryNetworkStore(), fabric, ip,
                new HostsFiles(config.netnsEtc()), SubnetPool.defaults());
            service.createPredefinedNetworks();
            final List<String> adopted = config.adoptSandboxes() ? service.adoptSandboxes() : List.of();
            overlay = OverlayRuntime.start(overlayOptions, fabric, ip);
            service.enableOverlay(overlay.control());
            final UnixSocketHttpServer server = UnixSocketHttpServer.start(config.socket(), new JvsApi(service), "jvs-api");
            return new Daemon(fabric, service, server, adopted, overlay);
        }
        catch (final RuntimeException ex)
        {
            if (overlay != null)
            {
                try
                {
                    overlay.leave();
                }
                catch (final RuntimeException suppressed)
                {
                    ex.addSuppressed(suppressed);
                }
            }
            if (service != null)
            {
                try
                {
                    service.close();
                }
                catch (final RuntimeException suppressed)
                {
                    ex.addSuppressed(suppressed);
                }
            }
            fabric.close();
            if (overlay != null)
            {
                overlay.close();
            }
            throw ex;
        }
    }

    public Path socket()
    {
        return server.socket();
    }

    public NetworkService service()
    {
        return service;
    }

    public OverlayRuntime overlay()
    {
        return overlay;
    }

    /** Sandboxes left by an earlier daemon and taken over at start. */
    public List<String> adoptedSandboxes()
    {
        return adopted;
    }

    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (final Runnable step : List.<Runnable>of(server::close, overlay::leave, service::close, fabric::close,
            overlay::close))
        {
            try
            {
                step.run();
            }
            catch (final RuntimeException ex)
            {
                if (failure == null)
                {
                    failure = ex;
                }
                else
                {
                    failure.addSuppressed(ex);
                }
            }
        }
        if (failure != null)
        {
            throw failure;
        }
    }
}
