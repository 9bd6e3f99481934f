package io.jvs.dataplane.l3;

import io.jvs.dataplane.Routing;
import io.jvs.dataplane.Switch;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.Sh;
import io.jvs.tap.TestNet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ICMP errors of the router seen by real tools, default offloads on:
 * <pre>
 *   ns "a" 10.221.0.2/24 --veth-- bridge domain "net", gateway 10.221.0.1 (the router)
 *   uplink "u" (AF_PACKET, MTU 1400), jvs 10.222.0.2/24 via 10.222.0.1
 *     --veth (MTU 1400)-- ns "r" 10.222.0.1, a Linux router --veth (MTU 1500)-- ns "o" 10.223.0.2/24
 * </pre>
 * The outside server has a 1500-byte MTU, so only PMTU discovery keeps TCP from the sandbox working across the
 * 1400-byte uplink; hop 2 (the Linux router) exercises the NAT's translation of outside ICMP errors.
 * Needs traceroute and tracepath (Debian: traceroute, iputils-tracepath), tshark, iperf3, python3.
 */
class IcmpOnVethsTest
{
    private static final Pattern RECEIVED_BYTES = Pattern.compile(
        "\"sum_received\"\\s*:\\s*\\{[^}]*?\"bytes\"\\s*:\\s*(\\d+)");
    private static final String GATEWAY = "10.221.0.1";
    private static final String OUTSIDE = "10.223.0.2";

    private TestNet net;
    private Switch sw;
    private Routing routing;
    private String a;
    private String r;
    private String o;
    private final List<Process> background = new ArrayList<>();
    private Path capture;

