package io.jvs.control.cli;

import io.jvs.control.daemon.Daemon;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.control.dns.SandboxDns;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.overlay.EtcdTls;
import io.jvs.control.overlay.OverlayControl;
import io.jvs.control.logging.Logs;
import io.jvs.control.metrics.MetricsEndpoint;
import io.jvs.control.overlay.OverlayOptions;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.dataplane.SwitchCpus;
import io.jvs.dataplane.SwitchLanes;
import io.jvs.tap.ThreadAffinity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.net.InetSocketAddress;
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

    @Option(names = DaemonConfigFile.CONFIG_OPTION, paramLabel = "FILE",
        description = "Settings file: `key = value` lines named like these options without --; a flag overrides " +
            "its key (default: /etc/jvs/jvs.conf if it exists; none: no file).")
    String config;

    @Option(names = "--print-config", description = "Print the settings in force and where each comes from " +
        "(command line, config file, default), then exit.")
    boolean printConfig;

    /** Set by Main before parsing: the default values it serves are the file's entries. */
    DaemonConfigFile configFile = DaemonConfigFile.none();

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

    // Off by default: the journal brings back this daemon's own sandboxes; adopting every jvs-marked namespace on
    // the machine would take over those of another daemon (another state directory) running beside this one.
    @Option(names = "--default-ipv6-pool", paramLabel = "CIDR", description = "Where --ipv6 networks without an " +
        "IPv6 --subnet get a /64 (Docker's default-address-pools for IPv6); default fd4a:7c5e:91b3::/48, a unique " +
        "local prefix.")
    String defaultIpv6Pool;

    @Option(names = "--adopt", description = "Also take over jvs-marked namespaces the state does not know " +
        "(left by a daemon whose state directory is lost).")
    boolean adopt;

    @Option(names = "--no-adopt", hidden = true, description = "The default; kept for scripts.")
    boolean noAdopt;

    @Option(names = "--no-sandboxes", description = "Serve Docker only: refuse jvs sandboxes. For a daemon whose " +
        "mounts do not reach the host's (a service with its own mount namespace, as packaging/jvs.service's " +
        "ProtectSystem= gives), where a sandbox could not be entered.")
    boolean noSandboxes;

    @Option(names = "--threads", paramLabel = "MODE", defaultValue = "shared",
        description = "shared: one thread receives and forwards; dedicated: a thread each (default: ${DEFAULT-VALUE}).")
    Threads threads;

    @Option(names = "--idle", paramLabel = "STRATEGY", defaultValue = "poll",
        description = "How idle switch threads wait: poll (spin 50 us after the last frame, then block in poll(2)), " +
            "poll:MICROS (another spin window), backoff (spin, yield, park), busy (spin; a core each), yield, " +
            "sleep. Default: ${DEFAULT-VALUE}.")
    String idle;

    @Option(names = "--switch-nice", paramLabel = "N", defaultValue = "" + SwitchConfig.DEFAULT_THREAD_NICE,
        description = "Nice value of the switch threads, so other work on the host does not starve forwarding " +
            "(0: leave as is). Default: ${DEFAULT-VALUE}.")
    int switchNice;

    @Option(names = "--switch-rt-priority", paramLabel = "P", defaultValue = "" + SwitchConfig.DEFAULT_THREAD_RT_PRIORITY,
        description = "Run the switch threads SCHED_FIFO at this priority (1-99; with --idle poll only), so no " +
            "normal task preempts forwarding; 0: a normal thread at --switch-nice. Default: ${DEFAULT-VALUE}.")
    int switchRtPriority;

    @Option(names = "--lanes", paramLabel = "N|auto", defaultValue = SwitchLanes.AUTO,
        description = "Forwarding lanes: switch threads that each receive from and send to a share of the ports " +
            "(auto: half the CPUs this daemon may run on, at least one; at most one per CPU). Default: auto.")
    String lanes;

    @Option(names = "--switch-cpus", paramLabel = "CPUS", defaultValue = SwitchConfig.DEFAULT_SWITCH_CPUS,
        description = "Where the switch threads run: auto (each on a CPU of its own among the last CPUs this daemon " +
            "may use, the first left to the containers and the host; unbound if there are too few), none (left to " +
            "the scheduler), or a CPU list such as 3 or 2,3 or 4-7 (switch thread i on the list's CPU i). " +
            "Default: ${DEFAULT-VALUE}.")
    String switchCpus;

    @Option(names = "--port-rx-slots", paramLabel = "N", defaultValue = "" + SwitchConfig.DEFAULT_PORT_RX_SLOTS,
        description = "Receive ring slots (2 KB each) of every container port, the uplink and a macvlan parent: " +
            "frames that wait in the kernel while the switch thread is off its CPU. More for a busy host where the " +
            "switch is often descheduled, fewer to keep the rings in the CPU caches (default: ${DEFAULT-VALUE}, " +
            SwitchConfig.MIN_PORT_RX_SLOTS + ".." + SwitchConfig.MAX_PORT_RX_SLOTS + ").")
    int portRxSlots;

    @Option(names = "--port-mac-limit", paramLabel = "N", defaultValue = "" + SwitchConfig.DEFAULT_PORT_MAC_LIMIT,
        description = "MAC addresses a container port learns at most; frames from further source MACs are dropped " +
            "(counted mac_limit), so one sandbox cannot fill the MAC table for the others. 0: no limit per port. " +
            "Default: ${DEFAULT-VALUE}.")
    int portMacLimit;

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
        description = "etcd v3 endpoints (http://IP:2379,... or https://...) shared by the hosts of the overlay.")
    String etcd;

    @Option(names = "--etcd-cacert", paramLabel = "FILE",
        description = "PEM CA certificate that signed etcd's server certificate (https endpoints; default: the JVM's trust store).")
    Path etcdCacert;

    @Option(names = "--etcd-cert", paramLabel = "FILE",
        description = "PEM client certificate for etcd's --client-cert-auth (with --etcd-key).")
    Path etcdCert;

    @Option(names = "--etcd-key", paramLabel = "FILE",
        description = "PEM PKCS#8 private key of --etcd-cert.")
    Path etcdKey;

    @Option(names = "--peers", paramLabel = "IP[,IP...]", split = ",",
        description = "Static VTEP peers (no etcd needed; addresses are then not coordinated between hosts).")
    List<String> peers;

    @Option(names = "--lease-ttl", paramLabel = "SECONDS", defaultValue = "" + OverlayControl.DEFAULT_LEASE_TTL_SECONDS,
        description = "How long a silent host stays in the others' peer lists (default: ${DEFAULT-VALUE}).")
    long leaseTtl;

    @Option(names = "--overlay-mtu", paramLabel = "MTU", defaultValue = "1450",
        description = "MTU of sandbox interfaces on overlay networks; the underlay MTU must be 50 more (default: ${DEFAULT-VALUE}).")
    int overlayMtu;

    @Option(names = "--key-rotation", paramLabel = "SECONDS", defaultValue = "0",
        description = "Rotate the key of every encrypted overlay network this often; 0: only on " +
            "'jvs overlay rotate-key' (default: ${DEFAULT-VALUE}).")
    long keyRotation;

    @Option(names = "--underlay-rx-frames", paramLabel = "N",
        defaultValue = "" + io.jvs.vxlan.VtepConfig.DEFAULT_UNDERLAY_RX_FRAMES,
        description = "Underlay receive ring slots; each holds a 64 KB frame and costs 128 KB of kernel memory " +
            "(default: ${DEFAULT-VALUE}).")
    int underlayRxFrames;

    @Option(names = "--uplink", paramLabel = "IFACE",
        description = "Outside interface, attached through AF_PACKET: networks reach the outside through it " +
            "(source NAT to --uplink-address) and published ports are reached on it.")
    String uplink;

    @Option(names = "--uplink-address", paramLabel = "CIDR",
        description = "Address jvs answers (ARP, ping) on the uplink and masquerades to, e.g. 192.0.2.10/24. " +
            "Not configured on the host's kernel.")
    String uplinkAddress;

    @Option(names = "--uplink-gateway", paramLabel = "IP",
        description = "Next hop on the uplink for destinations outside the uplink subnet.")
    String uplinkGateway;

    @Option(names = "--uplink-ipv6-address", paramLabel = "CIDR",
        description = "IPv6 address jvs answers (NDP, ping) on the uplink and masquerades IPv6 to (NAT66), " +
            "e.g. 2001:db8::10/64.")
    String uplinkIpv6Address;

    @Option(names = "--uplink-ipv6-gateway", paramLabel = "IP",
        description = "IPv6 next hop on the uplink for destinations outside the uplink's prefix.")
    String uplinkIpv6Gateway;

    @Option(names = "--host-ipv6-address", paramLabel = "CIDR|none",
        defaultValue = JvsFabric.L3Config.DEFAULT_HOST_IPV6_ADDRESS,
        description = "The host's IPv6 address on the host port (the router takes the next one), through which " +
            "the host reaches IPv6 networks; none: IPv6 off on the host port (default: ${DEFAULT-VALUE}).")
    String hostIpv6Address;

    @Option(names = "--host-port", paramLabel = "NAME", defaultValue = JvsFabric.L3Config.DEFAULT_HOST_PORT,
        description = "TAP in the host namespace through which the host and the networks reach each other " +
            "(default: ${DEFAULT-VALUE}).")
    String hostPort;

    @Option(names = "--host-address", paramLabel = "CIDR", defaultValue = JvsFabric.L3Config.DEFAULT_HOST_ADDRESS,
        description = "The host's address on the host port; the router takes the next one " +
            "(default: ${DEFAULT-VALUE}).")
    String hostAddress;

    @Option(names = "--dns-upstream", paramLabel = "IP[:PORT][,...]",
        description = "Where the sandboxes' resolver (127.0.0.11) forwards names that are not peers' " +
            "(default: the nameservers of the host's /etc/resolv.conf).")
    String dnsUpstream;

    @Option(names = "--no-dns", description = "No resolver at 127.0.0.11 in sandboxes: a sandbox resolves only " +
        "itself (its hosts file), not its peers, and other names fail at once.")
    boolean noDns;

    @Option(names = "--no-host-port", description = "No host port: the host does not reach the networks.")
    boolean noHostPort;

    @Option(names = "--nat-ports", paramLabel = "FIRST-LAST", defaultValue = "32768-60999",
        description = "Source ports (and ICMP identifiers) NAT hands out (default: ${DEFAULT-VALUE}).")
    String natPorts;

    @Option(names = "--nat-capacity", paramLabel = "N", defaultValue = "65536",
        description = "Connections tracked at most (default: ${DEFAULT-VALUE}).")
    int natCapacity;

    @Option(names = "--nat-accounting",
        description = "Count packets per connection for `nat ls` (a cache miss per packet with many flows).")
    boolean natAccounting;

    @Option(names = "--metrics", paramLabel = "[ADDR:]PORT",
        description = "Serve Prometheus metrics at http://ADDR:PORT/metrics (127.0.0.1 if only a port); off by default.")
    String metrics;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
        description = "jvs's log level: error, warn, info, debug or trace (libraries log at warn; `jvs log set`).")
    String logLevel;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
        description = "Log lines on stderr as text or json (one JSON object per line).")
    Logs.Format logFormat;

    /** Makes {@code daemon} take its default values from the config file {@code args} name (or the default one). */
    static void useConfigFile(final picocli.CommandLine daemon, final String... args)
    {
        final DaemonConfigFile file = DaemonConfigFile.forCommandLine(args);
        ((DaemonCommand)daemon.getCommand()).configFile = file;
        daemon.setDefaultValueProvider(file);
    }

    @Override
    public Integer call()
    {
        if (!configFile.errors().isEmpty())
        {
            // Every bad entry at once, one line each, before anything starts.
            configFile.errors().forEach(error -> spec.commandLine().getErr().println("jvs: " + error));
            spec.commandLine().getErr().flush();
            return 1;
        }
        if (printConfig)
        {
            // The socket in force may come from `jvs --socket P daemon` or $JVS_SOCKET: show that one.
            socket.socket = socket.resolve(spec);
            configFile.describe(spec).forEach(spec.commandLine().getOut()::println);
            spec.commandLine().getOut().flush();
            return 0;
        }
        DaemonLogging.configure(spec, logLevel, logFormat);
        final InetSocketAddress metricsAddress = MetricsOption.parse(spec, metrics);
        if ((uplinkAddress != null || uplinkGateway != null) && uplink == null)
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "--uplink-address and --uplink-gateway need --uplink IFACE");
        }
        if (uplink != null && uplinkAddress == null)
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--uplink needs --uplink-address CIDR");
        }
        final String[] range = natPorts.split("-");
        final NatConfig nat;
        try
        {
            nat = NatConfig.defaults().withCapacity(natCapacity)
                .withPorts(Integer.parseInt(range[0].trim()), Integer.parseInt(range[range.length - 1].trim()))
                .withAccounting(natAccounting);
            nat.validate();
        }
        catch (final RuntimeException ex)
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "bad --nat-ports/--nat-capacity: " + ex.getMessage());
        }
        if ((uplinkIpv6Address != null || uplinkIpv6Gateway != null) && uplink == null)
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "--uplink-ipv6-address and --uplink-ipv6-gateway need --uplink IFACE");
        }
        if (uplinkIpv6Gateway != null && uplinkIpv6Address == null)
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "--uplink-ipv6-gateway needs --uplink-ipv6-address");
        }
        final JvsFabric.L3Config l3 = new JvsFabric.L3Config(noHostPort ? null : hostPort,
            noHostPort ? null : hostAddress, uplink, uplinkAddress, uplinkGateway, nat,
            noHostPort || "none".equals(hostIpv6Address) ? null : hostIpv6Address)
            .withUplinkIpv6(uplinkIpv6Address, uplinkIpv6Gateway);
        final int laneCount;
        try
        {
            laneCount = threads == Threads.dedicated && SwitchLanes.AUTO.equals(lanes) ? 1 :
                SwitchLanes.resolve(lanes, ThreadAffinity.allowedCpus().length);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "bad --lanes: " + ex.getMessage());
        }
        if (laneCount > 1 && threads == Threads.dedicated)
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "--threads dedicated splits one lane's receive and forwarding over two threads: use it with " +
                "--lanes 1 (asked for " + laneCount + " lanes)");
        }
        final int[] switchThreadCpus;
        try
        {
            switchThreadCpus = SwitchCpus.resolve(
                switchCpus, threads == Threads.dedicated ? 2 : laneCount, ThreadAffinity.allowedCpus());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "bad --switch-cpus: " + ex.getMessage());
        }
        final SwitchConfig defaults = SwitchConfig.defaults();
        final SwitchConfig switchConfig;
        try
        {
            switchConfig = new SwitchConfig(
                threads == Threads.dedicated ? SwitchConfig.ThreadingMode.DEDICATED : SwitchConfig.ThreadingMode.SHARED,
                idle, defaults.ringCapacityBytes(), defaults.batchSize(), defaults.macTableCapacity(),
                defaults.macAgingNanos(), switchNice, switchRtPriority, portRxSlots, switchCpus, laneCount,
                portMacLimit);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "bad --port-rx-slots or --port-mac-limit: " + ex.getMessage());
        }
        GRPC_LOG.setLevel(java.util.logging.Level.WARNING);
        final EtcdTls etcdTls;
        try
        {
            etcdTls = new EtcdTls(etcdCacert, etcdCert, etcdKey);
        }
        catch (final RuntimeException ex)
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), ex.getMessage());
        }
        final OverlayOptions overlay = new OverlayOptions(underlay, underlayAddress, underlayGateway, etcd, etcdTls,
            peers == null ? List.of() : List.copyOf(peers), leaseTtl, overlayMtu,
            underlayRxFrames, keyRotation);
        ipv6Pool(); // a bad --default-ipv6-pool is a usage error, before anything starts
        final SandboxDns.Config dns;
        try
        {
            dns = noDns ? SandboxDns.Config.disabled() :
                dnsUpstream == null ? SandboxDns.Config.hostResolvers() : SandboxDns.Config.upstreams(dnsUpstream);
        }
        catch (final RuntimeException ex)
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "bad --dns-upstream: " +
                ex.getMessage());
        }
        final Daemon.Config config = new Daemon.Config(socket.resolve(spec), stateDir, switchConfig,
            HostsFiles.DEFAULT_ROOT, adopt && !noAdopt, l3, noDockerPlugin ? null : dockerPlugin, dns, ipv6Pool());
        final Daemon daemon = Daemon.start(noSandboxes ? config.withoutSandboxes() : config, overlay);
        final MetricsEndpoint metricsEndpoint = MetricsOption.start(metricsAddress, daemon);
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread hook = new Thread(() ->
        {
            DaemonLogging.say(logFormat,
                "jvs: shutting down: detaching ports, stopping the switch (veths and state stay)");
            try
            {
                if (metricsEndpoint != null)
                {
                    metricsEndpoint.close();
                }
                daemon.close();
            }
            finally
            {
                stopped.countDown();
            }
        }, "jvs-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        final String placement = switchThreadCpus.length == 0 ? "unbound" :
            "on CPU " + SwitchCpus.format(java.util.Arrays.stream(switchThreadCpus).distinct().sorted().toArray());
        DaemonLogging.say(logFormat, "jvs: daemon " + io.jvs.control.common.JvsVersion.version() + " listening on " +
            daemon.socket() + " (threads " + threads + ", lanes " + laneCount +
            ", idle " + idle +
            ", switch " + placement + ")" +
            (daemon.dockerPluginSocket() == null ? "" : "; Docker plugin on " + daemon.dockerPluginSocket()) +
            MetricsOption.describe(metricsEndpoint, metricsAddress) +
            "; " + daemon.overlay().describe() + (daemon.adoptedSandboxes().isEmpty() ? "" :
            "; adopted sandboxes " + String.join(", ", daemon.adoptedSandboxes())));
        final var restored = daemon.restored();
        if (restored.reattached() + restored.detached() > 0 || !restored.dropped().isEmpty())
        {
            DaemonLogging.say(logFormat, "jvs: restored from " + stateDir + ": " + restored.networks() + " networks, " +
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

    /** {@code --default-ipv6-pool}, checked: null for the default. */
    private io.jvs.control.ipam.Cidr6 ipv6Pool()
    {
        if (defaultIpv6Pool == null)
        {
            return null;
        }
        try
        {
            final io.jvs.control.ipam.Cidr6 pool = io.jvs.control.ipam.Cidr6.parse(defaultIpv6Pool);
            new io.jvs.control.ipam.SubnetPool6(pool, io.jvs.control.ipam.SubnetPool6.DEFAULT_PREFIX);
            return pool;
        }
        catch (final RuntimeException ex)
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "bad --default-ipv6-pool: " +
                ex.getMessage());
        }
    }
}
