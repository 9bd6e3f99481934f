package io.jvs.control.it;

import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.TempDirs;
import io.jvs.control.testing.TcpListener;
import io.jvs.control.testing.Transfers;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.daemon.Daemon;
import io.jvs.control.cli.Main;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.control.netns.Command;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.state.Endpoint;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.tap.PacketSocketPort;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * jvs end to end through its CLI: an in-process daemon on a temporary socket, real namespaces and veths, traffic
 * with ping and iperf3 (default offloads), names through the hosts files. Every name starts with "jc" and a
 * random run suffix; everything is removed after each test, and the end checks nothing is left behind.
 * {@code -Djvs.test.fabric=kernel} swaps the switch for Linux bridges (to tell control-plane faults from switch ones).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetworkingIntegrationTest
{
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(20);
    private static final int IPERF_PORT = 5201;
    private static final int DATA_PORT = 5301;
    private static final int TCP_PROBE_PORT = 5302;

    private final String run = "jc" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final boolean kernelFabric = "kernel".equals(System.getProperty("jvs.test.fabric"));
    private final ObjectMapper json = new ObjectMapper();
    private final List<String> sandboxes = new ArrayList<>();
    private final List<String> networks = new ArrayList<>();
    private final Set<String> hostInterfaces = new LinkedHashSet<>();
    private Path dir;
    private Path socket;
    private InProcessCli jvs;
    private Daemon daemon;
    private int counter;

    @BeforeAll
    void startDaemon() throws Exception
    {
        dir = Files.createTempDirectory(run);
        socket = dir.resolve("jvs.sock");
        jvs = InProcessCli.socketAfterCommand(socket);
        final Supplier<Fabric> fabric = kernelFabric ? () -> new KernelBridgeFabric(run) :
            () -> JvsFabric.start(SwitchConfig.defaults());
        daemon = Daemon.start(Daemon.Config.embedded(socket, dir.resolve("state")), fabric);
    }

    @AfterEach
    void removeWhatTheTestCreated()
    {
        for (final Endpoint endpoint : allEndpoints())
        {
            hostInterfaces.add(endpoint.hostInterface());
        }
        for (final String sandbox : sandboxes)
        {
            try
            {
                daemon.service().removeSandbox(sandbox);
            }
            catch (final RuntimeException ex)
            {
                Command.exec(EXEC_TIMEOUT, "ip", "netns", "delete", sandbox);
            }
        }
        for (final String network : networks)
        {
            try
            {
                daemon.service().removeNetwork(network);
            }
            catch (final RuntimeException ignored)
            {
                // removed by the test itself
            }
        }
        sandboxes.clear();
        networks.clear();
    }

    @AfterAll
    void stopDaemonAndCheckNothingIsLeft() throws Exception
    {
        daemon.close();
        TempDirs.deleteTree(dir);
        for (final String link : hostInterfaces)
        {
            assertFalse(Files.exists(Path.of("/sys/class/net", link)), "left behind: link " + link);
        }
        final String namespaces = Command.run("ip", "netns", "list");
        assertFalse(namespaces.contains(run), "left behind: namespaces " + namespaces);
        try (var files = Files.list(HostsFiles.DEFAULT_ROOT))
        {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(run)), "left behind: /etc/netns");
        }
        catch (final java.nio.file.NoSuchFileException ignored)
        {
            // no /etc/netns at all: nothing left
        }
        assertFalse(Files.exists(socket), "socket removed");
    }

    // ------------------------------------------------------------------------------------------------------ tests

    @Test
    void pingByNameAndTcpBetweenSandboxes() throws Exception
    {
        final String net = network();
        final String a = sandbox();
        final String b = sandbox();
        ok("network", "connect", net, a);
        ok("network", "connect", net, b);

        assertTrue(ping(a, b), "ping " + a + " -> " + b + " by name");
        assertTrue(ping(b, a), "ping " + b + " -> " + a + " by name");

        final JsonNode report = iperf(a, b, 2);
        final long bytes = report.path("end").path("sum_received").path("bytes").asLong();
        assertTrue(bytes > 1_000_000, "iperf3 TCP moved only " + bytes + " bytes: " + report.path("error"));
        System.out.printf("TCP %s -> %s through jvs: %.2f Gbit/s, %d retransmits%n", a, b,
            report.path("end").path("sum_received").path("bits_per_second").asDouble() / 1e9,
            report.path("end").path("sum_sent").path("retransmits").asLong());
    }

    @Test
    void offloadsStayOnInSandboxes() throws Exception
    {
        final String net = network();
        final String a = sandbox();
        ok("network", "connect", net, a);
        final String features = exec(a, "ethtool", "-k", "eth0").stdout();
        assertTrue(features.contains("tx-checksumming: on"), features);
        assertTrue(features.contains("tcp-segmentation-offload: on"), features);
    }

    @Test
    void networksAreIsolatedInTrafficAndNames() throws Exception
    {
        final String blue = network();
        final String red = network();
        final String a = sandbox();
        final String b = sandbox();
        final String c = sandbox();
        ok("network", "connect", blue, a);
        ok("network", "connect", blue, b);
        ok("network", "connect", red, c);

        assertTrue(ping(a, b));
        assertTrue(resolves(a, b));
        assertFalse(resolves(a, c), a + " must not resolve " + c + " (no shared network)");
        assertFalse(resolves(c, a));

        // By address, so no name lookup can fail first; both networks have a gateway and each sandbox a default
        // route through it, so only the router's isolation stands between them. Each probe is shown to work
        // towards a peer on the sender's own network first.
        for (final String sandbox : List.of(a, c))
        {
            assertTrue(exec(sandbox, "ip", "-4", "route", "show", "default").stdout().startsWith("default via "),
                sandbox + " has a way off its network");
        }
        final String addressB = address(blue, b);
        final String addressC = address(red, c);
        assertTrue(ping(a, addressB), a + " -> " + b + " by address");
        assertFalse(ping(a, addressC), a + " reached " + c + " across networks");
        assertFalse(ping(c, addressB), c + " reached " + b + " across networks");
        try (TcpListener atB = new TcpListener(b, TCP_PROBE_PORT); TcpListener atC = new TcpListener(c, TCP_PROBE_PORT))
        {
            assertTrue(tcpConnects(a, addressB), a + " -> " + b + " TCP by address");
            assertFalse(tcpConnects(a, addressC), a + " connected to " + c + " across networks");
            assertFalse(tcpConnects(b, addressC), b + " connected to " + c + " across networks");
            assertTrue(atC.alive(), "the listener in " + c + " was there to answer");
        }
    }

    @Test
    void bridgedTcpDataArrivesIntact() throws Exception
    {
        final String net = network();
        final String a = sandbox();
        final String b = sandbox();
        ok("network", "connect", net, a);
        ok("network", "connect", net, b);
        Transfers.assertIntact(a + " -> " + b + " bridged", a, b, DATA_PORT, address(net, b), DATA_PORT);
        Transfers.assertIntact(b + " -> " + a + " bridged", b, a, DATA_PORT, address(net, a), DATA_PORT);
    }

    @Test
    void liveConnectAndDisconnect() throws Exception
    {
        final String net = network();
        final String a = sandbox();
        final String b = sandbox();
        ok("network", "connect", net, a);
        ok("network", "connect", net, b);
        final String addressB = address(net, b);
        assertTrue(ping(a, b));

        ok("network", "disconnect", net, b);
        assertFalse(ping(a, addressB), "ping still works after disconnect");
        assertFalse(resolves(a, b), "name still resolves after disconnect");
        assertFalse(exec(b, "ip", "-o", "link", "show").stdout().contains("eth0"), "eth0 gone from " + b);
        assertFalse(exec(b, "ip", "-4", "route", "show", "default").stdout().contains("default"));

        ok("network", "connect", net, b);
        assertEquals(addressB, address(net, b), "lowest free address handed out again");
        assertTrue(ping(a, b), "ping after reconnect");
        assertTrue(ping(b, a));
    }

    @Test
    void connectConfiguresInterfaceAddressRouteAndMac() throws Exception
    {
        final InProcessCli.Result created = ok("network", "create", "--subnet", "10.77.3.0/24", "--gateway", "10.77.3.254",
            name("net"));
        networks.add(name("net"));
        final String internal = network("--internal");
        final String a = sandbox();
        ok("network", "connect", name("net"), a);
        ok("network", "connect", internal, a);

        final JsonNode inspect = json.readTree(ok("network", "inspect", created.out().strip().substring(0, 7)).out());
        assertEquals(name("net"), inspect.path(0).path("Name").asText(), "inspect by id prefix");
        assertEquals("10.77.3.254", inspect.path(0).path("IPAM").path("Config").path(0).path("Gateway").asText());
        final JsonNode endpoint = inspect.path(0).path("Containers").path(a);
        assertEquals("10.77.3.1/24", endpoint.path("IPv4Address").asText(), "first free address, gateway skipped");
        assertEquals("02:42:0a:4d:03:01", endpoint.path("MacAddress").asText());
        assertEquals("eth0", endpoint.path("Interface").asText());
        assertTrue(endpoint.path("HostInterface").asText().matches("jv[0-9a-f]{8}"));

        final String links = exec(a, "ip", "-o", "addr", "show").stdout();
        assertTrue(links.contains("eth0") && links.contains("10.77.3.1/24"), links);
        assertTrue(links.contains("eth1"), "second network is eth1: " + links);
        assertEquals("default via 10.77.3.254 dev eth0", exec(a, "ip", "-4", "route", "show", "default").stdout().strip());
        assertEquals("1", Files.readString(Path.of("/proc/sys/net/ipv6/conf",
            endpoint.path("HostInterface").asText(), "disable_ipv6")).strip());

        ok("network", "disconnect", name("net"), a);
        assertEquals("", exec(a, "ip", "-4", "route", "show", "default").stdout().strip(),
            "no default route via an internal network");
    }

    @Test
    void removalRefusedWhileInUseAndPrune() throws Exception
    {
        final String used = network();
        final String idle1 = network();
        final String idle2 = network();
        final String a = sandbox();
        ok("network", "connect", used, a);

        final InProcessCli.Result refused = jvs.run("network", "rm", used);
        assertEquals(1, refused.exit());
        assertTrue(refused.err().startsWith("jvs: error while removing network: network " + used), refused.err());
        assertTrue(refused.err().contains("has active endpoints"), refused.err());
        ok("network", "inspect", used);

        final InProcessCli.Result pruned = ok("network", "prune", "-f");
        assertTrue(pruned.out().contains("Deleted Networks:"), pruned.out());
        assertTrue(pruned.out().contains(idle1) && pruned.out().contains(idle2), pruned.out());
        assertFalse(pruned.out().contains(used), pruned.out());
        final String ls = ok("network", "ls").out();
        assertFalse(ls.contains(idle1) || ls.contains(idle2), ls);
        assertTrue(ls.contains(used) && ls.contains("bridge") && ls.contains("host") && ls.contains("none"), ls);

        ok("sandbox", "rm", a);
        assertFalse(Files.exists(HostsFiles.DEFAULT_ROOT.resolve(a)), "hosts dir removed with the sandbox");
        assertFalse(Command.run("ip", "netns", "list").contains(a));
        assertEquals(used + "\n", ok("network", "rm", used).out());
    }

    @Test
    void predefinedNetworks() throws Exception
    {
        final String ls = ok("network", "ls").out();
        assertTrue(ls.startsWith("NETWORK ID"), ls);
        for (final String name : List.of("bridge", "host", "none"))
        {
            final InProcessCli.Result rm = jvs.run("network", "rm", name);
            assertEquals(1, rm.exit());
            assertEquals("jvs: " + name + " is a pre-defined network and cannot be removed\n", rm.err());
        }
        final String a = sandbox();
        final InProcessCli.Result host = jvs.run("network", "connect", "host", a);
        assertEquals(1, host.exit());
        assertTrue(host.err().contains("cannot be connected to the host network"), host.err());
        final InProcessCli.Result none = jvs.run("network", "connect", "none", a);
        assertEquals(1, none.exit());
        assertTrue(none.err().contains("none network"), none.err());

        ok("network", "connect", "bridge", a);
        final String b = sandbox();
        ok("network", "connect", "bridge", b);
        assertTrue(ping(a, b), "the default bridge network forwards");
        assertEquals(ls, ok("network", "ls").out());
    }

    @Test
    void badRequestsAreRefusedAndChangeNothing() throws Exception
    {
        final String net = network("--subnet", "10.78.0.0/16");
        final String a = sandbox();
        ok("network", "connect", net, a);
        final String before = snapshot();

        jvs.refuse("network with name " + net + " already exists", "network", "create", net);
        jvs.refuse("subnet 10.78.4.0/24 overlaps with network " + net + " (10.78.0.0/16)",
            "network", "create", "--subnet", "10.78.4.0/24", name("x"));
        jvs.refuse("invalid CIDR address: 10.79.0/24", "network", "create", "--subnet", "10.79.0/24", name("x"));
        jvs.refuse("invalid subnet 10.79.0.9/24: it should be 10.79.0.0/24",
            "network", "create", "--subnet", "10.79.0.9/24", name("x"));
        jvs.refuse("gateway 10.80.0.1 is outside subnet 10.79.0.0/24",
            "network", "create", "--subnet", "10.79.0.0/24", "--gateway", "10.80.0.1", name("x"));
        jvs.refuse("gateway 10.79.0.255 is the broadcast address of subnet 10.79.0.0/24",
            "network", "create", "--subnet", "10.79.0.0/24", "--gateway", "10.79.0.255", name("x"));
        jvs.refuse("--gateway needs --subnet", "network", "create", "--gateway", "10.79.0.1", name("x"));
        jvs.refuse("invalid IPv4 address: 10.79.0.300",
            "network", "create", "--subnet", "10.79.0.0/24", "--gateway", "10.79.0.300", name("x"));
        jvs.refuse("driver \"nosuch\" is not supported", "network", "create", "-d", "nosuch", name("x"));
        jvs.refuse("is too small", "network", "create", "--subnet", "10.79.0.0/31", name("x"));
        jvs.refuse("invalid network name \"bad/name\"", "network", "create", "bad/name");
        jvs.refuse("network " + name("nope") + " not found", "network", "connect", name("nope"), a);
        jvs.refuse("network " + name("nope") + " not found", "network", "inspect", name("nope"));
        jvs.refuse("no such sandbox: " + name("nope"), "network", "connect", net, name("nope"));
        jvs.refuse("endpoint with name " + a + " already exists in network " + net, "network", "connect", net, a);
        jvs.refuse("sandbox " + a + " is not connected to network bridge", "network", "disconnect", "bridge", a);
        jvs.refuse("sandbox " + a + " already exists", "sandbox", "create", a);
        jvs.refuse("no such sandbox: " + name("nope"), "sandbox", "rm", name("nope"));
        jvs.refuse("network " + name("nope") + " not found", "network", "rm", name("nope"));

        final String foreign = name("ns");
        Command.run("ip", "netns", "add", foreign);
        try
        {
            jvs.refuse("a network namespace named " + foreign + " already exists", "sandbox", "create", foreign);
        }
        finally
        {
            Command.run("ip", "netns", "delete", foreign);
        }
        assertEquals(before, snapshot(), "a refused request changed something");
    }

    @Test
    void unreachableDaemonIsOneClearLine()
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final String missing = dir.resolve("missing.sock").toString();
        final int exit = Main.run(new PrintWriter(out), new PrintWriter(err), "network", "ls", "--socket", missing);
        assertEquals(1, exit);
        assertEquals("jvs: cannot reach the daemon at " + missing + " (is `jvs daemon` running?)\n", err.toString());
        assertEquals("", out.toString());
    }

    @Test
    void statsAndMacTableShowTheTraffic() throws Exception
    {
        assumeFalse(kernelFabric, "the kernel bridge fabric has no counters");
        final String net = network();
        final String a = sandbox();
        final String b = sandbox();
        ok("network", "connect", net, a);
        ok("network", "connect", net, b);
        assertTrue(ping(a, b));

        final JsonNode mac = json.readTree(ok("mac", "--json").out());
        final Set<String> macs = new LinkedHashSet<>();
        for (final JsonNode entry : mac)
        {
            if (entry.path("Network").asText().equals(net))
            {
                macs.add(entry.path("Mac").asText() + "@" + entry.path("Sandbox").asText());
            }
        }
        final String macA = endpoint(net, a).path("MacAddress").asText();
        final String macB = endpoint(net, b).path("MacAddress").asText();
        assertTrue(macs.contains(macA + "@" + a) && macs.contains(macB + "@" + b), "mac table: " + mac);

        final JsonNode stats = json.readTree(ok("stats", "--json").out());
        long rx = 0;
        for (final JsonNode port : stats.path("Ports"))
        {
            if (port.path("Network").asText().equals(net))
            {
                assertTrue(port.path("Sandbox").asText().equals(a) || port.path("Sandbox").asText().equals(b));
                rx += port.path("RxPackets").asLong();
                assertEquals(PacketSocketPort.mappedBytes(SwitchConfig.defaults().portRings()),
                    port.path("RingBytes").asLong(), "ring memory of a container port: " + port);
            }
        }
        assertTrue(rx >= 6, "ports on " + net + " received " + rx + " packets: " + stats);
        // The switch's own RX-to-TX latency histogram saw the forwarded frames.
        assertTrue(stats.path("Latency").path("Frames").asLong() >= 6, "latency histogram: " + stats.path("Latency"));
        assertTrue(stats.path("Latency").path("P99Micros").asDouble() > 0, "p99: " + stats.path("Latency"));
        final String table = ok("stats").out();
        assertTrue(table.contains("NETWORK") && table.contains("PORT") && table.contains(net), table);
        assertTrue(table.contains("RINGS") && table.contains("1.0M"), "ring memory per port (1 MB at the defaults): " +
            table);
        assertTrue(table.contains("switch latency, RX ring to TX ring"), table);
        assertTrue(ok("mac").out().contains(macA), "mac table text");
    }

    // --------------------------------------------------------------------------------------------------- helpers

    private String name(final String what)
    {
        return run + what;
    }

    private String network(final String... options)
    {
        final String name = run + "n" + (++counter);
        final List<String> args = new ArrayList<>(List.of("network", "create"));
        args.addAll(List.of(options));
        args.add(name);
        networks.add(name);
        final InProcessCli.Result created = ok(args.toArray(new String[0]));
        assertTrue(created.out().strip().matches("[0-9a-f]{64}"), created.out());
        return name;
    }

    private String sandbox()
    {
        final String name = run + "s" + (++counter);
        sandboxes.add(name);
        assertEquals(name + "\n", ok("sandbox", "create", name).out());
        return name;
    }

    /** Success with nothing on stderr. */
    private InProcessCli.Result ok(final String... args)
    {
        final InProcessCli.Result result = jvs.ok(args);
        assertEquals("", result.err());
        return result;
    }

    /** Everything a request could change: the API's view, the kernel's links and namespaces, the hosts files. */
    private String snapshot() throws Exception
    {
        final StringBuilder state = new StringBuilder();
        state.append(ok("network", "ls", "--no-trunc").out());
        for (final JsonNode network : json.readTree(ok("network", "inspect", "bridge").out()))
        {
            state.append(network.path("Containers"));
        }
        for (final String network : networks)
        {
            final InProcessCli.Result inspect = jvs.run("network", "inspect", network);
            state.append(inspect.exit() == 0 ? json.readTree(inspect.out()).path(0).path("Containers") : "");
        }
        state.append(ok("sandbox", "ls").out());
        state.append(Command.run("ip", "netns", "list").lines().filter(l -> l.startsWith(run)).sorted().toList());
        // Only veths into this run's namespaces: other jv links on the machine may come and go meanwhile.
        state.append(Command.run("ip", "-o", "link", "show").lines()
            .filter(l -> l.matches("\\d+: jv.*") && l.contains("link-netns " + run))
            .map(l -> l.split(":")[1].trim()).sorted().toList());
        for (final String sandbox : sandboxes)
        {
            state.append(exec(sandbox, "ip", "-o", "addr", "show").stdout());
            state.append(exec(sandbox, "ip", "route", "show").stdout());
            state.append(Files.readString(HostsFiles.DEFAULT_ROOT.resolve(sandbox).resolve("hosts")));
        }
        return state.toString();
    }

    private List<Endpoint> allEndpoints()
    {
        final List<Endpoint> endpoints = new ArrayList<>();
        daemon.service().networks().forEach(n -> endpoints.addAll(n.endpoints()));
        return endpoints;
    }

    private JsonNode endpoint(final String network, final String sandbox) throws Exception
    {
        return json.readTree(ok("network", "inspect", network).out()).path(0).path("Containers").path(sandbox);
    }

    private String address(final String network, final String sandbox) throws Exception
    {
        final String cidr = endpoint(network, sandbox).path("IPv4Address").asText();
        return cidr.substring(0, cidr.indexOf('/'));
    }

    private static Command.Result exec(final String sandbox, final String... argv)
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", sandbox));
        full.addAll(List.of(argv));
        return Command.exec(EXEC_TIMEOUT, full.toArray(new String[0]));
    }

    private static boolean ping(final String from, final String to)
    {
        return exec(from, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", to).ok();
    }

    /** A TCP handshake with {@code address} from {@code from}, nothing sent. */
    private static boolean tcpConnects(final String from, final String address)
    {
        return exec(from, "nc", "-4", "-z", "-w", "1", address, String.valueOf(TCP_PROBE_PORT)).ok();
    }

    private static boolean resolves(final String from, final String name)
    {
        return exec(from, "getent", "hosts", name).ok();
    }

    private JsonNode iperf(final String client, final String server, final int seconds) throws Exception
    {
        final Process listener = new ProcessBuilder("ip", "netns", "exec", server, "iperf3", "-s", "-1", "-p",
            String.valueOf(IPERF_PORT)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (exec(server, "ss", "-Hltn", "sport = :" + IPERF_PORT).stdout().isBlank())
            {
                assertTrue(System.nanoTime() < deadline, "iperf3 server did not start");
                Thread.sleep(50);
            }
            final Command.Result result = Command.exec(Duration.ofSeconds(seconds + 20L), "ip", "netns", "exec",
                client, "iperf3", "-c", server, "-p", String.valueOf(IPERF_PORT), "-t", String.valueOf(seconds), "-J");
            return result.stdout().isBlank() ? json.createObjectNode().put("error", result.stderr()) :
                json.readTree(result.stdout());
        }
        finally
        {
            if (!listener.waitFor(5, TimeUnit.SECONDS))
            {
                listener.destroyForcibly();
                listener.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