    @BeforeEach
    void setUp() throws Exception
    {
        net = new TestNet("ji");
        sw = Switch.start(SwitchConfig.defaults(), NatConfig.defaults());
        routing = sw.routing();
        capture = Files.createTempFile("ji-icmp", ".pcap");

        final int bd = sw.createBridgeDomain("net");
        routing.setGateway(bd, GATEWAY, 24, false);
        a = net.namespace("a");
        net.veth(net.name("ha"), net.name("pa"), a, "10.221.0.2/24");
        Sh.run("ip", "-n", a, "route", "add", "default", "via", GATEWAY);
        sw.addPort(PacketSocketPort.open(net.name("ha")), bd);

        r = net.namespace("r");
        o = net.namespace("o");
        net.veth(net.name("u"), null, net.name("pu"), r, "10.222.0.1/24", 1400);
        Sh.run("ip", "link", "set", net.name("u"), "mtu", "1400");
        // r <-> o: both ends in namespaces, removed with them.
        Sh.run("ip", "link", "add", net.name("ro"), "netns", r, "type", "veth", "peer", "name", net.name("po"),
            "netns", o);
        Sh.run("ip", "-n", r, "addr", "add", "10.223.0.1/24", "dev", net.name("ro"));
        Sh.run("ip", "-n", o, "addr", "add", OUTSIDE + "/24", "dev", net.name("po"));
        Sh.run("ip", "-n", r, "link", "set", net.name("ro"), "up");
        Sh.run("ip", "-n", o, "link", "set", net.name("po"), "up");
        Sh.run("ip", "-n", o, "route", "add", "default", "via", "10.223.0.1");
        Sh.run("ip", "netns", "exec", r, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");

        // The router reads the uplink's MTU from the device.
        routing.setUplink(PacketSocketPort.open(net.name("u")), "10.222.0.2/24", "10.222.0.1");

        final Process tcpdump = start(a, "tcpdump", "-i", net.name("pa"), "--immediate-mode", "-U", "-n", "-w", capture.toString(), "icmp");
        RouterWaits.awaitOutput(tcpdump, "listening on", 10);
    }
    @AfterEach
    void tearDown() throws Exception
    {
        background.forEach(Sh::stop);
        try
        {
            sw.close();
        }
        finally
        {
            net.close();
            Files.deleteIfExists(capture);
        }
    }

    private Process start(final String ns, final String... command)
    {
        final Process p = Sh.start(TestNet.inNs(ns, command));
        background.add(p);
        return p;
    }

    private static Sh.Result inNs(final String ns, final long timeoutSeconds, final String... command)
    {
        return Sh.exec(timeoutSeconds, TestNet.inNs(ns, command).toArray(String[]::new));
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

    private long counter(final String label)
    {
        return routing.counters().get(label);
    }

    /**
     * Stops the capture and decodes every ICMP error the router sent into the sandbox with tshark, IP header
     * checksum checking on: "type code ipChecksumStatus icmpChecksumStatus mtu" per line, outer headers only
     * (status 1 = good).
     */
    private List<String> routerErrorsSeenBySandbox()
    {
        sleep(500); // immediate mode, still: let the last packets reach the file before SIGTERM
        Sh.stop(background.get(0));
        final Sh.Result decoded = Sh.exec(30, "tshark", "-r", capture.toString(), "-o", "ip.check_checksum:TRUE",
            "-Y", "ip.src == " + GATEWAY + " && icmp.type != 0", "-T", "fields", "-E", "separator=/s", "-E", "occurrence=f",
            "-e", "icmp.type", "-e", "icmp.code", "-e", "ip.checksum.status", "-e", "icmp.checksum.status",
            "-e", "icmp.mtu");
        assertEquals(0, decoded.exitCode(), decoded.output());
        final List<String> lines = new ArrayList<>();
        decoded.output().lines().filter(l -> l.matches("\\d+ \\d+ .*")).forEach(lines::add);
        System.out.println("tshark, errors from the gateway (type code ip-csum icmp-csum mtu): " + lines);
        return lines;
    }

    private static void assertWellFormed(final List<String> errors)
    {
        for (final String line : errors)
        {
            final String[] f = line.split(" ");
            assertEquals("1", f[2], "IP header checksum good: " + line);
            assertEquals("1", f[3], "ICMP checksum good: " + line);
        }
    }

    @Test
    void tracerouteAndTracepathShowTheGatewayAsHopOne()
    {
        final Sh.Result traceroute = inNs(a, 60, "traceroute", "-n", "-q", "1", "-w", "2", "-m", "6", OUTSIDE);
        System.out.println(traceroute.output());
        assertEquals(0, traceroute.exitCode(), traceroute.output());
        assertTrue(traceroute.output().matches("(?s).*\\n 1 +10\\.221\\.0\\.1 .*"), "hop 1 is the gateway");
        // Hop 2's time exceeded reaches the uplink address and is translated back by the NAT.
        assertTrue(traceroute.output().matches("(?s).*\\n 2 +10\\.222\\.0\\.1 .*"), "hop 2 the outside router");
        assertTrue(traceroute.output().matches("(?s).*\\n 3 +10\\.223\\.0\\.2 .*"), "hop 3 the destination");

        final Sh.Result tracepath = inNs(a, 60, "tracepath", "-n", "-m", "6", OUTSIDE);
        System.out.println(tracepath.output());
        assertTrue(tracepath.output().matches("(?s).* 1: +10\\.221\\.0\\.1 .*"), "hop 1 is the gateway");
        assertTrue(tracepath.output().contains("pmtu 1400"), "tracepath learnt the uplink's MTU");
        assertTrue(tracepath.output().contains("reached"), tracepath.output());

        assertTrue(counter("icmp_time_exceeded") >= 2, routing.counters().toString());
        assertTrue(counter("nat_icmp_errors") >= 2, "outside errors translated back " + routing.counters());
        final List<String> errors = routerErrorsSeenBySandbox();
        assertTrue(errors.stream().anyMatch(l -> l.startsWith("11 0 ")), errors.toString());
        assertWellFormed(errors);
        assertEquals(0, sw.engineStats().agentErrors(), String.valueOf(sw.lastAgentError()));
    }

    @Test
    void pathMtuDiscoveryAcrossTheSmallerUplink() throws Exception
    {
        final Sh.Result ping = inNs(a, 10, "ping", "-M", "do", "-s", "1472", "-c", "1", "-W", "2", OUTSIDE);
        System.out.println(ping.output());
        assertTrue(ping.output().contains("From " + GATEWAY + " icmp_seq=1 Frag needed and DF set (mtu = 1400)"),
            ping.output());
        assertEquals(0, inNs(a, 10, "ping", "-M", "do", "-s", "1372", "-c", "1", "-W", "2", OUTSIDE).exitCode(),
            "1400 bytes fit");

        // Forget the learnt PMTU: TCP must discover it by itself (its MSS is 1460 on both ends).
        Sh.run("ip", "-n", a, "route", "flush", "cache");
        final long fragNeeded = counter("icmp_frag_needed");
        start(o, "iperf3", "-s", "-B", OUTSIDE);
        sleep(300);
        final Sh.Result upload = inNs(a, 30, "iperf3", "-c", OUTSIDE, "-t", "2", "-J");
        assertEquals(0, upload.exitCode(), upload.output());
        final Matcher bytes = RECEIVED_BYTES.matcher(upload.output());
        assertTrue(bytes.find() && Long.parseLong(bytes.group(1)) > 4_000_000, "a few MB across: " + upload.output());
        System.out.println("upload across PMTU 1400: " + upload.output().lines()
            .filter(l -> l.contains("bits_per_second")).reduce((x, y) -> y).orElse(""));
        assertTrue(counter("icmp_frag_needed") > fragNeeded, "TCP got its frag needed " + routing.counters());
        final String cached = Sh.run("ip", "-n", a, "route", "get", OUTSIDE);
        assertTrue(cached.contains("mtu 1400"), "the sandbox's PMTU cache: " + cached);

        final List<String> errors = routerErrorsSeenBySandbox();
        assertTrue(errors.stream().anyMatch(l -> l.equals("3 4 1 1 1400")), errors.toString());
        assertWellFormed(errors);
        assertEquals(0, sw.engineStats().agentErrors(), String.valueOf(sw.lastAgentError()));
    }

    @Test
    void udpToTheGatewayIsRefusedAndAnAbsentHostIsUnreachable()
    {
        final Sh.Result udp = inNs(a, 10, "/usr/bin/python3", "-c", String.join("\n",
            "import socket",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
            "s.settimeout(3)",
            "s.connect(('" + GATEWAY + "', 9))",
            "s.send(b'x')",
            "try:",
            "    s.recv(100)",
            "    print('answered')",
            "except ConnectionRefusedError:",
            "    print('refused')",
            "except socket.timeout:",
            "    print('timeout')"));
        assertEquals("refused", udp.output().trim(), "port unreachable from the gateway");

        final Sh.Result ping = inNs(a, 15, "ping", "-c", "1", "-W", "8", "10.222.0.99");
        System.out.println(ping.output());
        assertTrue(ping.output().contains("From " + GATEWAY + " icmp_seq=1 Destination Host Unreachable"),
            ping.output());
        assertEquals(1, counter("icmp_host_unreachable"), routing.counters().toString());
        assertTrue(counter("icmp_port_unreachable") >= 1, routing.counters().toString());

        final List<String> errors = routerErrorsSeenBySandbox();
        assertTrue(errors.stream().anyMatch(l -> l.startsWith("3 3 ")), errors.toString());
        assertTrue(errors.stream().anyMatch(l -> l.startsWith("3 1 ")), errors.toString());
        assertWellFormed(errors);
        System.out.println(routing.counters());
        assertEquals(0, sw.engineStats().agentErrors(), String.valueOf(sw.lastAgentError()));
    }
}
