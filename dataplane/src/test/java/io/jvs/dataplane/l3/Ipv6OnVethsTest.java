package io.jvs.dataplane.l3;

import io.jvs.dataplane.Routing;
import io.jvs.dataplane.Switch;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.Sh;
import io.jvs.tap.TapPort;
import io.jvs.tap.TestNet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router's IPv6 path seen by the real kernel, default offloads on:
 * <pre>
 *   ns "a" fd00:d1::2/64 (+ 10.231.0.2/24) --veth-- bridge domain "net1", gateways fd00:d1::1/64 and 10.231.0.1
 *   ns "b" fd00:d2::2/64 (IPv6 only)       --veth-- bridge domain "net2", gateway fd00:d2::1/64 only
 *   host: TAP "h" 10.233.0.1/30 + fd6a:7673:0:d6::1/64, MTU 1400; the router is .2 / ::2 on it;
 *         fd00:d1::/64 and fd00:d2::/64 via fd6a:7673:0:d6::2
 *   uplink "u" (AF_PACKET), jvs fd00:77::2/64 (and 10.234.0.2/24) --veth-- ns "o" fd00:77::1/64 (the outside)
 * </pre>
 * Needs ping, tracepath, traceroute6, tshark, nc (OpenBSD), sha256sum, tcpdump. Names start with "v6d".
 */
class Ipv6OnVethsTest
{
    private static final String GW1 = "fd00:d1::1";
    private static final String A = "fd00:d1::2";
    private static final String B = "fd00:d2::2";
    private static final String HOST = "fd6a:7673:0:d6::1";
    private static final String ROUTER_HOST = "fd6a:7673:0:d6::2";
    private static final int HOST_MTU = 1400;
    private static final String OUTSIDE = "fd00:77::1";
    private static final String UPLINK = "fd00:77::2";

    private TestNet net;
    private Switch sw;
    private Routing routing;
    private String a;
    private String b;
    private String tap;
    private String o;
    private final List<Process> background = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        net = new TestNet("v6d");
        sw = Switch.start(SwitchConfig.defaults(), NatConfig.defaults());
        routing = sw.routing();

        final int net1 = sw.createBridgeDomain("net1");
        routing.setGateway(net1, "10.231.0.1", 24, false);
        routing.setIpv6Gateway(net1, GW1, 64);
        a = sandbox("a", net1, "10.231.0.2/24", A, GW1);

        final int net2 = sw.createBridgeDomain("net2");
        routing.setIpv6Gateway(net2, "fd00:d2::1", 64);
        b = sandbox("b", net2, "10.232.0.2/24", B, "fd00:d2::1");

        tap = net.name("h");
        final TapPort port = TapPort.open(tap);
        Sh.run("sysctl", "-q", "-w", "net.ipv6.conf." + tap + ".disable_ipv6=0");
        Sh.run("ip", "addr", "add", "10.233.0.1/30", "dev", tap);
        Sh.run("ip", "-6", "addr", "add", HOST + "/64", "dev", tap, "nodad");
        Sh.run("ip", "link", "set", tap, "mtu", Integer.toString(HOST_MTU));
        Sh.run("ip", "link", "set", tap, "up");
        routing.setHostPort(port, "10.233.0.2/30"); // reads the TAP's MTU
        routing.setHostPortIpv6(ROUTER_HOST + "/64");
        Sh.run("ip", "-6", "route", "replace", "fd00:d1::/64", "via", ROUTER_HOST, "dev", tap);
        Sh.run("ip", "-6", "route", "replace", "fd00:d2::/64", "via", ROUTER_HOST, "dev", tap);

