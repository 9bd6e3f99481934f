package io.jvs.dataplane.l3;

import io.jvs.dataplane.Routing;
import io.jvs.dataplane.Switch;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.nat.NatEntry;
import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.Sh;
import io.jvs.tap.TapPort;
import io.jvs.tap.TestNet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The router and NAT between real namespaces, default offloads on:
 * <pre>
 *   ns "o" (outside, 10.212.0.1/24, no route to the containers) --veth-- uplink (AF_PACKET), jvs answers 10.212.0.2
 *   ns "a" 10.211.0.2/24 --veth-- bridge domain "net", gateway 10.211.0.1 (the router)
 *   ns "b" 10.211.0.3/24 --veth--/
 *   host namespace: TAP 10.213.0.1/30, router 10.213.0.2; routes 10.211.0.0/24 and 10.212.0.2/32 via the router
 * </pre>
 */
class NatOnVethsTest
{
    private static final Pattern REMOTE_HOST = Pattern.compile("\"remote_host\"\\s*:\\s*\"([0-9.]+)\"");
    private static final Pattern RECEIVED_BYTES = Pattern.compile(
        "\"sum_received\"\\s*:\\s*\\{[^}]*?\"bytes\"\\s*:\\s*(\\d+)");

    private TestNet net;
    private Switch sw;
    private Routing routing;
    private String outside;
    private String a;
    private String b;
    private String tapName;
    private final List<Process> background = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        net = new TestNet("jn");
        final NatConfig nat = NatConfig.defaults();
        // Short UDP/ICMP timeouts so expiry is observable; TCP keeps its defaults.
        sw = Switch.start(SwitchConfig.defaults(), new NatConfig(nat.capacity(), nat.portMin(), nat.portMax(),
            nat.tcpSynNanos(), nat.tcpEstablishedNanos(), nat.tcpClosingNanos(), nat.tcpCloseNanos(),
            TimeUnit.SECONDS.toNanos(2), TimeUnit.SECONDS.toNanos(2), TimeUnit.SECONDS.toNanos(2), true));
        routing = sw.routing();
    }

    @AfterEach
    void tearDown()
    {
        background.forEach(Sh::stop);
        try
        {
            sw.close(); // closes the TAP: the kernel removes it with its address and routes
        }
        finally
        {
            net.close();
        }
    }

    private void topology(final boolean internal)
    {
        final int bd = sw.createBridgeDomain("net");
        routing.setGateway(bd, "10.211.0.1", 24, internal);
        a = container("a", "10.211.0.2", bd);
        b = container("b", "10.211.0.3", bd);

        outside = net.namespace("o");
        net.veth(net.name("u"), net.name("pu"), outside, "10.212.0.1/24");
        routing.setUplink(PacketSocketPort.open(net.name("u")), "10.212.0.2/24", null);

        tapName = net.name("h");
        final TapPort tap = TapPort.open(tapName);
        Sh.run("sysctl", "-q", "-w", "net.ipv6.conf." + tapName + ".disable_ipv6=1");
        Sh.run("ip", "addr", "add", "10.213.0.1/30", "dev", tapName);
        Sh.run("ip", "link", "set", tapName, "up");
        routing.setHostPort(tap, "10.213.0.2/30");
        Sh.run("ip", "route", "replace", "10.211.0.0/24", "via", "10.213.0.2", "dev", tapName);
        Sh.run("ip", "route", "replace", "10.212.0.2/32", "via", "10.213.0.2", "dev", tapName);
    }

    private String container(final String role, final String ip, final int bd)
    {
        final String ns = net.namespace(role);
        net.veth(net.name("h" + role), net.name("p" + role), ns, ip + "/24");
        Sh.run("ip", "-n", ns, "route", "add", "default", "via", "10.211.0.1");
        sw.addPort(PacketSocketPort.open(net.name("h" + role)), bd);
        return ns;
    }

    /**
     * One iperf3 client run to the published port 10.212.0.2:8080 from {@code ns} (null: the host). The one server
     * serves the clients one after another and may still be winding the last one down: "busy" is retried.
     */
    private static Sh.Result iperfClient(final String ns)
    {
        final String[] command = {"iperf3", "-c", "10.212.0.2", "-p", "8080", "-t", "1"};
        Sh.Result result = null;
        for (int attempt = 0; attempt < 10; attempt++)
        {
            result = ns == null ? Sh.exec(30, command) : inNs(ns, 30, command);
            if (result.exitCode() == 0 || !result.output().contains("server is busy"))
            {
                return result;
            }
            sleep(200);
        }
        return result;
    }

    private static Sh.Result inNs(final String ns, final long timeoutSeconds, final String... command)
    {
        return Sh.exec(timeoutSeconds, TestNet.inNs(ns, command).toArray(String[]::new));
    }

    private Process startIn(final String ns, final String... command)
    {
        final Process p = Sh.start(TestNet.inNs(ns, command));
        background.add(p);
        return p;
    }

    private static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void containerReachesTheOutsideThroughNatAndEntriesExpire() throws Exception
    {
        topology(false);
        assertEquals(0, inNs(a, 10, "ping", "-c", "2", "-W", "2", "10.211.0.1").exitCode(), "ping gateway");
        assertEquals(0, inNs(a, 10, "ping", "-c", "2", "-W", "2", "10.212.0.1").exitCode(), "ping outward");
        assertEquals(0, Sh.exec(10, "ip", "netns", "exec", outside, "ping", "-c", "1", "-W", "2", "10.212.0.2")
            .exitCode(), "the uplink address answers ping");

        // Download: the outside server sends (-R), and must see the uplink address as its client.
        final Process server = startIn(outside, "iperf3", "-s", "-1", "-J", "-B", "10.212.0.1");
        sleep(300);
        final Sh.Result client = inNs(a, 30, "iperf3", "-c", "10.212.0.1", "-R", "-t", "2", "-J");
        assertEquals(0, client.exitCode(), client.output());
        final Matcher bytes = RECEIVED_BYTES.matcher(client.output());
        assertTrue(bytes.find() && Long.parseLong(bytes.group(1)) > 1_000_000, client.output());
        assertTrue(server.waitFor(10, TimeUnit.SECONDS));
        final String serverOut = Sh.output(server);
        final Matcher remote = REMOTE_HOST.matcher(serverOut);
        assertTrue(remote.find(), serverOut);
        assertEquals("10.212.0.2", remote.group(1), "the outside sees the uplink address");
        System.out.println("NAT download: " + client.output().lines()
            .filter(l -> l.contains("bits_per_second")).reduce((x, y) -> y).orElse(""));

        final List<NatEntry> table = routing.natTable();
        assertTrue(table.stream().anyMatch(e -> e.protocol().equals("tcp") && e.kind().equals("snat") &&
            e.original().startsWith("10.211.0.2:")), table.toString());
        assertTrue(routing.counters().get("nat_translated") > 100, routing.counters().toString());

        // UDP through NAT, then the short UDP/ICMP timeouts run out.
        final Process udpServer = startIn(outside, "timeout", "5", "nc", "-u", "-l", "-W", "1", "10.212.0.1", "7000");
        sleep(300);
        inNs(a, 5, "sh", "-c", "echo jvs-udp | nc -u -w 1 10.212.0.1 7000");
        assertTrue(udpServer.waitFor(6, TimeUnit.SECONDS));
        assertTrue(Sh.output(udpServer).contains("jvs-udp"), "UDP payload through NAT");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
        // The listing hides entries past their deadline at once; the sweep removes (and counts) them within ~1 s.
        while (routing.natTable().stream().anyMatch(e -> !e.protocol().equals("tcp")) ||
            routing.counters().get("nat_expired") < 2)
        {
            if (System.nanoTime() > deadline)
            {
                fail("UDP/ICMP entries did not expire: " + routing.natTable());
            }
            sleep(200);
        }
        assertTrue(routing.counters().get("nat_expired") >= 2, routing.counters().toString());
        assertEquals(0, sw.engineStats().agentErrors(), String.valueOf(sw.lastAgentError()));
    }

    @Test
    void publishedPortsFromOutsideFromTheHostAndHairpin() throws Exception
    {
        topology(false);
        startIn(a, "iperf3", "-s", "-p", "5201");
        final int tcpRule = routing.publish("tcp", 8080, 8080, "10.211.0.2", 5201);
        routing.publish("udp", 9000, 9001, "10.211.0.2", 9000);
        sleep(300);

        final Sh.Result fromOutside = iperfClient(outside);
        assertEquals(0, fromOutside.exitCode(), "outside -> published port: " + fromOutside.output());

        final Sh.Result fromHost = iperfClient(null);
        assertEquals(0, fromHost.exitCode(), "host -> published port: " + fromHost.output());

        final Sh.Result hairpin = iperfClient(b);
        assertEquals(0, hairpin.exitCode(), "container -> its network's published port: " + hairpin.output());

        assertEquals(0, Sh.exec(10, "ping", "-c", "2", "-W", "2", "10.211.0.2").exitCode(), "host -> container");

        final Process udpServer = startIn(a, "timeout", "5", "nc", "-u", "-l", "-W", "1", "9001");
        sleep(300);
        inNs(outside, 5, "sh", "-c", "echo jvs-dnat | nc -u -w 1 10.212.0.2 9001");
        assertTrue(udpServer.waitFor(6, TimeUnit.SECONDS));
        assertTrue(Sh.output(udpServer).contains("jvs-dnat"), "UDP published range 9000-9001 -> 9000-9001");

        routing.unpublish(tcpRule);
        assertTrue(routing.natTable().stream().noneMatch(e -> e.kind().equals("dnat") && e.protocol().equals("tcp")),
            "revoked: no TCP DNAT entries left " + routing.natTable());
        final long misses = routing.counters().get("drop_nat_miss");
        assertNotEquals(0, inNs(outside, 10, "nc", "-z", "-w", "2", "10.212.0.2", "8080").exitCode(),
            "revoked port must not connect");
        assertTrue(routing.counters().get("drop_nat_miss") > misses);
        assertEquals(0, sw.engineStats().agentErrors(), String.valueOf(sw.lastAgentError()));
        System.out.println(routing.counters());
    }

    @Test
    void internalNetworkHasNoWayOut()
    {
        topology(true);
        assertEquals(0, inNs(a, 10, "ping", "-c", "1", "-W", "2", "10.211.0.1").exitCode(), "gateway still answers");
        assertNotEquals(0, inNs(a, 10, "ping", "-c", "2", "-W", "1", "10.212.0.1").exitCode(), "no route out");
        assertTrue(routing.counters().get("drop_no_route") >= 2, routing.counters().toString());
        assertTrue(routing.natTable().isEmpty());
    }
}
