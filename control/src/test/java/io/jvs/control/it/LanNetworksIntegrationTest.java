package io.jvs.control.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.daemon.Daemon;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.control.netns.Command;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.state.Endpoint;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.TempDirs;
import io.jvs.control.testing.Transfers;
import io.jvs.control.testing.Wait;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.macvlan.LanCounter;
import io.jvs.macvlan.LanPort;
import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.RingConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * macvlan and ipvlan networks end to end: an in-process daemon on the real switch, a parent veth whose far end sits
 * in a "LAN" namespace with a host at a fixed address (and VLAN sub-interfaces for the VLAN test), containers as
 * jvs sandboxes. What the LAN sees is read from its neighbour table and from tcpdump -e on its side of the wire.
 * Names start with "jm" and a random run suffix; everything is removed after each test and after the class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LanNetworksIntegrationTest
{
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(30);
    /** Not the default RX ring, so the test below can tell the daemon's rings from the defaults. */
    private static final SwitchConfig SWITCH = SwitchConfig.defaults().withPortRxSlots(256);
    private static final Pattern SOCKET_MAPPING =
        Pattern.compile("^([0-9a-f]+)-([0-9a-f]+) .* socket:\\[(\\d+)]$", Pattern.MULTILINE);
    private static final Pattern NEIGH = Pattern.compile("^(\\S+) dev \\S+ lladdr ([0-9a-f:]{17})", Pattern.MULTILINE);

    private final String run = "jm" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    /** Third octet of the test subnets, so parallel runs on one machine do not collide. */
    private final int octet = 16 + new SecureRandom().nextInt(200);
    private final ObjectMapper json = new ObjectMapper();
    private final List<String> sandboxes = new ArrayList<>();
    private final List<String> networks = new ArrayList<>();
    private final Set<String> hostInterfaces = new LinkedHashSet<>();
    private final List<Process> processes = new ArrayList<>();
    private Path dir;
    private Path socket;
    private InProcessCli jvs;
    private Daemon daemon;
    private int counter;

    // The wire: parent (host) <-> lanEnd (in namespace lan). Host on 172.29.octet.1, LAN host on .100.
    private String parent;
    private String lan;
    private String lanEnd;
    private String lanSubnet;
    private String hostIp;
    private String lanHostIp;

    @BeforeAll
    void setUp() throws Exception
    {
        parent = run + "p";
        lanEnd = run + "l";
        lan = run + "lan";
        lanSubnet = "172.29." + octet + ".0/24";
        hostIp = "172.29." + octet + ".1";
        lanHostIp = "172.29." + octet + ".100";
        sh("ip", "netns", "add", lan);
        sh("ip", "-n", lan, "link", "set", "lo", "up");
        sh("ip", "netns", "exec", lan, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1", "net.ipv4.conf.all.arp_ignore=1");
        sh("ip", "link", "add", parent, "type", "veth", "peer", "name", lanEnd, "netns", lan);
        sh("sysctl", "-q", "-w", "net.ipv6.conf." + parent + ".disable_ipv6=1");
        sh("ip", "address", "add", hostIp + "/24", "dev", parent);
        sh("ip", "link", "set", parent, "up");
        sh("ip", "-n", lan, "address", "add", lanHostIp + "/24", "dev", lanEnd);
        sh("ip", "-n", lan, "link", "set", lanEnd, "up");

        dir = Files.createTempDirectory(run);
        socket = dir.resolve("jvs.sock");
        jvs = InProcessCli.socketAfterCommand(socket);
        daemon = Daemon.start(Daemon.Config.embedded(socket, dir.resolve("state")),
            () -> JvsFabric.start(SWITCH));
    }

    @AfterEach
    void removeWhatTheTestCreated()
    {
        for (final Process p : processes)
        {
            p.destroyForcibly();
        }
        processes.clear();
        for (final String sandbox : sandboxes)
        {
            for (final Endpoint endpoint : daemon.service().sandbox(sandbox).endpoints())
            {
                hostInterfaces.add(endpoint.hostInterface());
            }
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
            daemon.service().networks().stream().filter(n -> n.network().name().equals(network)).findFirst()
                .ifPresent(n -> daemon.service().lanNetworks().hostInterface(n.network().id())
                    .ifPresent(hostInterfaces::add));
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
        Command.exec(EXEC_TIMEOUT, "ip", "-n", lan, "neigh", "flush", "all");
    }

    @AfterAll
    void tearDown() throws Exception
    {
        try
        {
            daemon.close();
        }
        finally
        {
            Command.exec(EXEC_TIMEOUT, "ip", "link", "delete", parent);
            Command.exec(EXEC_TIMEOUT, "ip", "netns", "delete", lan);
        }
        TempDirs.deleteTree(dir); // the state directory holds the daemon's journal
        for (final String link : hostInterfaces)
        {
            assertFalse(Files.exists(Path.of("/sys/class/net", link)), "left behind: link " + link);
        }
        assertFalse(Command.run("ip", "netns", "list").contains(run), "left behind: namespaces");
        try (var files = Files.list(HostsFiles.DEFAULT_ROOT))
        {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(run)), "left behind: /etc/netns");
        }
        catch (final java.nio.file.NoSuchFileException ignored)
        {
            // no /etc/netns at all
        }
    }

    // ------------------------------------------------------------------------------------------------------ tests

    @Test
    void macvlanContainersAreStationsOnTheLanWithTheirOwnMacs() throws Exception
    {
        final String net = network("-d", "macvlan", "--subnet", lanSubnet, "--gateway", lanHostIp,
            "--ip-range", "172.29." + octet + ".32/28", "--aux-address", "printer=172.29." + octet + ".32",
            "-o", "parent=" + parent);
        final String a = sandbox();
        final String b = sandbox();
        jvs.ok("network", "connect", net, a);
        jvs.ok("network", "connect", net, b);
        // --ip-range 172.29.x.32/28 with .32 reserved by --aux-address: the first two addresses are .33 and .34.
        assertEquals("172.29." + octet + ".33", address(net, a));
        assertEquals("172.29." + octet + ".34", address(net, b));
        final JsonNode inspect = json.readTree(jvs.ok("network", "inspect", net).out()).path(0);
        assertEquals("parent=" + parent, "parent=" + inspect.path("Options").path("parent").asText());
        assertEquals("172.29." + octet + ".32/28", inspect.path("IPAM").path("Config").path(0).path("IPRange").asText());

        final Process capture = tcpdump(lan, lanEnd, "icmp");
        assertTrue(ping(a, lanHostIp), "a -> LAN host");
        assertTrue(ping(b, lanHostIp), "b -> LAN host");
        assertTrue(ping(a, address(net, b)), "a -> b");
        assertTrue(pingFromLan(address(net, a)), "LAN host -> a");
        final String wire = stop(capture, echoReply(address(net, a), lanHostIp));

        // The LAN sees each container as its own station.
        final String macA = endpoint(net, a).path("MacAddress").asText();
        final String macB = endpoint(net, b).path("MacAddress").asText();
        assertNotEquals(macA, macB);
        final String neigh = Command.run("ip", "-n", lan, "neigh", "show");
        assertEquals(macA, neighbourMac(neigh, address(net, a)), neigh);
        assertEquals(macB, neighbourMac(neigh, address(net, b)), neigh);
        // Container to container stays inside jvs: the LAN's wire carried no ICMP between a and b.
        assertFalse(wire.contains(address(net, a) + " > " + address(net, b)), wire);
        assertTrue(wire.contains(address(net, a) + " > " + lanHostIp), wire);

        // The host reaches its macvlan containers (Docker's macvlan cannot).
        assertTrue(hostPing(address(net, a)), "host -> a");
        assertTrue(hostPing(address(net, b)), "host -> b");
        // ... and the host port's own ARP never reached the LAN with the host's address.
        assertTrue(pingFromLan(hostIp), "LAN host -> host");
        assertEquals(mac(null, parent), neighbourMac(Command.run("ip", "-n", lan, "neigh", "show"), hostIp));

        // TCP with the containers' default offloads, through the parent's AF_PACKET socket.
        final JsonNode result = iperf(a, lan, lanHostIp, 2);
        assertTrue(result.path("end").path("sum_received").path("bytes").asLong() > 10_000_000L, result.toString());
        Transfers.assertIntact(a + " -> LAN host, macvlan", a, lan, dataPort(), lanHostIp, dataPort());
        Transfers.assertIntact("LAN host -> " + b + ", macvlan", lan, b, dataPort(), address(net, b), dataPort());
    }

    /**
     * Two VLAN networks on one parent. The LAN side: the parent's peer is a trunk, a test-side 802.1Q switch
     * ({@link VlanTrunk}: this kernel has no 8021q module) connects VLAN 10 and VLAN 20 to one namespace each.
     */
    @Test
    void twoVlansOnOneParentAreIsolatedAndShareOneSocket() throws Exception
    {
        final String ten = "10.201." + octet;
        final String twenty = "10.202." + octet;
        final String trunkParent = run + "q";
        final String trunk = run + "t";
        final String ns10 = run + "v10";
        final String ns20 = run + "v20";
        sh("ip", "link", "add", trunkParent, "type", "veth", "peer", "name", trunk);
        try
        {
            sh("ip", "address", "add", "172.30." + octet + ".1/24", "dev", trunkParent);
            for (final String dev : List.of(trunkParent, trunk, run + "a10", run + "a20"))
            {
                if (!dev.equals(trunkParent) && !dev.equals(trunk))
                {
                    final String ns = dev.endsWith("10") ? ns10 : ns20;
                    final String cidr = (dev.endsWith("10") ? ten : twenty) + ".100/24";
                    sh("ip", "netns", "add", ns);
                    sh("ip", "link", "add", dev, "type", "veth", "peer", "name", "eth0", "netns", ns);
                    sh("ip", "-n", ns, "address", "add", cidr, "dev", "eth0");
                    sh("ip", "-n", ns, "link", "set", "eth0", "up");
                    sh("ip", "-n", ns, "link", "set", "lo", "up");
                }
                sh("sysctl", "-q", "-w", "net.ipv6.conf." + dev + ".disable_ipv6=1");
                sh("ip", "link", "set", dev, "up");
            }
            try (VlanTrunk lanSwitch = new VlanTrunk(trunk, java.util.Map.of(10, run + "a10", 20, run + "a20")))
            {
                final String n10 = network("-d", "macvlan", "--subnet", ten + ".0/24", "--gateway", ten + ".100",
                    "-o", "parent=" + trunkParent + ".10");
                final String n20 = network("-d", "macvlan", "--subnet", twenty + ".0/24", "--gateway",
                    twenty + ".100", "-o", "parent=" + trunkParent + ".20");
                final String a = sandbox();
                final String b = sandbox();
                jvs.ok("network", "connect", n10, a);
                jvs.ok("network", "connect", n20, b);
                final LanPort p10 = lanPort(n10);
                final LanPort p20 = lanPort(n20);
                assertSame(p10.link(), p20.link(), "one parent socket for both VLANs");
                assertEquals(10, p10.vid());
                assertEquals(20, p20.vid());

                final Process wire = tcpdump(null, trunk, "");
                assertTrue(ping(a, ten + ".100"), "VLAN 10 container -> LAN VLAN 10");
                assertTrue(ping(b, twenty + ".100"), "VLAN 20 container -> LAN VLAN 20");
                assertTrue(exec(ns10, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", address(n10, a)).ok(),
                    "LAN VLAN 10 -> container");
                final String frames = stop(wire, echoReply(address(n10, a), ten + ".100"));
                final String macA = endpoint(n10, a).path("MacAddress").asText();
                final String macB = endpoint(n20, b).path("MacAddress").asText();
                assertTrue(frames.lines().anyMatch(l -> l.startsWith(macA) && l.contains("vlan 10,")), frames);
                assertTrue(frames.lines().anyMatch(l -> l.startsWith(macB) && l.contains("vlan 20,")), frames);
                assertFalse(frames.lines().anyMatch(l -> l.startsWith(macA) && !l.contains("vlan 10,")), frames);
                assertFalse(frames.lines().anyMatch(l -> l.startsWith(macB) && !l.contains("vlan 20,")), frames);

                // Isolation: a's broadcasts (ARP for VLAN 20's LAN address, made on-link) reach neither b nor the
                // VLAN 20 namespace, so a gets no answer.
                exec(a, "ip", "route", "add", twenty + ".0/24", "dev", "eth0");
                final Process inB = tcpdump(b, "eth0", "arp or icmp");
                final Process in20 = tcpdump(ns20, "eth0", "arp or icmp");
                assertFalse(ping(a, twenty + ".100"), "VLAN 10 must not reach VLAN 20");
                // The marker that must arrive after a's broadcasts would have: a ping across the switch and back.
                assertTrue(exec(ns20, "ping", "-n", "-c", "1", "-W", "2", address(n20, b)).ok(), "LAN VLAN 20 -> b");
                final String seenByB = stop(inB, twenty + ".100 > " + address(n20, b) + ": ICMP echo request");
                final String seenBy20 = stop(in20, echoReply(address(n20, b), twenty + ".100"));
                assertFalse(seenByB.contains(macA), seenByB);
                assertFalse(seenBy20.contains(macA), seenBy20);
                assertTrue(p10.rxFrames() > 0 && p20.rxFrames() > 0);
                assertTrue(lanSwitch.tagged.get() > 0 && lanSwitch.untagged.get() > 0);

                // TCP over the tagged path (the vnet header's offsets shift with the tag), both directions.
                final JsonNode up = iperf(a, ns10, ten + ".100", 2, false);
                assertTrue(up.path("end").path("sum_received").path("bytes").asLong() > 10_000_000L, up.toString());
                final JsonNode down = iperf(a, ns10, ten + ".100", 2, true);
                assertTrue(down.path("end").path("sum_received").path("bytes").asLong() > 10_000_000L,
                    down.toString());
                // The host's address (172.30.x.1 on the parent) is outside the VLAN's subnet: jvs routes it on-link.
                assertTrue(hostPing(address(n10, a)), "host -> VLAN 10 container");
            }
        }
        finally
        {
            Command.exec(EXEC_TIMEOUT, "ip", "link", "delete", trunkParent);
            Command.exec(EXEC_TIMEOUT, "ip", "link", "delete", run + "a10");
            Command.exec(EXEC_TIMEOUT, "ip", "link", "delete", run + "a20");
            Command.exec(EXEC_TIMEOUT, "ip", "netns", "delete", ns10);
            Command.exec(EXEC_TIMEOUT, "ip", "netns", "delete", ns20);
        }
    }

    @Test
    void theParentAndHostPortSocketsGetTheDaemonsRxRingSize() throws Exception
    {
        final long expected = PacketSocketPort.mappedBytes(SWITCH.portRings());
        final long parentExpected = PacketSocketPort.mappedBytes(SWITCH.portRings().withLargeTxSlots());
        assertNotEquals(PacketSocketPort.mappedBytes(RingConfig.defaults()), expected);
        final Map<String, Long> before = socketMappings();

        final String net = network("-d", "macvlan", "--subnet", lanSubnet, "--gateway", lanHostIp,
            "-o", "parent=" + parent);

        final Map<String, Long> opened = new HashMap<>(socketMappings());
        opened.keySet().removeAll(before.keySet());
        final String parentSocket = Files.readSymbolicLink(Path.of("/proc/self/fd/" + lanPort(net).fd())).toString();
        assertEquals(parentExpected, opened.get(parentSocket),
            "the parent's rings (TX slots that hold a GSO frame), as the kernel mapped them: " + opened);
        assertEquals(2, opened.size(), "the parent's socket and the host port's: " + opened);
        opened.remove(parentSocket);
        assertEquals(List.of(expected), List.copyOf(opened.values()), "the host port's rings: " + opened);
    }

    /** This process's AF_PACKET ring mappings from /proc/self/maps: "socket:[inode]" to mapped bytes. */
    private static Map<String, Long> socketMappings() throws Exception
    {
        final Map<String, Long> mappings = new HashMap<>();
        final Matcher m = SOCKET_MAPPING.matcher(Files.readString(Path.of("/proc/self/maps")));
        while (m.find())
        {
            mappings.merge("socket:[" + m.group(3) + "]",
                Long.parseUnsignedLong(m.group(2), 16) - Long.parseUnsignedLong(m.group(1), 16), Long::sum);
        }
        return mappings;
    }

    @Test
    void ipvlanL2ContainersShareTheParentMac() throws Exception
    {
        final String net = network("-d", "ipvlan", "--subnet", lanSubnet, "--gateway", lanHostIp,
            "--ip-range", "172.29." + octet + ".64/27", "-o", "parent=" + parent, "-o", "ipvlan_mode=l2");
        final String a = sandbox();
        final String b = sandbox();
        jvs.ok("network", "connect", net, a);
        jvs.ok("network", "connect", net, b);
        assertTrue(ping(a, lanHostIp), "a -> LAN host");
        assertTrue(ping(b, lanHostIp), "b -> LAN host");
        assertTrue(ping(a, address(net, b)), "a -> b");
        final Command.Result fromLan = Command.exec(EXEC_TIMEOUT, "ip", "netns", "exec", lan, "ping", "-n", "-c", "3",
            "-i", "0.2", "-W", "1", address(net, b));
        assertTrue(fromLan.ok(), fromLan.stdout());
        assertFalse(fromLan.stdout().contains("DUP"), "the host's forwarded copy must not reach b: " + fromLan.stdout());

        final String parentMac = mac(null, parent);
        final String neigh = Command.run("ip", "-n", lan, "neigh", "show");
        assertEquals(parentMac, neighbourMac(neigh, address(net, a)), neigh);
        assertEquals(parentMac, neighbourMac(neigh, address(net, b)), neigh);
        assertTrue(hostPing(address(net, a)), "host -> a");
        assertTrue(hostPing(address(net, b)), "host -> b");

        final JsonNode result = iperf(b, lan, lanHostIp, 2);
        assertTrue(result.path("end").path("sum_received").path("bytes").asLong() > 10_000_000L, result.toString());
        Transfers.assertIntact(b + " -> LAN host, ipvlan l2", b, lan, dataPort(), lanHostIp, dataPort());
        Transfers.assertIntact("LAN host -> " + a + ", ipvlan l2", lan, a, dataPort(), address(net, a), dataPort());
    }

    @Test
    void ipvlanL3IsRoutedWithoutBroadcastsToTheLan() throws Exception
    {
        final String subnet = "10.203." + octet + ".0/24";
        final String net = network("-d", "ipvlan", "--subnet", subnet, "-o", "parent=" + parent,
            "-o", "ipvlan_mode=l3");
        final String a = sandbox();
        final String b = sandbox();
        jvs.ok("network", "connect", net, a);
        jvs.ok("network", "connect", net, b);
        sh("ip", "-n", lan, "route", "add", subnet, "via", hostIp);
        try
        {
            final Process wire = tcpdump(lan, lanEnd, "");
            // The first packet may wait for jvs's ARP to the LAN host: ping until answered.
            assertTrue(pingUntil(a, lanHostIp), "a -> LAN host");
            assertTrue(ping(b, lanHostIp), "b -> LAN host");
            assertTrue(ping(a, address(net, b)), "a -> b");
            assertTrue(pingFromLan(address(net, a)), "LAN host -> a, routed to the host's parent address");
            final String frames = stop(wire, echoReply(address(net, a), lanHostIp));
            final String macA = endpoint(net, a).path("MacAddress").asText();
            final String macB = endpoint(net, b).path("MacAddress").asText();
            assertFalse(frames.contains(macA) || frames.contains(macB), "container MACs on the LAN: " + frames);
            final String ipA = address(net, a);
            assertFalse(frames.lines().anyMatch(l -> l.contains("ARP") && l.contains("tell " + ipA)),
                "no ARP from the containers on the LAN: " + frames);
            assertTrue(frames.contains(mac(null, parent) + " > "), frames);
            assertTrue(hostPing(address(net, a)), "host -> a");
            final LanPort port = lanPort(net);
            assertTrue(port.arpReplies() > 0, "jvs answered ARP for the gateway");
            // A subnet broadcast from a container reaches the parent's port and goes no further.
            final long broadcastsBefore = port.counter(LanCounter.TX_NO_BROADCAST);
            final Process lanWire = tcpdump(lan, lanEnd, "icmp");
            exec(a, "ping", "-n", "-b", "-c", "1", "-W", "1", "10.203." + octet + ".255");
            Wait.until(() -> port.counter(LanCounter.TX_NO_BROADCAST) > broadcastsBefore, EXEC_TIMEOUT,
                "the broadcast refused at the parent");
            assertTrue(pingFromLan(address(net, a)), "LAN -> a afterwards: the marker that must be seen");
            final String after = stop(lanWire, echoReply(address(net, a), lanHostIp));
            assertFalse(after.contains(".255"), "the broadcast reached the LAN: " + after);
        }
        finally
        {
            Command.exec(EXEC_TIMEOUT, "ip", "-n", lan, "route", "del", subnet);
        }
    }

    @Test
    void badOptionsAreOneLineRefusalsThatChangeNothing() throws Exception
    {
        final String before = snapshot();
        jvs.refuse("need -o parent=IFACE", "network", "create", "-d", "macvlan", "--subnet", lanSubnet, run + "x");
        jvs.refuse("parent interface " + run + "zz does not exist", "network", "create", "-d", "macvlan", "--subnet",
            lanSubnet, "-o", "parent=" + run + "zz", run + "x");
        jvs.refuse("invalid VLAN ID \"5000\"", "network", "create", "-d", "macvlan", "--subnet", lanSubnet,
            "-o", "parent=" + parent + ".5000", run + "x");
        jvs.refuse("invalid VLAN ID \"x\"", "network", "create", "-d", "macvlan", "--subnet", lanSubnet,
            "-o", "parent=" + parent + ".x", run + "x");
        jvs.refuse("invalid VLAN ID \"0\"", "network", "create", "-d", "macvlan", "--subnet", lanSubnet,
            "-o", "parent=" + parent + ".0", run + "x");
        jvs.refuse("invalid ipvlan_mode \"foo\"", "network", "create", "-d", "ipvlan", "--subnet", lanSubnet,
            "-o", "parent=" + parent, "-o", "ipvlan_mode=foo", run + "x");
        jvs.refuse("unknown option \"colour\"", "network", "create", "-d", "macvlan", "--subnet", lanSubnet,
            "-o", "parent=" + parent, "-o", "colour=blue", run + "x");
        jvs.refuse("need --subnet", "network", "create", "-d", "macvlan", "-o", "parent=" + parent, run + "x");
        jvs.refuse("ipvlan l3 cannot use a VLAN parent", "network", "create", "-d", "ipvlan", "--subnet", lanSubnet,
            "-o", "parent=" + parent + ".7", "-o", "ipvlan_mode=l3", run + "x");
        jvs.refuse("ip range 10.9.9.0/28 is not inside subnet", "network", "create", "-d", "macvlan", "--subnet",
            lanSubnet, "--ip-range", "10.9.9.0/28", "-o", "parent=" + parent, run + "x");
        jvs.refuse("auxiliary address gw=" + lanHostIp, "network", "create", "-d", "macvlan", "--subnet", lanSubnet,
            "--gateway", lanHostIp, "--aux-address", "gw=" + lanHostIp, "-o", "parent=" + parent, run + "x");
        jvs.refuse("unknown option \"parent\" for driver bridge", "network", "create", "-o", "parent=" + parent, run + "x");
        assertEquals(before, snapshot());

        // One network per parent VLAN: a second one is refused and the first keeps working.
        network("-d", "macvlan", "--subnet", lanSubnet, "-o", "parent=" + parent);
        final String during = snapshot();
        jvs.refuse("the untagged traffic of parent " + parent + " is already used by network", "network", "create",
            "-d", "ipvlan", "--subnet", "10.204." + octet + ".0/24", "-o", "parent=" + parent, run + "y");
        assertEquals(during, snapshot());
    }

    // --------------------------------------------------------------------------------------------------- helpers

    /** A TCP port no other run on this machine uses at the same time (the octet is per run). */
    private int dataPort()
    {
        return 5401 + octet;
    }

    private LanPort lanPort(final String network)
    {
        final String id = daemon.service().network(network).network().id();
        return daemon.service().lanNetworks().port(id).orElseThrow();
    }

    private String network(final String... options)
    {
        final String name = run + "n" + (++counter);
        final List<String> args = new ArrayList<>(List.of("network", "create"));
        args.addAll(List.of(options));
        args.add(name);
        networks.add(name);
        final InProcessCli.Result created = jvs.ok(args.toArray(new String[0]));
        assertTrue(created.out().strip().matches("[0-9a-f]{64}"), created.out());
        return name;
    }

    private String sandbox()
    {
        final String name = run + "s" + (++counter);
        sandboxes.add(name);
        jvs.ok("sandbox", "create", name);
        return name;
    }

    /**
     * What a refused create could have changed: networks, host-port links (jvh/jvg: other jobs on this machine
     * make links and routes of their own, which are left out), routes through them or the parent, the parent.
     */
    private String snapshot()
    {
        return jvs.ok("network", "ls", "--no-trunc").out() +
            Command.run("ip", "-o", "link", "show").lines().filter(l -> l.matches("\\d+: jv[hg].*"))
                .map(l -> l.split(":")[1].trim()).sorted().toList() +
            Command.run("ip", "-4", "route", "show").lines().filter(l -> l.contains(" jvh") || l.contains(parent))
                .toList() +
            Command.run("ip", "-d", "link", "show", parent).replaceAll("\\d+ bytes.*", "");
    }

    private JsonNode endpoint(final String network, final String sandbox) throws Exception
    {
        return json.readTree(jvs.ok("network", "inspect", network).out()).path(0).path("Containers").path(sandbox);
    }

    private String address(final String network, final String sandbox) throws Exception
    {
        final String cidr = endpoint(network, sandbox).path("IPv4Address").asText();
        return cidr.substring(0, cidr.indexOf('/'));
    }

    private static String neighbourMac(final String neigh, final String ip)
    {
        final Matcher m = NEIGH.matcher(neigh);
        while (m.find())
        {
            if (m.group(1).equals(ip))
            {
                return m.group(2);
            }
        }
        return "(none for " + ip + ")";
    }

    private static String mac(final String ns, final String dev) throws Exception
    {
        final String out = ns == null ? Command.run("ip", "-j", "link", "show", dev) :
            Command.run("ip", "-n", ns, "-j", "link", "show", dev);
        return new ObjectMapper().readTree(out).path(0).path("address").asText();
    }

    private static void sh(final String... argv)
    {
        Command.run(argv);
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

    private static boolean pingUntil(final String from, final String to)
    {
        return exec(from, "ping", "-n", "-c", "1", "-w", "5", to).ok();
    }

    private boolean pingFromLan(final String to)
    {
        return exec(lan, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", to).ok();
    }

    private static boolean hostPing(final String to)
    {
        return Command.exec(EXEC_TIMEOUT, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", to).ok();
    }

    /** tcpdump -e -nn -l in a namespace, output to a file; {@link #stop} returns what it printed. */
    private Process tcpdump(final String ns, final String dev, final String filter) throws Exception
    {
        final List<String> argv = new ArrayList<>(ns == null ? List.of() : List.of("ip", "netns", "exec", ns));
        argv.addAll(List.of("tcpdump", "-i", dev, "-e", "-nn", "-t", "-l", "-U"));
        if (!filter.isEmpty())
        {
            argv.add(filter);
        }
        final Path out = Files.createTempFile(dir, "tcpdump", ".txt");
        final Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        processes.add(p);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!Files.readString(out).contains("listening on"))
        {
            assertTrue(System.nanoTime() < deadline, "tcpdump did not start: " + Files.readString(out));
            Thread.sleep(20);
        }
        captures.put(p, out);
        return p;
    }

    private final java.util.Map<Process, Path> captures = new java.util.HashMap<>();

    /**
     * Stops a capture once it printed {@code marker}: a frame sent after everything the test asserts about, so
     * what had not arrived by then did not arrive (rather than waiting a fixed time and hoping).
     */
    private String stop(final Process p, final String marker) throws Exception
    {
        final Path capture = captures.get(p);
        Wait.until(() -> Files.readString(capture).contains(marker), Duration.ofSeconds(5),
            "\"" + marker + "\" in the capture: " + Files.readString(capture));
        p.destroy();
        if (!p.waitFor(5, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        final Path out = captures.remove(p);
        final String text = Files.readString(out);
        Files.deleteIfExists(out);
        return text;
    }

    /** How tcpdump -nn shows {@code from}'s answer to a ping from {@code to}. */
    private static String echoReply(final String from, final String to)
    {
        return from + " > " + to + ": ICMP echo reply";
    }

    private JsonNode iperf(final String client, final String serverNs, final String serverIp, final int seconds)
        throws Exception
    {
        return iperf(client, serverNs, serverIp, seconds, false);
    }

    private JsonNode iperf(
        final String client, final String serverNs, final String serverIp, final int seconds, final boolean reverse)
        throws Exception
    {
        final int port = 5201 + octet;
        final Process listener = new ProcessBuilder("ip", "netns", "exec", serverNs, "iperf3", "-s", "-1", "-p",
            String.valueOf(port)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(listener);
        try
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (exec(serverNs, "ss", "-Hltn", "sport = :" + port).stdout().isBlank())
            {
                assertTrue(System.nanoTime() < deadline, "iperf3 server did not start");
                Thread.sleep(50);
            }
            final List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", client, "iperf3", "-c", serverIp,
                "-p", String.valueOf(port), "-t", String.valueOf(seconds), "-J"));
            if (reverse)
            {
                argv.add("-R");
            }
            final Command.Result result = Command.exec(Duration.ofSeconds(seconds + 20L), argv.toArray(new String[0]));
            final JsonNode report = result.stdout().isBlank() ?
                json.createObjectNode().put("error", result.stderr()) : json.readTree(result.stdout());
            final JsonNode sum = report.path("end").path("sum_received");
            System.out.printf("jm: iperf3 %s %s %s: %.2f Gbit/s, %d retransmits%n", client, reverse ? "<-" : "->",
                serverIp, sum.path("bits_per_second").asDouble() / 1e9,
                report.path("end").path("sum_sent").path("retransmits").asLong());
            return report;
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