        o = net.namespace("o");
        Sh.run("ip", "netns", "exec", o, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0",
            "net.ipv6.conf.default.disable_ipv6=0");
        net.veth(net.name("u"), net.name("po"), o, "10.234.0.1/24");
        Sh.run("ip", "netns", "exec", o, "sysctl", "-q", "-w", "net.ipv6.conf." + net.name("po") + ".disable_ipv6=0");
        Sh.run("ip", "-n", o, "-6", "addr", "add", OUTSIDE + "/64", "dev", net.name("po"), "nodad");
        routing.setUplink(PacketSocketPort.open(net.name("u")), "10.234.0.2/24", null);
        routing.setUplinkIpv6(UPLINK + "/64", OUTSIDE); // "o" is also the way to fd00:78::/64 (test below)
    }

    /** A namespace with IPv6 on (TestNet turns it off), a static address (nodad) and a default route. */
    private String sandbox(final String role, final int bridgeDomain, final String ipv4, final String ipv6,
        final String gateway)
    {
        final String ns = net.namespace(role);
        final String peer = net.name("p" + role);
        Sh.run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0",
            "net.ipv6.conf.default.disable_ipv6=0");
        net.veth(net.name("h" + role), peer, ns, ipv4);
        Sh.run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf." + peer + ".disable_ipv6=0");
        Sh.run("ip", "-n", ns, "-6", "addr", "add", ipv6 + "/64", "dev", peer, "nodad");
        Sh.run("ip", "-n", ns, "-6", "route", "add", "default", "via", gateway, "dev", peer);
        sw.addPort(PacketSocketPort.open(net.name("h" + role)), bridgeDomain);
        return ns;
    }

    @AfterEach
    void tearDown() throws Exception
    {
        background.forEach(Sh::stop);
        try
        {
            sw.close(); // closes the TAP: the kernel removes it with its addresses and routes
        }
        finally
        {
            Sh.exec(10, "ip", "link", "del", tap); // gone already unless close failed
            net.close();
            for (final Path file : files)
            {
                Files.deleteIfExists(file);
            }
        }
    }

    private static Sh.Result inNs(final String ns, final long timeoutSeconds, final String... command)
    {
        return Sh.exec(timeoutSeconds, TestNet.inNs(ns, command).toArray(String[]::new));
    }

    private Process start(final List<String> command)
    {
        final Process p = Sh.start(command);
        background.add(p);
        return p;
    }

    private long counter(final String label)
    {
        return routing.counters().get(label);
    }

    private void assertNoAgentErrors()
    {
        assertEquals(0, sw.engineStats().agentErrors(), String.valueOf(sw.lastAgentError()));
    }

    @Test
    void pingTheGatewayAndItsLinkLocalAddressAndTheKernelSeesAReachableRouter()
    {
        final Sh.Result ping = inNs(a, 15, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", GW1);
        System.out.println(ping.output());
        assertEquals(0, ping.exitCode(), ping.output());

        final String neigh = Sh.run("ip", "-n", a, "-6", "neigh", "show", GW1);
        System.out.println("ip -6 neigh: " + neigh);
        final String gwMac = routing.ipv6Gateways().get(0).mac();
        assertTrue(neigh.contains("lladdr " + gwMac) && neigh.contains("router") && neigh.contains("REACHABLE"),
            neigh);

        final String linkLocal = routing.ipv6Gateways().get(0).linkLocal() + "%" + net.name("pa");
        final Sh.Result pingLinkLocal = inNs(a, 15, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", linkLocal);
        System.out.println(pingLinkLocal.output());
        assertEquals(0, pingLinkLocal.exitCode(), pingLinkLocal.output());

        // The IPv6-only network's gateway answers too (its own leg and MAC).
        assertEquals(0, inNs(b, 15, "ping", "-6", "-c", "1", "-W", "2", "fd00:d2::1").exitCode());
        assertTrue(counter("icmpv6_echo_replies") >= 5, routing.counters().toString());
        assertTrue(counter("ndp_adverts_sent") >= 2, routing.counters().toString());
        assertEquals(0, counter("drop_bad_icmpv6_checksum"));
        assertNoAgentErrors();
    }

    @Test
    void networksAreIsolatedButBothReachTheHost()
    {
        final long noRoute = counter("drop_no_route");
        final Sh.Result across = inNs(a, 10, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "1", B);
        assertNotEquals(0, across.exitCode(), "a must not reach b's network: " + across.output());
        assertTrue(counter("drop_no_route") >= noRoute + 2, routing.counters().toString());
        assertEquals(0, counter("icmpv6_unreachable"), "isolation is silent, as the IPv4 path");

        for (final String ns : List.of(a, b))
        {
            final Sh.Result ping = inNs(ns, 15, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", HOST);
            System.out.println(ping.output());
            assertEquals(0, ping.exitCode(), ping.output());
        }
        // And from the host, through its routes via the router.
        final Sh.Result fromHost = Sh.exec(15, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", A);
        assertEquals(0, fromHost.exitCode(), fromHost.output());
        assertTrue(counter("routed_ipv6") >= 12, routing.counters().toString());
        assertTrue(routing.neighbours().stream().anyMatch(l -> l.startsWith("host " + HOST + " ")),
            routing.neighbours().toString());
        assertNoAgentErrors();
    }

    @Test
    void tcpBetweenASandboxAndTheHostArrivesIntactBothWays() throws Exception
    {
        final Path data = Files.createTempFile("v6d-data", ".bin");
        files.add(data);
        final byte[] bytes = new byte[24 << 20];
        new Random(16).nextBytes(bytes);
        Files.write(data, bytes);
        final String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));

        // Sandbox -> host: GSO TCPv6 from the veth, out through the TAP.
        assertEquals(expected, transfer(null, HOST, 7001, a, data), "sandbox -> host");
        // Host -> sandbox: GSO TCPv6 from the TAP, out through the veth.
        assertEquals(expected, transfer(a, A, 7002, null, data), "host -> sandbox");
        System.out.println(routing.counters());
        assertEquals(0, counter("drop_too_big"), "GSO frames measured by their segments");
        assertNoAgentErrors();
    }

    /**
     * Sends {@code data} with nc from {@code clientNs} to a listener at {@code address:port} in {@code serverNs}
     * (null: the host) and returns the SHA-256 the listener computed.
     */
    private String transfer(final String serverNs, final String address, final int port, final String clientNs,
        final Path data) throws Exception
    {
        return transfer(serverNs, address, port, clientNs, data, Path.of("/dev/null"));
    }

    /** As above; the listener's verbose lines (its peer's address) go to {@code peer}. */
    private String transfer(final String serverNs, final String address, final int port, final String clientNs,
        final Path data, final Path peer) throws Exception
    {
        final Path digest = Files.createTempFile("v6d-sum", ".txt");
        files.add(digest);
        final List<String> server = List.of("sh", "-c",
            "nc -6 -n -v -l -N " + address + " " + port + " 2> " + peer + " | sha256sum > " + digest);
        final Process listener = start(null == serverNs ? server : TestNet.inNs(serverNs, server.toArray(String[]::new)));
        awaitListening(serverNs, port);
        final List<String> client = List.of("sh", "-c", "nc -6 -N -w 10 " + address + " " + port + " < " + data);
        final Sh.Result sent = Sh.exec(60, (null == clientNs ? client : TestNet.inNs(clientNs,
            client.toArray(String[]::new))).toArray(String[]::new));
        assertEquals(0, sent.exitCode(), sent.output());
        assertTrue(listener.waitFor(30, TimeUnit.SECONDS), "the listener finished");
        return Files.readString(digest).split(" ")[0].trim();
    }

    /** Bounded wait until something listens on TCP {@code port} in the namespace (null: the host). */
    private static void awaitListening(final String ns, final int port) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline)
        {
            final String[] ss = {"ss", "-Hltn", "sport = :" + port};
            final Sh.Result r = null == ns ? Sh.exec(5, ss) : inNs(ns, 5, ss);
            if (r.exitCode() == 0 && !r.output().isBlank())
            {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("nothing listens on " + port);
    }

    @Test
    void bothNetworksReachTheOutsideMasqueradedToTheUplinkAddress() throws Exception
    {
        for (final String ns : List.of(a, b))
        {
            final Sh.Result ping = inNs(ns, 15, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", OUTSIDE);
            System.out.println(ping.output());
            assertEquals(0, ping.exitCode(), ping.output());
        }
        // Nothing from the outside reaches a sandbox unasked, not even with a route to it.
        Sh.run("ip", "-n", o, "-6", "route", "add", "fd00:d1::/64", "via", UPLINK);
        assertNotEquals(0, inNs(o, 10, "ping", "-6", "-c", "1", "-W", "1", A).exitCode());
        assertTrue(counter("drop_no_route") >= 1, routing.counters().toString());

        final Path data = Files.createTempFile("v6d-data", ".bin");
        files.add(data);
        final byte[] bytes = new byte[16 << 20];
        new Random(66).nextBytes(bytes);
        Files.write(data, bytes);
        final String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        final Path peer = Files.createTempFile("v6d-peer", ".txt");
        files.add(peer);
        assertEquals(expected, transfer(o, OUTSIDE, 7003, a, data, peer), "sandbox -> outside, through NAT66");
        final String seen = Files.readString(peer);
        System.out.println("the outside's listener: " + seen);
        assertTrue(seen.contains(UPLINK), "the outside sees the uplink's address: " + seen);
        assertTrue(counter("nat_created") >= 3, routing.counters().toString());
        System.out.println(routing.counters());
        assertNoAgentErrors();
    }

    /**
     * Behind the outside namespace, a Linux router, a far host on a 1300-byte link ("f" fd00:78::2): its time
     * exceeded and packet too big reach the uplink address and are translated back to the sandbox.
     */
    @Test
    void pathMtuAndTracerouteBeyondTheUplinkThroughNat66() throws Exception
    {
        final String f = net.namespace("f");
        Sh.run("ip", "netns", "exec", f, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0",
            "net.ipv6.conf.default.disable_ipv6=0");
        Sh.run("ip", "link", "add", net.name("of"), "netns", o, "mtu", "1300", "type", "veth", "peer", "name",
            net.name("pf"), "netns", f, "mtu", "1300");
        // No DAD on the new link's link-local addresses either: a tentative one made the first packets vanish.
        Sh.run("ip", "netns", "exec", o, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1",
            "net.ipv6.conf." + net.name("of") + ".disable_ipv6=0", "net.ipv6.conf." + net.name("of") + ".accept_dad=0");
        Sh.run("ip", "netns", "exec", f, "sysctl", "-q", "-w", "net.ipv6.conf." + net.name("pf") + ".disable_ipv6=0",
            "net.ipv6.conf." + net.name("pf") + ".accept_dad=0");
        Sh.run("ip", "-n", o, "-6", "addr", "add", "fd00:78::1/64", "dev", net.name("of"), "nodad");
        Sh.run("ip", "-n", f, "-6", "addr", "add", "fd00:78::2/64", "dev", net.name("pf"), "nodad");
        Sh.run("ip", "-n", o, "link", "set", net.name("of"), "up");
        Sh.run("ip", "-n", f, "link", "set", net.name("pf"), "up");
        Sh.run("ip", "-n", f, "-6", "route", "add", "default", "via", "fd00:78::1");

        // The far host's port unreachable about a masqueraded UDP datagram comes back translated.
        final Sh.Result udp = inNs(a, 10, "/usr/bin/python3", "-c", String.join("\n",
            "import socket",
            "s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)",
            "s.settimeout(3)",
            "s.connect(('fd00:78::2', 9))",
            "s.send(b'x')",
            "try:",
            "    s.recv(100)",
            "    print('answered')",
            "except ConnectionRefusedError:",
            "    print('refused')",
            "except socket.timeout:",
            "    print('timeout')"));
        assertEquals("refused", udp.output().trim(), "port unreachable from beyond the uplink");
        final Sh.Result ping = inNs(a, 10, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", "fd00:78::2");
        System.out.println(ping.output());
        assertTrue(ping.output().contains(" 0% packet loss") || ping.output().contains(" 50% packet loss"),
            ping.output());

        // One probe at a time: the far host rate-limits its errors per destination (net.ipv6.icmp.ratelimit).
        final Sh.Result traceroute = inNs(a, 60, "traceroute6", "-n", "-N", "1", "-q", "1", "-w", "2", "-m", "5",
            "fd00:78::2");
        System.out.println(traceroute.output());
        System.out.println(routing.counters());
        assertTrue(traceroute.output().matches("(?s).*\\n 1 +" + GW1 + " .*"), "hop 1 the gateway");
        assertTrue(traceroute.output().matches("(?s).*\\n 2 +" + OUTSIDE + " .*"),
            "hop 2's time exceeded translated back by NAT66");
        assertTrue(traceroute.output().matches("(?s).*\\n 3 +fd00:78::2 .*"), "hop 3 the far host");

        final Sh.Result tracepath = inNs(a, 60, "tracepath", "-6", "-n", "-m", "5", "fd00:78::2");
        System.out.println(tracepath.output());
        assertTrue(tracepath.output().contains("pmtu 1300"), "PMTU beyond the uplink: " + tracepath.output());

        // TCP learns the 1300 bytes by itself (PMTU cache flushed first) and gets its data across.
        Sh.run("ip", "-n", a, "-6", "route", "flush", "cache");
        final Path data = Files.createTempFile("v6d-data", ".bin");
        files.add(data);
        final byte[] bytes = new byte[4 << 20];
        new Random(78).nextBytes(bytes);
        Files.write(data, bytes);
        final String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertEquals(expected, transfer(f, "fd00:78::2", 7004, a, data), "sandbox -> far host across PMTU 1300");
        assertTrue(counter("nat_icmp_errors") >= 3, routing.counters().toString());
        System.out.println("route get: " + Sh.run("ip", "-n", a, "-6", "route", "get", "fd00:78::2"));
        assertNoAgentErrors();
    }

    @Test
    void traceroute6AndTracepathShowTheGatewayAndThePathMtuAndErrorsAreWellFormed() throws Exception
    {
        final Path capture = Files.createTempFile("v6d-icmp", ".pcap");
        files.add(capture);
        final Process tcpdump = start(TestNet.inNs(a, "tcpdump", "-i", net.name("pa"), "--immediate-mode", "-U",
            "-n", "-w", capture.toString(), "icmp6"));
        RouterWaits.awaitOutput(tcpdump, "listening on", 10);

        final Sh.Result traceroute = inNs(a, 60, "traceroute6", "-n", "-q", "1", "-w", "2", "-m", "5", HOST);
        System.out.println(traceroute.output());
        assertEquals(0, traceroute.exitCode(), traceroute.output());
        assertTrue(traceroute.output().matches("(?s).*\\n 1 +" + GW1 + " .*"), "hop 1 is the gateway");
        assertTrue(traceroute.output().matches("(?s).*\\n 2 +" + HOST + " .*"), "hop 2 the host");

        final Sh.Result tracepath = inNs(a, 60, "tracepath", "-6", "-n", "-m", "5", HOST);
        System.out.println(tracepath.output());
        assertTrue(tracepath.output().matches("(?s).* 1: +" + GW1 + " .*"), "hop 1 is the gateway");
        assertTrue(tracepath.output().contains("pmtu " + HOST_MTU), "tracepath learnt the host link's MTU");
        assertTrue(tracepath.output().contains("reached"), tracepath.output());

        Sh.run("ip", "-n", a, "-6", "route", "flush", "cache");
        final Sh.Result big = inNs(a, 10, "ping", "-6", "-M", "do", "-s", "1452", "-c", "1", "-W", "2", HOST);
        System.out.println(big.output());
        assertTrue(big.output().contains("Packet too big: mtu=" + HOST_MTU), big.output());

        assertTrue(counter("icmpv6_time_exceeded") >= 1, routing.counters().toString());
        assertTrue(counter("icmpv6_packet_too_big") >= 1, routing.counters().toString());

        Thread.sleep(300); // immediate mode: let the last packets reach the file before SIGTERM
        Sh.stop(tcpdump);
        // tshark always verifies ICMPv6 checksums (there is no preference to turn on): status 1 = good.
        final Sh.Result decoded = Sh.exec(30, "tshark", "-r", capture.toString(), "-Y", "ipv6.src == " + GW1 + " && icmpv6.type != 129", "-T", "fields", "-E", "separator=/s",
            "-E", "occurrence=f", "-e", "icmpv6.type", "-e", "icmpv6.code", "-e", "icmpv6.checksum.status", "-e", "icmpv6.mtu");
        System.out.println("tshark, ICMPv6 from the gateway (type code checksum-status mtu):\n" + decoded.output());
        final List<String> lines = decoded.output().lines().filter(l -> l.matches("\\d+ \\d+ .*")).toList();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("3 0 ")), "time exceeded: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.equals("2 0 1 " + HOST_MTU)), "packet too big: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("136 0 ")), "neighbour advertisement: " + lines);
        for (final String line : lines)
        {
            assertEquals("1", line.split(" ")[2], "checksum good: " + line);
        }
        assertNoAgentErrors();
    }

}
