package io.jvs.control.it;

import static io.jvs.control.testing.Wait.waitFor;
import io.jvs.control.testing.PingLogs;
import io.jvs.control.testing.Transfers;
import io.jvs.control.testing.TempDirs;
import io.jvs.control.testing.TestCertificates;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.api.ApiClient;
import io.jvs.control.cli.Main;
import io.jvs.vxlan.GcmProvider;
import io.jvs.control.netns.Command;
import io.jvs.control.netns.HostsFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Three jvs hosts on one machine: each "host" is a network namespace running its own jvs daemon (a child JVM),
 * joined to the others by an underlay (veths into a kernel bridge in a fourth namespace: the test's physical
 * network). etcd runs in host A's namespace on the underlay. Everything is driven through the CLI against each
 * host's socket; sandboxes on different hosts ping and talk TCP by name through jvs VXLAN, and a host killed with
 * SIGKILL disappears from the others' peer lists within the lease TTL. Names start with "jo" + a run suffix.
 * <p>
 * The daemons run as {@code nsenter --net=HOSTNS unshare -m --propagation unchanged sh -c 'mount -t sysfs ...'}
 * rather than {@code ip netns exec HOSTNS}: the latter makes the mount namespace a slave, so the sandboxes a daemon
 * creates with {@code ip netns add} would never show up in /run/netns outside it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OverlayMultiHostTest
{
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(20);
    private static final String UNDERLAY_PREFIX = "10.251.0.";
    /** etcd serves TLS and requires client certificates unless -Djvs.test.etcdTls=false. */
    private static final boolean ETCD_TLS = !"false".equals(System.getProperty("jvs.test.etcdTls"));
    private static final String ETCD = (ETCD_TLS ? "https://" : "http://") + UNDERLAY_PREFIX + "1:2379";
    private static final int LEASE_TTL_SECONDS = 3;
    private static final String[] HOSTS = {"a", "b", "c"};
    /** The "outside": a LAN in namespace RUNo (a kernel bridge) with a server at .1 and every host's uplink on it. */
    private static final String OUTSIDE_PREFIX = "10.253.0.";
    private static final String OUTSIDE_SERVER = OUTSIDE_PREFIX + "1";
    private static final String GATEWAY = "10.252.0.1";

    /** ICMP payload of marker pings: a length nothing else on these captures has (tcpdump: "length 1119"). */
    private static final int MARKER_PAYLOAD = 1111;
    private static final Pattern MARKER_REQUEST =
        Pattern.compile("ICMP echo request, id \\d+, seq \\d+, length " + (MARKER_PAYLOAD + 8));
    private static final Pattern MARKER_REPLY =
        Pattern.compile("ICMP echo reply, id \\d+, seq \\d+, length " + (MARKER_PAYLOAD + 8));

    private final String run = "jo" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final ObjectMapper json = new ObjectMapper();
    private final List<String> sandboxes = new ArrayList<>();
    private final Process[] daemons = new Process[HOSTS.length];
    private Process etcd;
    private Path dir;
    private String network;
    private TestCertificates certs;

    record Cli(int exit, String out, String err)
    {
    }

    // ------------------------------------------------------------------------------------------------- topology

    private String hostNs(final int i)
    {
        return run + "h" + HOSTS[i];
    }

    private String underlayIp(final int i)
    {
        return UNDERLAY_PREFIX + (i + 1);
    }

    private Path socket(final int i)
    {
        return dir.resolve("host-" + HOSTS[i] + ".sock");
    }

    /** Each host's NAT address on the shared outside LAN (jvs answers it on the host's uplink veth). */
    private String uplinkIp(final int i)
    {
        return OUTSIDE_PREFIX + (11 + i);
    }

    @BeforeAll
    void startHosts() throws Exception
    {
        dir = Files.createTempDirectory(run);
        final String sw = run + "sw";
        sh("ip", "netns", "add", sw);
        sh("ip", "-n", sw, "link", "add", "br0", "type", "bridge");
        sh("ip", "-n", sw, "link", "set", "br0", "up");
        for (int i = 0; i < HOSTS.length; i++)
        {
            final String ns = hostNs(i);
            final String hostEnd = run + "u" + HOSTS[i];
            final String switchEnd = run + "p" + HOSTS[i];
            sh("ip", "netns", "add", ns);
            sh("ip", "link", "add", hostEnd, "netns", ns, "type", "veth", "peer", "name", switchEnd, "netns", sw);
            sh("ip", "-n", sw, "link", "set", switchEnd, "master", "br0", "up");
            sh("ip", "-n", ns, "address", "add", underlayIp(i) + "/24", "dev", hostEnd);
            sh("ip", "-n", ns, "link", "set", hostEnd, "up");
            sh("ip", "-n", ns, "link", "set", "lo", "up");
        }
        final String outside = run + "o";
        sh("ip", "netns", "add", outside);
        sh("ip", "-n", outside, "link", "add", "br0", "type", "bridge");
        sh("ip", "-n", outside, "address", "add", OUTSIDE_SERVER + "/24", "dev", "br0");
        sh("ip", "-n", outside, "link", "set", "br0", "up");
        for (int i = 0; i < HOSTS.length; i++)
        {
            final String uplink = run + "x" + HOSTS[i];
            sh("ip", "link", "add", uplink, "netns", hostNs(i), "type", "veth", "peer", "name", run + "y" + HOSTS[i],
                "netns", outside);
            sh("ip", "-n", outside, "link", "set", run + "y" + HOSTS[i], "master", "br0", "up");
            sh("ip", "netns", "exec", hostNs(i), "sysctl", "-q", "-w", "net.ipv6.conf." + uplink + ".disable_ipv6=1");
            sh("ip", "-n", hostNs(i), "link", "set", uplink, "up");
        }
        final List<String> etcdArgv = new ArrayList<>(List.of("ip", "netns", "exec", hostNs(0), "etcd", "--name", run,
            "--data-dir", dir.resolve("etcd").toString(),
            "--listen-client-urls", ETCD, "--advertise-client-urls", ETCD,
            "--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
            "--initial-cluster", run + "=http://127.0.0.1:2380"));
        final List<String> etcdctl = new ArrayList<>(List.of("ip", "netns", "exec", hostNs(0), "etcdctl",
            "--endpoints", ETCD, "--dial-timeout", "1s"));
        if (ETCD_TLS)
        {
            certs = TestCertificates.create(dir.resolve("pki"), underlayIp(0));
            etcdArgv.addAll(List.of("--cert-file", certs.serverCert().toString(), "--key-file",
                certs.serverKey().toString(), "--trusted-ca-file", certs.ca().toString(), "--client-cert-auth"));
            etcdctl.addAll(List.of("--cacert", certs.ca().toString(), "--cert", certs.clientCert().toString(),
                "--key", certs.clientKey().toString()));
        }
        etcdctl.addAll(List.of("endpoint", "health"));
        etcd = new ProcessBuilder(etcdArgv)
            .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
        waitFor(() -> Command.exec(EXEC_TIMEOUT, etcdctl.toArray(String[]::new)).ok(), Duration.ofSeconds(15),
            "etcd healthy");
        for (int i = 0; i < HOSTS.length; i++)
        {
            daemons[i] = startDaemon(i);
        }
        for (int i = 0; i < HOSTS.length; i++)
        {
            final ApiClient api = new ApiClient(socket(i));
            final int host = i;
            waitFor(() -> api.ping() || !daemons[host].isAlive(), Duration.ofSeconds(40), "daemon " + HOSTS[i]);
            assertTrue(daemons[i].isAlive(), "daemon " + HOSTS[i] + " died: " + log("daemon-" + HOSTS[i]));
        }
    }

    /** A jvs daemon as a child JVM in the host's network namespace, with the test JVM's flags and class path. */
    private Process startDaemon(final int i) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of("--uplink", run + "x" + HOSTS[i], "--uplink-address",
            uplinkIp(i) + "/24"));
        if (certs != null)
        {
            args.addAll(List.of("--etcd-cacert", certs.ca().toString(), "--etcd-cert", certs.clientCert().toString(),
                "--etcd-key", certs.clientKey().toString()));
        }
        return startDaemon(i, dir.resolve("state-" + HOSTS[i]), socket(i), args, "daemon-" + HOSTS[i]);
    }

    /** @param args after the socket, state directory, underlay, etcd and lease TTL. */
    private Process startDaemon(final int i, final Path stateDir, final Path socket, final List<String> args,
        final String logName) throws Exception
    {
        final List<String> argv = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + hostNs(i),
            "unshare", "-m", "--propagation", "unchanged",
            "sh", "-c", "mount -t sysfs sysfs /sys && exec \"$0\" \"$@\"",
            Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (!arg.startsWith("-javaagent") && !arg.startsWith("-agentlib"))
            {
                argv.add(arg);
            }
        }
        argv.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "daemon",
            "--socket", socket.toString(), "--state-dir", stateDir.toString(),
            "--underlay", run + "u" + HOSTS[i], "--etcd", ETCD, "--lease-ttl", Integer.toString(LEASE_TTL_SECONDS),
            // Docker's plugin socket path is machine-wide, and these "hosts" share this machine's files. The host
            // port (jvs0) is not: each daemon makes it in its host's namespace.
            "--no-docker-plugin"));
        argv.addAll(args);
        // Only for measuring ring depths (-Djvs.test.underlayRxFrames=256): the daemon's default otherwise.
        final String rxFrames = System.getProperty("jvs.test.underlayRxFrames");
        if (rxFrames != null)
        {
            argv.addAll(List.of("--underlay-rx-frames", rxFrames));
        }
        return new ProcessBuilder(argv).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(logName + ".log").toFile()))
            .start();
    }

    /**
     * A's and B's sandboxes forget their neighbours, then A pings B while tcpdump watches A's underlay: both ARP
     * requests (A for B, B's reply path for A) must be answered by the local tunnel port from the etcd endpoint
     * entries, so the underlay (captured on the test's physical bridge) carries the ICMP but no encapsulated ARP; the sandbox learns B's MAC from etcd.
     */
    private void arpForRemoteEndpointsIsAnsweredLocally(final String[] names) throws Exception
    {
        for (int i = 0; i < 2; i++)
        {
            final int host = i;
            waitFor(() -> tunnelPort(host).path("RemoteEndpoints").asInt() == 2, Duration.ofSeconds(5),
                "host " + HOSTS[i] + " programmed the 2 remote endpoints");
            Command.exec(EXEC_TIMEOUT, "ip", "-n", names[i], "neigh", "flush", "dev", "eth0");
        }
        final JsonNode before = tunnelPort(0);
        final Path capture = dir.resolve("arp-underlay.txt");
        // On the physical network's bridge: jvs sends with PACKET_QDISC_BYPASS, which a capture on the sending
        // host's own interface does not see.
        final Process tcpdump = new ProcessBuilder("ip", "netns", "exec", run + "sw", "tcpdump", "-n", "-l", "-i",
            "br0", "udp", "port", "4789").redirectErrorStream(true).redirectOutput(capture.toFile()).start();
        try
        {
            waitFor(() -> read(capture).contains("listening"), Duration.ofSeconds(5), "tcpdump started");
            final Command.Result ping = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", names[0],
                "ping", "-c", "1", "-W", "2", "10.252.0.3");
            assertTrue(ping.ok(), "A -> B after neigh flush: " + ping.stdout() + ping.stderr());
            // the marker's reply crosses after every ARP either sandbox sent for this exchange
            awaitMarkerReply(names[0], "10.252.0.3", capture);
        }
        finally
        {
            tcpdump.destroy();
            tcpdump.waitFor(5, TimeUnit.SECONDS);
        }
        final String dump = read(capture);
        final JsonNode after = tunnelPort(0);
        System.out.println("underlay during ARP + ping A -> B:\n" + dump);
        assertTrue(dump.contains("ICMP echo request"), "the ping crossed the underlay: " + dump);
        assertFalse(dump.contains("ARP"), "no ARP on the underlay: " + dump);
        assertTrue(after.path("ArpAnswered").asLong() > before.path("ArpAnswered").asLong(), "A answered: " + after);
        assertEquals(before.path("TxFlooded").asLong(), after.path("TxFlooded").asLong(), "nothing flooded: " + after);
        final String bMac = json.readTree(cli(0, "overlay", "--json").out()).path("Networks").path(0)
            .path("Endpoints").findParents("Sandbox").stream().filter(e -> names[1].equals(e.path("Sandbox").asText()))
            .findFirst().orElseThrow().path("Mac").asText();
        assertTrue(Command.run("ip", "-n", names[0], "neigh", "show", "10.252.0.3").contains(bMac),
            "A's sandbox has B's MAC " + bMac);
    }

    /** The tunnel port of the class's plain overlay network on that host (other tests add networks of their own). */
    private JsonNode tunnelPort(final int host)
    {
        try
        {
            for (final JsonNode n : json.readTree(cli(host, "overlay", "--json").out()).path("Networks"))
            {
                if (network.equals(n.path("Name").asText()))
                {
                    return n.path("TunnelPort");
                }
            }
            throw new AssertionError("no overlay network " + network + " on host " + host);
        }
        catch (final AssertionError ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    @AfterAll
    void stopHostsAndCheckNothingIsLeft() throws Exception
    {
        for (final Process daemon : daemons)
        {
            stop(daemon);
        }
        stop(etcd);
        for (final String sandbox : sandboxes)
        {
            Command.exec(EXEC_TIMEOUT, "ip", "netns", "delete", sandbox);
            new HostsFiles(HostsFiles.DEFAULT_ROOT).remove(sandbox);
        }
        for (int i = 0; i < HOSTS.length; i++)
        {
            Command.exec(EXEC_TIMEOUT, "ip", "netns", "delete", hostNs(i)); // takes the underlay veths along
        }
        Command.exec(EXEC_TIMEOUT, "ip", "netns", "delete", run + "sw");
        Command.exec(EXEC_TIMEOUT, "ip", "netns", "delete", run + "o");
        final String namespaces = Command.run("ip", "netns", "list");
        if (dir != null)
        {
            TempDirs.deleteTree(dir);
        }
        assertFalse(namespaces.contains(run), "left behind: namespaces " + namespaces);
    }

    private static void stop(final Process process) throws InterruptedException
    {
        if (process == null || !process.isAlive())
        {
            return;
        }
        process.destroy(); // SIGTERM: the daemon removes its endpoints and revokes its lease
        if (!process.waitFor(15, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    // -------------------------------------------------------------------------------------------------- tests

    @Test
    @Order(1)
    void overlayNetworksAreDefinedOnceForAllHosts() throws Exception
    {
        network = run + "net";
        final Cli created = cli(0, "network", "create", "-d", "overlay", "--subnet", "10.252.0.0/24", network);
        assertEquals(0, created.exit(), created.err());
        final String id = created.out().trim();
        for (int i = 1; i < HOSTS.length; i++)
        {
            final int host = i;
            waitFor(() -> cli(host, "network", "ls").out().contains(network), Duration.ofSeconds(5),
                "host " + HOSTS[i] + " lists " + network);
            final JsonNode inspect = json.readTree(cli(i, "network", "inspect", network).out()).path(0);
            assertEquals(id, inspect.path("Id").asText(), "one id on every host");
            assertEquals("overlay", inspect.path("Driver").asText());
            assertEquals("global", inspect.path("Scope").asText());
            assertEquals("1450", inspect.path("Options").path("mtu").asText());
        }
        final String vni = json.readTree(cli(1, "network", "inspect", network).out()).path(0).path("Options")
            .path("vni").asText();
        assertEquals("4096", vni, "first VNI of the default range");

        final Cli sameName = cli(2, "network", "create", "-d", "overlay", network);
        assertEquals(1, sameName.exit());
        assertTrue(sameName.err().contains("already exists"), sameName.err());
        final Cli overlap = cli(1, "network", "create", "-d", "overlay", "--subnet", "10.252.0.128/25", run + "x");
        assertEquals(1, overlap.exit());
        assertTrue(overlap.err().contains("overlaps with network " + network), overlap.err());
        final Cli sameVni = cli(2, "network", "create", "-d", "overlay", "-o", "vni=" + vni, run + "x");
        assertEquals(1, sameVni.exit());
        assertTrue(sameVni.err().contains("vni 4096 is used by network " + network), sameVni.err());

        // defined on B with a chosen VNI, seen on C, removed on C, gone from A
        final String second = run + "n2";
        assertEquals(0, cli(1, "network", "create", "-d", "overlay", "-o", "vni=9999", second).exit());
        waitFor(() -> "9999".equals(inspect(2, second).path("Options").path("vni").asText()), Duration.ofSeconds(5),
            "C sees " + second + " with vni 9999");
        assertEquals(0, cli(2, "network", "rm", second).exit());
        waitFor(() -> !cli(0, "network", "ls").out().contains(second), Duration.ofSeconds(5), "A drops " + second);
    }

    /**
     * The hosts joined over TLS with client certificates (unless -Djvs.test.etcdTls=false); a daemon given the https
     * endpoint without the CA does not start, and says why.
     */
    @Test
    @Order(1)
    void theHostsTalkToEtcdOverTlsAndADaemonWithoutTheCaIsRefused() throws Exception
    {
        assumeTrue(ETCD_TLS, "-Djvs.test.etcdTls=false");
        assertTrue(readOverlay(0).path("Store").asText().contains(ETCD), readOverlay(0).toString());
        // On host C's underlay, with an address of its own: C's daemon holds UDP 4789 on C's address.
        final String extra = UNDERLAY_PREFIX + "9";
        sh("ip", "-n", hostNs(2), "address", "add", extra + "/24", "dev", run + "u" + HOSTS[2]);
        try
        {
            final Process refused = startDaemon(2, dir.resolve("state-noca"), dir.resolve("noca.sock"),
                List.of("--underlay-address", extra + "/24", "--no-host-port", "--no-dns", "--etcd-cert",
                    certs.clientCert().toString(), "--etcd-key", certs.clientKey().toString()), "daemon-noca");
            assertTrue(refused.waitFor(60, TimeUnit.SECONDS), "the daemon without the CA exits");
            assertNotEquals(0, refused.exitValue());
        }
        finally
        {
            sh("ip", "-n", hostNs(2), "address", "del", extra + "/24", "dev", run + "u" + HOSTS[2]);
        }
        final String why = log("daemon-noca");
        System.out.println("daemon without --etcd-cacert: " + why.trim());
        assertTrue(why.contains("etcd's certificate is not signed by a CA the JVM trusts: give --etcd-cacert"), why);
    }

    @Test
    @Order(2)
    void sandboxesOnDifferentHostsTalkByNameThroughJvsVxlan() throws Exception
    {
        final String[] names = new String[HOSTS.length];
        for (int i = 0; i < HOSTS.length; i++)
        {
            names[i] = run + HOSTS[i] + "1";
            final Cli created = cli(i, "sandbox", "create", names[i]);
            assertEquals(0, created.exit(), created.err());
            sandboxes.add(names[i]);
            final Cli connected = cli(i, "network", "connect", network, names[i]);
            assertEquals(0, connected.exit(), connected.err());
        }
        final JsonNode overlay = json.readTree(cli(0, "overlay", "--json").out());
        final List<String> addresses = new ArrayList<>();
        for (final JsonNode e : overlay.path("Networks").path(0).path("Endpoints"))
        {
            addresses.add(e.path("Address").asText());
        }
        assertEquals(List.of("10.252.0.2", "10.252.0.3", "10.252.0.4"), addresses.stream().sorted().toList(),
            "addresses unique across hosts, lowest first: " + overlay);
        assertTrue(Command.run("ip", "-n", names[0], "link", "show", "eth0").contains("mtu 1450"), "inner MTU");
        assertEquals(List.of(underlayIp(1), underlayIp(2)), texts(overlay.path("Peers")));

        // names of sandboxes behind other hosts resolve (each daemon's resolver, from the cluster's endpoint entries)
        for (int i = 0; i < HOSTS.length; i++)
        {
            final String from = names[i];
            waitFor(() -> List.of(names).stream().allMatch(n -> resolves(from, n)), Duration.ofSeconds(5),
                names[i] + " resolves every sandbox of " + network);
        }
        arpForRemoteEndpointsIsAnsweredLocally(names);
        final Command.Result ab = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", names[0],
            "ping", "-c", "2", "-W", "2", names[1]);
        assertTrue(ab.ok(), "A -> B by name: " + ab.stdout() + ab.stderr());
        final Command.Result ca = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", names[2],
            "ping", "-c", "2", "-W", "2", "10.252.0.2");
        assertTrue(ca.ok(), "C -> A by address: " + ca.stdout() + ca.stderr());

        final Cli busy = cli(0, "network", "rm", network);
        assertEquals(1, busy.exit());
        assertTrue(busy.err().contains("has active endpoints"), busy.err());

        // TCP by name, host A -> host C, offloads at their defaults (64 KB GSO frames split by jvs)
        final Process server = new ProcessBuilder("ip", "netns", "exec", names[2], "iperf3", "-s", "-1", "-p", "5211")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try
        {
            awaitListening(names[2], 5211, server);
            final Command.Result iperf = Command.exec(Duration.ofSeconds(20), "ip", "netns", "exec", names[0],
                "iperf3", "-c", names[2], "-p", "5211", "-t", "2", "-J");
            final JsonNode report = json.readTree(iperf.stdout());
            final JsonNode received = report.path("end").path("sum_received");
            final long bytes = received.path("bytes").asLong();
            assertTrue(bytes > 1_000_000, "iperf3 TCP moved only " + bytes + " bytes: " + report.path("error"));
            System.out.printf("overlay TCP %s -> %s (host A -> host C through jvs VXLAN): %.2f Gbit/s, %d retransmits%n",
                names[0], names[2], received.path("bits_per_second").asDouble() / 1e9,
                report.path("end").path("sum_sent").path("retransmits").asLong());
        }
        finally
        {
            server.destroy();
            server.waitFor(5, TimeUnit.SECONDS);
        }
        // 16 MB by nc, host A -> host C, checked by sha256: A's segments leave as UDP GSO super-datagrams, C
        // splits them and coalesces the segments back into GSO frames for its sandbox.
        Transfers.assertIntact("overlay A -> C", names[0], names[2], 5212, names[2], 5212, 16 << 20);
        final JsonNode after = json.readTree(cli(0, "overlay", "--json").out());
        final JsonNode port = after.path("Networks").path(0).path("TunnelPort");
        assertTrue(port.path("TxSegments").asLong() > 0, "jvs split GSO frames: " + port);
        assertTrue(port.path("TxUdpGsoFrames").asLong() > 0, "segments left as UDP GSO super-datagrams: " + port);
        assertEquals(0, after.path("Vtep").path("RxDrops").path("unknown_peer").asLong(), after.toString());
        final JsonNode atC = json.readTree(cli(2, "overlay", "--json").out()).path("Vtep");
        assertTrue(atC.path("RxCoalescedFrames").asLong() > 0, "C coalesced received segments: " + atC);
    }

    /**
     * Head-end replication goes only to hosts with an endpoint on the network: with sandboxes on A and B, an ARP
     * broadcast from A's sandbox (a ping to an unused address) reaches B's underlay address and not C's, although C
     * is a peer (it installed the network); once C's sandbox joins the network C gets the next broadcast too, and once
     * it leaves C drops out again. Each phase captures on the physical bridge, one tcpdump per destination.
     */
    @Test
    @Order(3)
    void broadcastsAreFloodedOnlyToHostsWithAnEndpointOnTheNetwork() throws Exception
    {
        final String flood = run + "fl";
        final Cli created = cli(0, "network", "create", "-d", "overlay", "--subnet", "10.249.0.0/24", flood);
        assertEquals(0, created.exit(), created.err());
        waitFor(() -> cli(2, "network", "ls").out().contains(flood), Duration.ofSeconds(5), "C installs " + flood);
        final String[] names = {run + "af", run + "bf", run + "cf"};
        for (int i = 0; i < HOSTS.length; i++)
        {
            assertEquals(0, cli(i, "sandbox", "create", names[i]).exit());
            sandboxes.add(names[i]);
        }
        for (int i = 0; i < 2; i++)
        {
            final Cli connected = cli(i, "network", "connect", flood, names[i]);
            assertEquals(0, connected.exit(), connected.err());
        }
        waitFor(() -> texts(tunnelPortOf(0, flood).path("Flood")).equals(List.of(underlayIp(1))),
            Duration.ofSeconds(5), "A floods " + flood + " to B only: " + tunnelPortOf(0, flood));
        assertEquals(List.of(underlayIp(1), underlayIp(2)), texts(readOverlay(0).path("Peers")), "C is still a peer");
        final Command.Result unicast = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", names[0], "ping", "-c", "1",
            "-W", "2", "10.249.0.3");
        assertTrue(unicast.ok(), "A -> B on " + flood + ": " + unicast.stdout() + unicast.stderr());

        assertEquals(List.of(true, false), broadcastReaches(names[0], "10.249.0.77"), "endpoints on A and B only");

        final Cli joined = cli(2, "network", "connect", flood, names[2]);
        assertEquals(0, joined.exit(), joined.err());
        waitFor(() -> texts(tunnelPortOf(0, flood).path("Flood")).equals(List.of(underlayIp(1), underlayIp(2))),
            Duration.ofSeconds(5), "A floods to C once C has an endpoint: " + tunnelPortOf(0, flood));
        assertEquals(List.of(true, true), broadcastReaches(names[0], "10.249.0.78"), "C has an endpoint now");

        final Cli left = cli(2, "network", "disconnect", flood, names[2]);
        assertEquals(0, left.exit(), left.err());
        waitFor(() -> texts(tunnelPortOf(0, flood).path("Flood")).equals(List.of(underlayIp(1))),
            Duration.ofSeconds(5), "C's last endpoint left: " + tunnelPortOf(0, flood));
        assertEquals(List.of(true, false), broadcastReaches(names[0], "10.249.0.79"), "C left the network");
    }

    /**
     * Pings an address nobody has from the sandbox (its kernel broadcasts ARP requests for it) while the physical
     * bridge is captured once per destination VTEP. @return per host B and C, whether the encapsulated ARP reached it.
     */
    private List<Boolean> broadcastReaches(final String sandbox, final String unused) throws Exception
    {
        final Process[] captures = new Process[2];
        final Path[] files = new Path[2];
        try
        {
            for (int i = 0; i < 2; i++)
            {
                files[i] = dir.resolve("flood-" + unused + "-to-" + HOSTS[i + 1] + ".txt");
                captures[i] = capture(run + "sw", "br0", files[i], "dst", "host", underlayIp(i + 1), "and", "(",
                    "udp", "port", "4789", "or", "icmp", ")");
            }
            Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", sandbox, "ping", "-c", "1", "-W", "2", unused);
            // A ping from host A to each host's underlay address after the broadcast: once each capture has it, a
            // flood sent to that host before it would be in the capture too.
            for (int i = 0; i < 2; i++)
            {
                final Path file = files[i];
                Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", hostNs(0), "ping", "-c", "1", "-W", "2", "-s",
                    String.valueOf(MARKER_PAYLOAD), underlayIp(i + 1));
                waitFor(() -> MARKER_REQUEST.matcher(read(file)).find(), Duration.ofSeconds(10),
                    "marker to " + underlayIp(i + 1) + " captured");
            }
        }
        finally
        {
            for (final Process capture : captures)
            {
                if (capture != null)
                {
                    stopCapture(capture);
                }
            }
        }
        final List<Boolean> reached = new ArrayList<>();
        for (int i = 0; i < 2; i++)
        {
            final String dump = read(files[i]);
            System.out.println("underlay to host " + HOSTS[i + 1] + " while " + sandbox + " pings " + unused + ":\n" +
                dump);
            reached.add(dump.contains("who-has " + unused));
        }
        return reached;
    }

    /**
     * An encrypted network between hosts A and B, next to the plain one: ping and TCP cross; a marker sent with nc
     * is on the underlay for the plain network (the control) and nowhere for the encrypted one; a captured sealed
     * datagram injected again from a spoofing namespace opens (no replay protection), the same with one byte
     * flipped is an authentication failure; a key rotation during a 20 pps ping loses at most 2 replies; after the
     * grace window the old key's datagram is refused as an unknown key.
     */
    @Test
    @Order(3)
    void encryptedNetworkHidesPayloadsAuthenticatesAndRotatesKeys() throws Exception
    {
        final String enc = run + "enc";
        final Cli created = cli(0, "network", "create", "-d", "overlay", "--subnet", "10.254.0.0/24", "-o",
            "encrypted", enc);
        assertEquals(0, created.exit(), created.err());
        waitFor(() -> cli(1, "network", "ls").out().contains(enc), Duration.ofSeconds(5), "B lists " + enc);
        assertEquals("true", inspect(1, enc).path("Options").path("encrypted").asText());
        assertEquals("1422", inspect(1, enc).path("Options").path("mtu").asText(), "1450 - nonce - tag");
        final String a2 = run + "a2";
        final String b2 = run + "b2";
        final String[] pair = {a2, b2};
        for (int i = 0; i < 2; i++)
        {
            assertEquals(0, cli(i, "sandbox", "create", pair[i]).exit());
            sandboxes.add(pair[i]);
            final Cli connected = cli(i, "network", "connect", enc, pair[i]);
            assertEquals(0, connected.exit(), connected.err());
        }
        assertTrue(Command.run("ip", "-n", a2, "link", "show", "eth0").contains("mtu 1422"), "encrypted inner MTU");
        // The daemons run with this JVM's flags and class path, so they choose the provider this JVM chose.
        final String sealing = readOverlay(1).path("Vtep").path("Sealing").asText();
        assertEquals(GcmProvider.description(), sealing, "B seals with the provider this JVM chose");
        assertTrue(cli(1, "overlay").out().contains("seal:  " + sealing), "jvs overlay names the provider");
        assertTrue(log("daemon-" + HOSTS[1]).contains("sealed with " + sealing), "the start line names it");
        for (int i = 0; i < 2; i++)
        {
            final int host = i;
            waitFor(() -> tunnelPortOf(host, enc).path("SealingKey").asInt() == 1 &&
                tunnelPortOf(host, enc).path("RemoteEndpoints").asInt() == 1, Duration.ofSeconds(5),
                "host " + HOSTS[i] + " has key 1 and the remote endpoint");
        }
        final Command.Result ping = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", a2, "ping", "-c", "2", "-W", "2",
            "10.254.0.3");
        assertTrue(ping.ok(), "A -> B on the encrypted network: " + ping.stdout() + ping.stderr());

        // Markers over nc on both networks while the physical bridge is captured.
        final Path pcap = dir.resolve("underlay.pcap");
        final String secret = "JVS-SECRET-" + run + "-" + System.nanoTime();
        final String clear = "JVS-CLEAR-" + run + "-" + System.nanoTime();
        final Process tcpdump = new ProcessBuilder("ip", "netns", "exec", run + "sw", "tcpdump", "-n", "-U", "-s", "0",
            "-i", "br0", "-w", pcap.toString(), "udp", "port", "4789").redirectErrorStream(true)
            .redirectOutput(dir.resolve("tcpdump.log").toFile()).start();
        try
        {
            waitFor(() -> read(dir.resolve("tcpdump.log")).contains("listening"), Duration.ofSeconds(5), "tcpdump");
            assertEquals(secret, netcat(b2, a2, "10.254.0.3", secret), "marker crossed the encrypted network");
            assertEquals(clear, netcat(run + "b1", run + "a1", "10.252.0.3", clear), "marker crossed the plain one");
            // the plain marker, sent last, in the file: the encrypted one's datagrams are in it too
            waitFor(() -> contains(readBytes(pcap), clear.getBytes()), Duration.ofSeconds(10),
                "control: the plain network's marker is on the underlay");
        }
        finally
        {
            tcpdump.destroy();
            tcpdump.waitFor(5, TimeUnit.SECONDS);
        }
        final byte[] captured = Files.readAllBytes(pcap);
        assertTrue(contains(captured, clear.getBytes()), "control: the plain network's marker is on the underlay");
        assertFalse(contains(captured, secret.getBytes()), "the encrypted network's marker is not on the underlay");
        final byte[] sealed = firstSealedPayload(captured, underlayIp(0), underlayIp(1));
        assertEquals(1, sealed[SEALED_KEY_ID], "captured a datagram sealed with key 1");

        // TCP on both networks, back to back.
        final double encGbits = iperf(b2, a2, "10.254.0.3");
        final double plainGbits = iperf(run + "b1", run + "a1", "10.252.0.3");
        System.out.printf("TCP A -> B, %d s each (uptime: %s): encrypted %.2f Gbit/s (%s), plain %.2f Gbit/s%n",
            IPERF_SECONDS, Command.run("uptime").trim(), encGbits, sealing, plainGbits);
        System.out.println("after iperf3: A's encrypted port " + tunnelPortOf(0, enc) + "; B's VTEP " +
            readOverlay(1).path("Vtep").path("RxDrops"));
        assertTrue(encGbits > 0.005, "TCP over the encrypted network: " + encGbits + " Gbit/s");

        // Injection from a namespace on the physical network that spoofs A's underlay address.
        final Attacker attacker = new Attacker();
        try
        {
            final long opened = readOverlay(1).path("Vtep").path("Opened").asLong();
            attacker.send(sealed);
            waitFor(() -> readOverlay(1).path("Vtep").path("Opened").asLong() > opened, Duration.ofSeconds(5),
                "the untouched copy opens on B (replayed: there is no replay window)");
            final byte[] tampered = sealed.clone();
            tampered[tampered.length - 20] ^= 0x01; // a ciphertext byte (the tag is the last 16)
            final long failed = vtepDrop(1, "auth_failed");
            attacker.send(tampered);
            waitFor(() -> vtepDrop(1, "auth_failed") == failed + 1, Duration.ofSeconds(5), "B counts auth_failed");

            // Rotation during a 20 pps ping: at most 2 lost.
            final Path pingLog = dir.resolve("rotate-ping.log");
            final Process pinger = new ProcessBuilder("ip", "netns", "exec", a2, "ping", "-i", "0.05", "-c", "200",
                "-W", "1", "10.254.0.3").redirectErrorStream(true).redirectOutput(pingLog.toFile()).start();
            try
            {
                waitFor(() -> PingLogs.replies(pingLog) >= 10, Duration.ofSeconds(10), "ping runs before the rotation");
                final Cli rotated = cli(1, "overlay", "rotate-key", enc);
                assertEquals(0, rotated.exit(), rotated.err());
                System.out.println("rotate-key: " + rotated.out().trim());
                assertTrue(pinger.waitFor(30, TimeUnit.SECONDS), "ping finished");
            }
            finally
            {
                pinger.destroy();
            }
            final String log = read(pingLog);
            final java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) packets transmitted, (\\d+) received")
                .matcher(log);
            assertTrue(m.find(), log);
            final int lost = Integer.parseInt(m.group(1)) - Integer.parseInt(m.group(2));
            System.out.println("ping during key rotation: " + m.group() + " (lost " + lost + ")");
            assertTrue(lost <= 2, "lost " + lost + " during rotation: " + log);
            for (int i = 0; i < 2; i++)
            {
                final int host = i;
                waitFor(() -> tunnelPortOf(host, enc).path("SealingKey").asInt() == 2, Duration.ofSeconds(5),
                    "host " + HOSTS[i] + " seals with key 2");
            }
            // After the grace window the key-1 datagram is refused: its key is gone.
            waitFor(() -> texts(tunnelPortOf(1, enc).path("AcceptedKeys")).equals(List.of("2")), Duration.ofSeconds(20),
                "B retired key 1");
            final long unknown = vtepDrop(1, "unknown_key");
            attacker.send(sealed);
            waitFor(() -> vtepDrop(1, "unknown_key") == unknown + 1, Duration.ofSeconds(5), "old key refused");
            final Command.Result after = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", a2, "ping", "-c", "2",
                "-W", "2", "10.254.0.3");
            assertTrue(after.ok(), "still talking with key 2: " + after.stdout());
            assertEquals(0, readOverlay(1).path("Vtep").path("RxDrops").path("plain_on_encrypted").asLong());
        }
        finally
        {
            attacker.close();
        }
    }

    /** Offset of the key id in a captured UDP payload (the VXLAN header's last byte). */
    private static final int SEALED_KEY_ID = 7;

    /** A namespace on the physical bridge that sends UDP from A's underlay address to B's VTEP (no ARP: static). */
    private final class Attacker implements AutoCloseable
    {
        private final String ns = run + "x";
        private final String dev = run + "xu";

        Attacker()
        {
            sh("ip", "netns", "add", ns);
            sh("ip", "link", "add", dev, "netns", ns, "type", "veth", "peer", "name", run + "px", "netns", run + "sw");
            sh("ip", "-n", run + "sw", "link", "set", run + "px", "master", "br0", "up");
            sh("ip", "-n", ns, "link", "set", dev, "arp", "off", "up");
            sh("ip", "-n", ns, "address", "add", underlayIp(0) + "/24", "dev", dev);
            final String bMac = Command.run("ip", "netns", "exec", hostNs(1), "cat", "/sys/class/net/" + run + "ub/address").trim();
            sh("ip", "-n", ns, "neigh", "add", underlayIp(1), "lladdr", bMac, "dev", dev, "nud", "permanent");
        }

        void send(final byte[] payload) throws Exception
        {
            final Path file = dir.resolve("inject.bin");
            Files.write(file, payload);
            final Command.Result r = Command.exec(EXEC_TIMEOUT, "sh", "-c", "ip netns exec " + ns + " nc -u -w 1 -s " +
                underlayIp(0) + " -p 40001 " + underlayIp(1) + " 4789 < " + file);
            assertTrue(r.ok(), "nc -u: " + r.stdout() + r.stderr());
        }

        @Override
        public void close()
        {
            Command.exec(EXEC_TIMEOUT, "ip", "netns", "delete", ns); // takes the veth pair along
        }
    }

    private JsonNode tunnelPortOf(final int host, final String name)
    {
        for (final JsonNode n : readOverlay(host).path("Networks"))
        {
            if (name.equals(n.path("Name").asText()))
            {
                return n.path("TunnelPort");
            }
        }
        return json.createObjectNode();
    }

    private long vtepDrop(final int host, final String reason)
    {
        return readOverlay(host).path("Vtep").path("RxDrops").path(reason).asLong();
    }

    /** Sends {@code text} with nc from one sandbox to a listener in another; @return what the listener got. */
    private String netcat(final String server, final String client, final String address, final String text)
        throws Exception
    {
        final Path got = dir.resolve(server + ".nc");
        final Process listener = new ProcessBuilder("ip", "netns", "exec", server, "timeout", "10", "nc", "-l", "5300")
            .redirectErrorStream(true).redirectOutput(got.toFile()).start();
        try
        {
            awaitListening(server, 5300, listener);
            final Command.Result sent = Command.exec(EXEC_TIMEOUT, "sh", "-c", "echo " + text + " | ip netns exec " +
                client + " nc -N -w 2 " + address + " 5300");
            assertTrue(sent.ok(), "nc to " + address + ": " + sent.stdout() + sent.stderr());
            listener.waitFor(10, TimeUnit.SECONDS);
        }
        finally
        {
            listener.destroy();
        }
        return read(got).trim();
    }

    /** Seconds per iperf3 run on the encrypted and the plain network (-Djvs.test.iperfSeconds=N to measure). */
    private static final int IPERF_SECONDS = Integer.getInteger("jvs.test.iperfSeconds", 3);

    /** iperf3 TCP for {@link #IPERF_SECONDS}; @return Gbit/s received. */
    private double iperf(final String server, final String client, final String address) throws Exception
    {
        final Process s = new ProcessBuilder("ip", "netns", "exec", server, "iperf3", "-s", "-1", "-p", "5212")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try
        {
            awaitListening(server, 5212, s);
            final Command.Result r = Command.exec(Duration.ofSeconds(20 + IPERF_SECONDS), "ip", "netns", "exec", client,
                "iperf3",
                "-c", address, "-p", "5212", "-t", Integer.toString(IPERF_SECONDS), "-J");
            final JsonNode report = json.readTree(r.stdout());
            System.out.println("iperf3 " + client + " -> " + address + ": retransmits " +
                report.path("end").path("sum_sent").path("retransmits").asLong());
            return report.path("end").path("sum_received").path("bits_per_second").asDouble() / 1e9;
        }
        finally
        {
            s.destroy();
            s.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static boolean contains(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** The UDP payload of the first sealed VXLAN datagram from {@code src} to {@code dst} in a pcap file. */
    private static byte[] firstSealedPayload(final byte[] pcap, final String src, final String dst)
    {
        final java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(pcap).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b2c3d4, b.getInt(0), "pcap magic (little endian, microseconds)");
        final int from = io.jvs.control.ipam.Ipv4.parse(src);
        final int to = io.jvs.control.ipam.Ipv4.parse(dst);
        int at = 24;
        while (at + 16 <= pcap.length)
        {
            final int length = b.getInt(at + 8);
            final java.nio.ByteBuffer f = java.nio.ByteBuffer.wrap(pcap, at + 16, length).slice();
            at += 16 + length;
            if (length < 14 + 20 + 8 + 8 || f.getShort(12) != 0x0800)
            {
                continue;
            }
            final int ip = 14;
            final int udp = ip + (f.get(ip) & 0x0F) * 4;
            if (f.getInt(ip + 12) != from || f.getInt(ip + 16) != to || (f.getShort(udp + 2) & 0xFFFF) != 4789 ||
                (f.get(udp + 8) & 0x40) == 0)
            {
                continue;
            }
            final byte[] payload = new byte[(f.getShort(udp + 4) & 0xFFFF) - 8];
            f.get(udp + 8, payload);
            return payload;
        }
        throw new AssertionError("no sealed datagram " + src + " -> " + dst + " in the capture");
    }

    @Test
    @Order(4)
    void aHostKilledWithoutNoticeDropsOutOfThePeerListsWithinTheLeaseTtl() throws Exception
    {
        final String[] names = {run + "a1", run + "b1", run + "c1"};
        final long start = System.nanoTime();
        daemons[2].destroyForcibly(); // SIGKILL: no lease revoke, etcd has to expire it
        daemons[2].waitFor(5, TimeUnit.SECONDS);
        waitFor(() -> texts(readOverlay(0).path("Peers")).equals(List.of(underlayIp(1))),
            Duration.ofSeconds(LEASE_TTL_SECONDS + 5), "A drops C from its peers");
        final double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("host C dropped out of A's peer list %.1f s after SIGKILL (lease TTL %d s)%n", seconds,
            LEASE_TTL_SECONDS);
        assertTrue(seconds < LEASE_TTL_SECONDS + 5, "took " + seconds + " s");
        // B and A's hosts file follow the same etcd event; generous bounds, a loaded CI machine is slow to reschedule.
        waitFor(() -> texts(readOverlay(1).path("Peers")).equals(List.of(underlayIp(0))), Duration.ofSeconds(10),
            "B drops C too");
        waitFor(() -> !resolves(names[0], names[2]), Duration.ofSeconds(10), "C's sandbox gone from A's names");
        assertTrue(resolves(names[0], names[1]), "A still resolves B's sandbox");
        final Command.Result ab = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", names[0],
            "ping", "-c", "1", "-W", "2", names[1]);
        assertTrue(ab.ok(), "A -> B still works: " + ab.stdout() + ab.stderr());
        assertNotEquals(0, readOverlay(0).path("Revision").asLong());
    }

    /**
     * The overlay's gateway is each host's own router (same address and MAC everywhere): A's sandbox gets its ARP
     * and ping answered on A with nothing on the underlay, and each host's sandbox reaches the outside through that
     * host's uplink NAT, so the outside server sees A's and B's uplink addresses. The host reaches its own sandbox
     * through its host port, as on a bridge network.
     */
    @Test
    @Order(4)
    void eachHostIsTheGatewayOfItsOwnSandboxes() throws Exception
    {
        final String a1 = run + "a1";
        final String b1 = run + "b1";
        for (final String sandbox : List.of(a1, b1))
        {
            assertTrue(Command.run("ip", "-n", sandbox, "route", "show", "default").contains("via " + GATEWAY),
                sandbox + " routes out via the overlay's gateway");
        }
        Command.exec(EXEC_TIMEOUT, "ip", "-n", a1, "neigh", "flush", "dev", "eth0");
        final long droppedBefore = tunnelPort(0).path("TxDrops").path("local_gateway").asLong();
        final Path underlay = dir.resolve("gateway-underlay.txt");
        final Process onUnderlay = capture(run + "sw", "br0", underlay, "udp", "port", "4789");
        try
        {
            final Command.Result ping = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", a1,
                "ping", "-c", "2", "-W", "2", GATEWAY);
            assertTrue(ping.ok(), "A's sandbox -> gateway: " + ping.stdout() + ping.stderr());
            // a ping to B's sandbox after it: its reply on the underlay shows the capture saw what A sent meanwhile
            awaitMarkerReply(a1, "10.252.0.3", underlay);
        }
        finally
        {
            stopCapture(onUnderlay);
        }
        final String dump = read(underlay);
        System.out.println("underlay while A's sandbox pings the gateway:\n" + dump);
        assertFalse(dump.contains(GATEWAY), "no ARP or ICMP for the gateway crossed: " + dump);
        assertTrue(tunnelPort(0).path("TxDrops").path("local_gateway").asLong() > droppedBefore,
            "A's tunnel port kept the gateway's ARP (and the router's frames) local: " + tunnelPort(0));
        assertTrue(Command.run("ip", "-n", a1, "neigh", "show", GATEWAY).contains("02:42:0a:fc:00:01"),
            "the gateway's router MAC (derived from its address)");

        final Path outside = dir.resolve("outside.txt");
        final Process onOutside = capture(run + "o", "br0", outside, "icmp");
        try
        {
            for (final String sandbox : List.of(a1, b1))
            {
                final Command.Result ping = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", sandbox,
                    "ping", "-c", "2", "-W", "2", OUTSIDE_SERVER);
                assertTrue(ping.ok(), sandbox + " -> outside: " + ping.stdout() + ping.stderr());
            }
            // both sandboxes' requests, NATed, are the control: captured, so anything unNATed would have been too
            for (int i = 0; i < 2; i++)
            {
                final String request = uplinkIp(i) + " > " + OUTSIDE_SERVER + ": ICMP echo request";
                waitFor(() -> read(outside).contains(request), Duration.ofSeconds(10), "captured: " + request);
            }
        }
        finally
        {
            stopCapture(onOutside);
        }
        final String seen = read(outside);
        System.out.println("outside server's LAN while A's and B's sandboxes ping it:\n" + seen);
        for (int i = 0; i < 2; i++)
        {
            assertTrue(seen.contains(uplinkIp(i) + " > " + OUTSIDE_SERVER + ": ICMP echo request"),
                "host " + HOSTS[i] + "'s sandbox leaves through its own uplink NAT: " + seen);
        }
        assertFalse(seen.contains("10.252.0."), "no overlay address outside: " + seen);
        assertTrue(Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", hostNs(0), "ping", "-c", "1", "-W", "2",
            "10.252.0.2").ok(), "host A -> its sandbox through its host port");
    }

    /**
     * SIGKILL of host A's daemon while B's sandbox pings A's: the new daemon takes over its predecessor's lease and
     * keys (or claims the addresses again if the lease expired meanwhile), re-attaches the surviving veth, and the
     * ping resumes; both hosts list A's endpoint with the same address and MAC as before, and a sandbox connected
     * afterwards gets an address nobody holds.
     */
    @Test
    @Order(5)
    void aDaemonKilledDuringAPingComesBackWithItsOverlayEndpoints() throws Exception
    {
        final String a1 = run + "a1";
        final String b1 = run + "b1";
        final JsonNode onA = inspect(0, network).path("Containers").path(a1);
        final String address = onA.path("IPv4Address").asText();
        final String mac = onA.path("MacAddress").asText();
        assertEquals("10.252.0.2/24", address);
        assertEquals(List.of(mac + " " + address + " " + underlayIp(0)), remoteView(1, a1));

        final Path log = dir.resolve("ping-b1-a1.txt");
        final Process ping = new ProcessBuilder("ip", "netns", "exec", b1, "ping", "-i", "0.2", "-W", "1", "-c", "300",
            "10.252.0.2").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try
        {
            waitFor(() -> PingLogs.replies(log) >= 3, Duration.ofSeconds(10), "B -> A pings before the kill");
            final long killed = System.nanoTime();
            daemons[0].destroyForcibly(); // SIGKILL
            assertTrue(daemons[0].waitFor(5, TimeUnit.SECONDS));
            final int atKill = PingLogs.replies(log);
            daemons[0] = startDaemon(0);
            final ApiClient api = new ApiClient(socket(0));
            waitFor(() -> api.ping() || !daemons[0].isAlive(), Duration.ofSeconds(40), "daemon a again");
            assertTrue(daemons[0].isAlive(), "daemon a died: " + log("daemon-a"));
            waitFor(() -> PingLogs.replies(log) >= atKill + 5, Duration.ofSeconds(20), "B -> A pings resume");
            System.out.printf("B -> A ping: %d replies before SIGKILL, resumed %.1f s after it (lease TTL %d s)%n",
                atKill, (System.nanoTime() - killed) / 1e9, LEASE_TTL_SECONDS);
        }
        finally
        {
            ping.destroy();
            ping.waitFor(5, TimeUnit.SECONDS);
        }
        // Other tests of this class may have left endpoints on A too: every one of them must come back.
        final java.util.regex.Matcher restored = java.util.regex.Pattern
            .compile("restored from .*: \\d+ networks, (\\d+) endpoints re-attached, 0 without their veth")
            .matcher(log("daemon-a"));
        assertTrue(restored.find() && Integer.parseInt(restored.group(1)) >= 1, log("daemon-a"));
        final JsonNode back = inspect(0, network).path("Containers").path(a1);
        assertEquals(address, back.path("IPv4Address").asText(), "same address on A");
        assertEquals(mac, back.path("MacAddress").asText(), "same MAC on A");
        waitFor(() -> remoteView(1, a1).equals(List.of(mac + " " + address + " " + underlayIp(0))),
            Duration.ofSeconds(10), "B lists A's endpoint as before");
        assertTrue(Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", a1, "ping", "-c", "1", "-W", "2", GATEWAY).ok(),
            "A's gateway answers again");

        final String a5 = run + "a5"; // a name no other test of this class uses: their sandboxes may still exist
        final Cli createdA5 = cli(0, "sandbox", "create", a5);
        assertEquals(0, createdA5.exit(), createdA5.err());
        sandboxes.add(a5);
        final Cli connected = cli(0, "network", "connect", network, a5);
        assertEquals(0, connected.exit(), connected.err());
        final String fresh = inspect(0, network).path("Containers").path(a5).path("IPv4Address").asText();
        assertFalse(List.of(address, "10.252.0.3/24").contains(fresh), "a distinct address: " + fresh);
        assertTrue(fresh.startsWith("10.252.0."), fresh);
        final Command.Result reach = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", a5, "ping", "-c", "1", "-W", "2",
            "10.252.0.3");
        assertTrue(reach.ok(), "new sandbox on A -> B: " + reach.stdout() + reach.stderr());
    }

    /** "MAC IP/PREFIX HOST" of the named sandbox in the host's inspect of the network, among remote endpoints. */
    private List<String> remoteView(final int host, final String sandbox)
    {
        final List<String> out = new ArrayList<>();
        for (final JsonNode e : inspect(host, network).path("RemoteContainers"))
        {
            if (sandbox.equals(e.path("Name").asText()))
            {
                out.add(e.path("MacAddress").asText() + " " + e.path("IPv4Address").asText() + " " +
                    e.path("Host").asText());
            }
        }
        return out;
    }

    private Process capture(final String namespace, final String iface, final Path file, final String... filter)
        throws Exception
    {
        final List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", namespace, "tcpdump", "-n", "-l",
            "-i", iface));
        argv.addAll(List.of(filter));
        final Process tcpdump = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(file.toFile()).start();
        waitFor(() -> read(file).contains("listening"), Duration.ofSeconds(5), "tcpdump started");
        return tcpdump;
    }

    private static void stopCapture(final Process tcpdump) throws InterruptedException
    {
        tcpdump.destroy();
        tcpdump.waitFor(5, TimeUnit.SECONDS);
    }

    /**
     * A ping of an odd size from {@code sandbox} to {@code address}, then waits until its reply is in the tcpdump
     * output {@code capture}: packets that crossed before it were captured too, so their absence means something.
     */
    private void awaitMarkerReply(final String sandbox, final String address, final Path capture) throws Exception
    {
        final Command.Result marker = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", sandbox, "ping", "-c", "1",
            "-W", "2", "-s", String.valueOf(MARKER_PAYLOAD), address);
        assertTrue(marker.ok(), "marker ping " + sandbox + " -> " + address + ": " + marker.stdout() + marker.stderr());
        waitFor(() -> MARKER_REPLY.matcher(read(capture)).find(), Duration.ofSeconds(10),
            "the marker's reply in the capture " + capture.getFileName());
    }

    /** Returns once {@code port} listens in {@code ns}, failing if the server exits first. */
    private static void awaitListening(final String ns, final int port, final Process server) throws Exception
    {
        final String[] listening = {"ip", "netns", "exec", ns, "ss", "-Hltn", "sport = :" + port};
        waitFor(() -> !server.isAlive() || !Command.exec(EXEC_TIMEOUT, listening).stdout().isBlank(),
            Duration.ofSeconds(10), "listening on " + port + " in " + ns);
        assertTrue(server.isAlive(), "the server on " + port + " in " + ns + " exited at start");
    }

    private static byte[] readBytes(final Path file)
    {
        try
        {
            return Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            return new byte[0];
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private JsonNode inspect(final int host, final String name)
    {
        try
        {
            return json.readTree(cli(host, "network", "inspect", name).out()).path(0);
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }

    private JsonNode readOverlay(final int host)
    {
        try
        {
            return json.readTree(cli(host, "overlay", "--json").out());
        }
        catch (final Exception ex)
        {
            throw new AssertionError(ex);
        }
    }

    private static List<String> texts(final JsonNode array)
    {
        final List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private Cli cli(final int host, final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final List<String> argv = new ArrayList<>(List.of("--socket", socket(host).toString()));
        argv.addAll(List.of(args));
        final int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), argv.toArray(String[]::new));
        return new Cli(exit, out.toString(), err.toString());
    }

    private static void sh(final String... argv)
    {
        Command.run(argv);
    }

    private String log(final String name)
    {
        return read(dir.resolve(name + ".log"));
    }

    private static String read(final Path file)
    {
        try
        {
            return Files.exists(file) ? Files.readString(file) : "";
        }
        catch (final IOException ex)
        {
            return "";
        }
    }


    /** Whether {@code name} resolves in the sandbox (glibc: its hosts file, then jvs's resolver at 127.0.0.11). */
    private static boolean resolves(final String sandbox, final String name)
    {
        return Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", sandbox, "getent", "hosts", name).ok();
    }
}
