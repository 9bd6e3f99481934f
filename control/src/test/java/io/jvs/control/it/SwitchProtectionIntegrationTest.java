package io.jvs.control.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.daemon.Daemon;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.control.netns.Command;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.TempDirs;
import io.jvs.control.testing.Wait;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.dataplane.SwitchCpus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What one sandbox may not do to the others, with real namespaces and an in-process daemon whose MAC table is small
 * (4,096 entries), so that a bounded flood (20,000 frames) would fill it without the per-port limit: the flooding
 * sandbox learns its 256 and is counted {@code mac_limit}, sandboxes attached afterwards are learned (their unicast
 * is not captured in the flooder's namespace) and {@code network create} still works. Then inter-container
 * isolation ({@code enable_icc=false}) with a positive control, and the router's echo replies checked by tcpdump.
 * Names start with "jp" and a random run suffix. {@code -Djvs.test.portMacLimit=0} runs the flood without the
 * limit, to see the test fail.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SwitchProtectionIntegrationTest
{
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAC_TABLE = 4096;
    private static final int FLOOD_FRAMES = 20_000;
    private static final int PORT_MAC_LIMIT = Integer.getInteger("jvs.test.portMacLimit", 256);
    private static final String PYTHON = "/usr/bin/python3";
    private static final String ICC_OFF = "com.docker.network.bridge.enable_icc=false";

    /** Sends argv[1] frames on interface argv[2], each from a new random unicast source MAC to an unknown unicast MAC. */
    private static final String FLOODER = String.join("\n",
        "import os, socket, struct, sys",
        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)",
        "s.bind((sys.argv[2], 0))",
        "dst = bytes.fromhex('02aabbccddee')",
        "sent = 0",
        "for i in range(int(sys.argv[1])):",
        "    src = bytearray(os.urandom(6)); src[0] = (src[0] & 0xfc) | 0x02",
        "    sent += s.send(dst + bytes(src) + struct.pack('!H', 0x88b5) + bytes(46))",
        "print(sent)");

    private final String run = "jp" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final ObjectMapper json = new ObjectMapper();
    private final List<String> sandboxes = new ArrayList<>();
    private final List<String> networks = new ArrayList<>();
    private Path dir;
    private InProcessCli jvs;
    private Daemon daemon;
    private int counter;

    @BeforeAll
    void startDaemon() throws Exception
    {
        dir = Files.createTempDirectory(run);
        final Path socket = dir.resolve("jvs.sock");
        jvs = InProcessCli.socketAfterCommand(socket);
        final SwitchConfig d = SwitchConfig.defaults();
        final SwitchConfig config = new SwitchConfig(d.threadingMode(), d.idleStrategy(), d.ringCapacityBytes(),
            d.batchSize(), MAC_TABLE, d.macAgingNanos(), 0, 0, d.portRxSlots(), SwitchCpus.NONE, 1, PORT_MAC_LIMIT);
        daemon = Daemon.start(Daemon.Config.embedded(socket, dir.resolve("state")), () -> JvsFabric.start(config));
    }

    @AfterEach
    void removeWhatTheTestCreated()
    {
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
                // never made
            }
        }
        sandboxes.clear();
        networks.clear();
    }

    @AfterAll
    void stopDaemon() throws Exception
    {
        daemon.close();
        TempDirs.deleteTree(dir);
        assertFalse(Command.run("ip", "netns", "list").contains(run), "namespaces left behind");
    }

    @Test
    void aSandboxFloodingSourceMacsDoesNotHurtTheOthers() throws Exception
    {
        final String net = network();
        final String attacker = sandbox();
        ok("network", "connect", net, attacker);
        final JsonNode attached = endpoint(net, attacker);
        final Command.Result flood = exec(attacker, PYTHON, "-c", FLOODER, String.valueOf(FLOOD_FRAMES),
            attached.path("Interface").asText());
        assertTrue(flood.ok(), flood.stderr());
        // The switch has read the flood once the port counted every frame (received, or lost on its RX ring) ...
        final String port = attached.path("HostInterface").asText();
        final long[] seen = new long[3];
        Wait.until(() ->
        {
            final JsonNode p = portStats(port);
            seen[0] = p.path("RxPackets").asLong();
            seen[1] = p.path("Drops").path("mac_limit").asLong();
            seen[2] = p.path("Drops").path("rx_ring_full").asLong();
            return seen[0] + seen[2] >= FLOOD_FRAMES;
        }, Duration.ofSeconds(20), "the switch read the flood");
        // ... and forwarded it once every frame beyond the port's limit was dropped (a few frames are not the flood's).
        final long expectedDrops = PORT_MAC_LIMIT == 0 ? 0 : seen[0] - PORT_MAC_LIMIT - 20;
        Wait.until(() -> portStats(port).path("Drops").path("mac_limit").asLong() >= expectedDrops,
            Duration.ofSeconds(20), "mac_limit drops for the flood");
        seen[1] = portStats(port).path("Drops").path("mac_limit").asLong();
        System.out.printf("flood of %d source MACs: %d received, %d lost on the RX ring, %d dropped mac_limit, " +
            "%d MACs in the network%n", FLOOD_FRAMES, seen[0], seen[2], seen[1],
            networkStats(net).path("MacEntries").asLong());

        final String b = sandbox();
        final String c = sandbox();
        ok("network", "connect", net, b);
        ok("network", "connect", net, c);
        final String macB = endpoint(net, b).path("MacAddress").asText();
        final String macC = endpoint(net, c).path("MacAddress").asText();
        final Path capture = dir.resolve("attacker.txt");
        final Process tcpdump = startCapture(attacker, attached.path("Interface").asText(), capture,
            "ether src " + macB + " or ether src " + macC);
        try
        {
            assertTrue(exec(b, "ping", "-n", "-c", "20", "-i", "0.05", "-W", "1", address(net, c)).ok(),
                "b reaches c");
        }
        finally
        {
            tcpdump.destroy();
            assertTrue(tcpdump.waitFor(10, TimeUnit.SECONDS));
        }
        final List<String> frames = captured(capture);
        final List<String> unicast = frames.stream().filter(f -> !f.contains("ff:ff:ff:ff:ff:ff")).toList();
        System.out.printf("in the attacker's namespace: %d frames from b or c, %d of them unicast%n", frames.size(),
            unicast.size());
        assertTrue(frames.stream().anyMatch(f -> f.contains(macB + " > ff:ff:ff:ff:ff:ff") && f.contains("ARP")),
            "the capture works: b's ARP broadcast reached the attacker, as it must " + frames);
        assertEquals(0, unicast.size(), "the attacker saw b and c's unicast, e.g. " +
            unicast.subList(0, Math.min(2, unicast.size())));
        assertTrue(networkStats(net).path("MacEntries").asLong() <= PORT_MAC_LIMIT + 3, "the flooder's share");
        network(); // network create (a static router MAC) still works
    }

    @Test
    void withIccOffContainersReachTheGatewayButNotEachOther() throws Exception
    {
        final String isolated = network("-o", ICC_OFF);
        final String open = network();
        final String a = sandbox();
        final String b = sandbox();
        for (final String net : List.of(isolated, open))
        {
            ok("network", "connect", net, a);
            ok("network", "connect", net, b);
        }
        final JsonNode inspect = json.readTree(ok("network", "inspect", isolated).out()).path(0);
        assertEquals("false", inspect.path("Options").path("com.docker.network.bridge.enable_icc").asText());
        final String gateway = inspect.path("IPAM").path("Config").path(0).path("Gateway").asText();

        assertTrue(ping(a, gateway), "the gateway answers");
        assertFalse(ping(a, address(isolated, b)), "no ping between containers of an icc=false network");
        assertTrue(ping(a, address(open, b)), "positive control: the same sandboxes on an icc=true network");
        final String neighbour = exec(a, "ip", "neigh", "show", address(isolated, b)).stdout();
        assertFalse(neighbour.contains("lladdr"), "b's MAC never resolved: " + neighbour);
        final long icc = networkStats(isolated).path("Drops").path("icc").asLong();
        assertTrue(icc > 0, "counted icc: " + icc);
        assertEquals(0, networkStats(open).path("Drops").path("icc").asLong());

        // The router's echo reply as the sandbox's kernel and tcpdump see it: a valid IPv4 header checksum.
        final Path capture = dir.resolve("echo.txt");
        final Process tcpdump = startCapture(a, endpoint(isolated, a).path("Interface").asText(), capture,
            "icmp and src host " + gateway);
        try
        {
            assertTrue(ping(a, gateway));
        }
        finally
        {
            tcpdump.destroy();
            assertTrue(tcpdump.waitFor(10, TimeUnit.SECONDS));
        }
        final String replies = String.join("\n", captured(capture));
        assertTrue(replies.contains("echo reply"), "captured: " + replies);
        assertFalse(replies.contains("bad cksum") || replies.contains("incorrect"), replies);
    }

    /**
     * Issue 17, port security: on a {@code port_security=true} network a sandbox cannot send from an address or a
     * MAC jvs did not give it; the same spoof on an ordinary network gets through (positive control), and the
     * sandbox's own traffic is untouched.
     */
    @Test
    void withPortSecurityASandboxSendsOnlyFromItsOwnAddressAndMac() throws Exception
    {
        final String secured = network("-o", "port_security=true");
        final String open = network();
        final String a = sandbox();
        final String b = sandbox();
        for (final String net : List.of(secured, open))
        {
            ok("network", "connect", net, a);
            ok("network", "connect", net, b);
        }
        assertEquals("true", json.readTree(ok("network", "inspect", secured).out()).path(0).path("Options")
            .path("port_security").asText());
        assertTrue(ping(a, address(secured, b)), "its own address and MAC pass");

        for (final String net : List.of(secured, open))
        {
            final String own = address(net, a);
            final String spoofed = own.substring(0, own.lastIndexOf('.')) + ".200";
            final String iface = endpoint(net, a).path("Interface").asText();
            assertTrue(exec(a, "ip", "addr", "add", spoofed + "/32", "dev", iface).ok());
            final boolean through = exec(a, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", "-I", spoofed,
                address(net, b)).ok();
            assertEquals(net.equals(open), through, "a ping from " + spoofed + " that jvs did not give a, on " +
                (net.equals(open) ? "the open network (it gets through: the spoof works)" : "the secured one"));
        }
        final long spoofedDrops = networkStats(secured).path("Drops").path("spoofed").asLong();
        assertTrue(spoofedDrops > 0, "counted as spoofed: " + spoofedDrops);
        assertEquals(0, networkStats(open).path("Drops").path("spoofed").asLong());

        final String iface = endpoint(secured, a).path("Interface").asText();
        final String mac = exec(a, "cat", "/sys/class/net/" + iface + "/address").stdout().strip();
        assertTrue(exec(a, "ip", "link", "set", "dev", iface, "address", "02:42:de:ad:be:ef").ok());
        assertFalse(ping(a, address(secured, b)), "another MAC on the secured network");
        assertTrue(exec(a, "ip", "link", "set", "dev", iface, "address", mac).ok());
        exec(a, "ip", "neigh", "flush", "dev", iface);
        assertTrue(ping(a, address(secured, b)), "its own MAC again");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private Process startCapture(final String sandbox, final String iface, final Path file, final String filter)
        throws Exception
    {
        final Process tcpdump = new ProcessBuilder("ip", "netns", "exec", sandbox, "tcpdump", "-i", iface, "-nn",
            "-e", "-vv", "-l", filter).redirectErrorStream(true).redirectOutput(file.toFile()).start();
        Wait.until(() -> Files.exists(file) &&
            Files.readString(file, StandardCharsets.UTF_8).contains("listening on"), Duration.ofSeconds(10),
            "tcpdump listening in " + sandbox);
        return tcpdump;
    }

    /** The frames tcpdump printed (one line each, from its timestamp; -vv continuation lines joined). */
    private static List<String> captured(final Path file) throws Exception
    {
        final List<String> frames = new ArrayList<>();
        for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
        {
            if (line.matches("^\\d\\d:\\d\\d:\\d\\d.*"))
            {
                frames.add(line);
            }
            else if (line.startsWith(" ") && !frames.isEmpty())
            {
                frames.set(frames.size() - 1, frames.get(frames.size() - 1) + " " + line.strip());
            }
        }
        return frames;
    }

    private JsonNode portStats(final String hostInterface) throws Exception
    {
        for (final JsonNode port : json.readTree(ok("stats", "--json").out()).path("Ports"))
        {
            if (hostInterface.equals(port.path("Interface").asText()))
            {
                return port;
            }
        }
        throw new AssertionError("no port " + hostInterface + " in stats");
    }

    private JsonNode networkStats(final String network) throws Exception
    {
        for (final JsonNode n : json.readTree(ok("stats", "--json").out()).path("Networks"))
        {
            if (network.equals(n.path("Network").asText()))
            {
                return n;
            }
        }
        throw new AssertionError("no network " + network + " in stats");
    }

    private String network(final String... options)
    {
        final String name = run + "n" + (++counter);
        final List<String> args = new ArrayList<>(List.of("network", "create"));
        args.addAll(List.of(options));
        args.add(name);
        networks.add(name);
        ok(args.toArray(new String[0]));
        return name;
    }

    private String sandbox()
    {
        final String name = run + "s" + (++counter);
        sandboxes.add(name);
        ok("sandbox", "create", name);
        return name;
    }

    private InProcessCli.Result ok(final String... args)
    {
        return jvs.ok(args);
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
}
