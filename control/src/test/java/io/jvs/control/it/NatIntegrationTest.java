package io.jvs.control.it;

import io.jvs.control.testing.BackgroundProcesses;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.OutsideWire;
import io.jvs.control.testing.TempDirs;
import io.jvs.control.testing.Transfers;
import io.jvs.control.testing.Wait;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.daemon.Daemon;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.control.netns.Command;
import io.jvs.control.netns.HostsFiles;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.dataplane.SwitchCpus;
import io.jvs.dataplane.nat.NatConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

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
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gateway, host port, uplink NAT and published ports through the daemon and its CLI:
 * <pre>
 *   daemon --uplink RUNu --uplink-address 10.216.0.2/24 --host-port RUNh --host-address 169.254.216.1/30
 *   outside namespace RUNo: 10.216.0.1/24 on the peer of RUNu, no route to any jvs network
 *   network RUNn 10.217.0.0/24, sandbox RUNa connected with --publish 8080:5201 --publish 9000:9000/udp
 * </pre>
 * Names start with "jn" + a random run suffix and are removed after the test.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NatIntegrationTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final int DATA_PORT = 5301;

    private final String run = "jn" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final ObjectMapper json = new ObjectMapper();
    private final List<Process> background = new ArrayList<>();
    private Path dir;
    private Path socket;
    private InProcessCli jvs;
    private Daemon daemon;
    private String outside;

    @BeforeEach
    void start(final TestInfo test) throws Exception
    {
        outside = run + "o";
        OutsideWire.create(outside, run + "u", run + "p", "10.216.0.1/24");

        dir = Files.createTempDirectory(run);
        socket = dir.resolve("jvs.sock");
        jvs = InProcessCli.socketAfterCommand(socket);
        final JvsFabric.L3Config l3 = new JvsFabric.L3Config(run + "h", "169.254.216.1/30", run + "u",
            "10.216.0.2/24", null, NatConfig.defaults());
        // A test named "onTwoLanes..." gets two forwarding lanes: its first sandbox is lane 0's, the second lane 1's.
        final SwitchConfig switchConfig = test.getTestMethod().orElseThrow().getName().startsWith("onTwoLanes") ?
            SwitchConfig.defaults().withLanes(2).withSwitchCpus(SwitchCpus.NONE) : SwitchConfig.defaults();
        daemon = Daemon.start(new Daemon.Config(socket, dir.resolve("state"), switchConfig,
            HostsFiles.DEFAULT_ROOT, false, l3, null));
    }

    @AfterEach
    void stop() throws Exception
    {
        BackgroundProcesses.destroyWithDescendants(background);
        try
        {
            for (final String sandbox : List.of(run + "a", run + "b"))
            {
                jvs.run("sandbox", "rm", sandbox);
            }
            jvs.run("network", "rm", run + "n");
            daemon.close();
        }
        finally
        {
            OutsideWire.remove(outside, run + "u");
            TempDirs.deleteTree(dir);
        }
        assertFalse(Files.exists(Path.of("/sys/class/net", run + "h")), "host port TAP left behind");
        assertFalse(Command.run("ip", "route", "show").contains("10.217.0.0/24"), "host route left behind");
    }

    @Test
    void natPublishedPortsHostAccessAndListing() throws Exception
    {
        jvs.ok("network", "create", "--subnet", "10.217.0.0/24", run + "n");
        jvs.ok("sandbox", "create", run + "a");
        jvs.ok("sandbox", "create", run + "b");
        jvs.ok("network", "connect", "--publish", "8080:5201", "-p", "9000:9000/udp", run + "n", run + "a");
        jvs.ok("network", "connect", run + "n", run + "b");
        final String a = run + "a";

        assertTrue(exec(a, "ping", "-c", "2", "-W", "2", "10.217.0.1").ok(), "gateway answers");
        assertTrue(exec(a, "ping", "-c", "2", "-W", "2", "10.216.0.1").ok(), "ping outward through NAT");
        assertTrue(Command.exec(TIMEOUT, "ping", "-c", "2", "-W", "2", "10.217.0.2").ok(), "host -> sandbox");

        background.add(new ProcessBuilder("ip", "netns", "exec", a, "iperf3", "-s", "-p", "5201")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        Wait.until(() -> !exec(a, "ss", "-Hltn", "sport = :5201").stdout().isBlank(), TIMEOUT, "iperf3 -s in " + a);
        final Command.Result fromOutside = Command.exec(Duration.ofSeconds(30), "ip", "netns", "exec", outside,
            "iperf3", "-c", "10.216.0.2", "-p", "8080", "-t", "1");
        assertTrue(fromOutside.ok(), "outside -> published 8080: " + fromOutside.stdout() + fromOutside.stderr());
        final Command.Result hairpin = exec(run + "b", "iperf3", "-c", "10.216.0.2", "-p", "8080", "-t", "1");
        assertTrue(hairpin.ok(), "hairpin: " + hairpin.stdout() + hairpin.stderr());
        final Command.Result fromHost = Command.exec(Duration.ofSeconds(30), "iperf3", "-c", "10.216.0.2", "-p",
            "8080", "-t", "1");
        assertTrue(fromHost.ok(), "host -> published 8080: " + fromHost.stdout() + fromHost.stderr());

        final String listing = jvs.ok("nat", "ls").out();
        assertTrue(listing.contains("8080:5201/tcp") && listing.contains("9000:9000/udp"), listing);
        assertTrue(listing.contains("dnat") && listing.contains("10.216.0.2:8080"), listing);
        assertTrue(listing.contains("nat_translated="), listing);
        System.out.println(listing);
        final JsonNode nat = json.readTree(jvs.ok("nat", "ls", "--json").out());
        assertTrue(nat.path("Counters").path("nat_created").asLong() >= 3, nat.toString());
        assertTrue(jvs.ok("stats").out().contains("router routed="), "stats shows router counters");

        jvs.ok("network", "disconnect", run + "n", a);
        final JsonNode after = json.readTree(jvs.ok("nat", "ls", "--json").out());
        assertEquals(0, after.path("Published").size(), "disconnect revokes the published ports");
        assertTrue(after.path("Translations").findValuesAsText("Kind").stream().noneMatch("dnat"::equals),
            after.toString());
        assertNotEquals(0, Command.exec(TIMEOUT, "ip", "netns", "exec", outside, "nc", "-z", "-w", "2",
            "10.216.0.2", "8080").exitCode(), "revoked");
    }

    @Test
    void publishedPortAndMasqueradeCarryDataIntact() throws Exception
    {
        jvs.ok("network", "create", "--subnet", "10.217.0.0/24", run + "n");
        jvs.ok("sandbox", "create", run + "a");
        jvs.ok("network", "connect", "--publish", "8080:" + DATA_PORT, run + "n", run + "a");
        final String a = run + "a";
        // In through the published port (DNAT), out to the outside server (masquerade), each with 64 KB GSO frames
        // from the sender whose addresses and ports the router rewrites.
        Transfers.assertIntact("outside -> 10.216.0.2:8080 -> " + a, outside, a, DATA_PORT, "10.216.0.2", 8080);
        Transfers.assertIntact(a + " -> outside, masqueraded", a, outside, DATA_PORT, "10.216.0.1", DATA_PORT);
        final JsonNode nat = json.readTree(jvs.ok("nat", "ls", "--json").out());
        assertTrue(nat.path("Translations").findValuesAsText("Kind").containsAll(List.of("dnat", "snat")),
            "both went through a translation: " + nat);
    }

    /**
     * Two lanes: b is lane 0's (with the router), a lane 1's. Into a through its published port (router on lane 0,
     * handed to lane 1), out of a masqueraded (handed to lane 0's router), and b to a bridged across the lanes.
     */
    @Test
    void onTwoLanesPublishedPortMasqueradeAndBridgingCarryDataIntact() throws Exception
    {
        jvs.ok("network", "create", "--subnet", "10.217.0.0/24", run + "n");
        jvs.ok("sandbox", "create", run + "b");
        jvs.ok("network", "connect", run + "n", run + "b");
        jvs.ok("sandbox", "create", run + "a");
        jvs.ok("network", "connect", "--publish", "8080:" + DATA_PORT, run + "n", run + "a");
        final String a = run + "a";
        final String b = run + "b";
        final JsonNode stats = json.readTree(jvs.ok("stats", "--json").out());
        final java.util.Map<String, Integer> lanes = new java.util.TreeMap<>();
        stats.path("Ports").forEach(p -> lanes.put(p.path("Sandbox").asText(), p.path("Lane").asInt()));
        assertEquals(java.util.Map.of(a, 1, b, 0), lanes, "b on lane 0, a on lane 1: " + stats.path("Ports"));
        Transfers.assertIntact("outside -> 10.216.0.2:8080 -> " + a, outside, a, DATA_PORT, "10.216.0.2", 8080);
        Transfers.assertIntact(a + " -> outside, masqueraded", a, outside, DATA_PORT, "10.216.0.1", DATA_PORT);
        Transfers.assertIntact(b + " -> " + a + " across lanes", b, a, DATA_PORT, "10.217.0.3", DATA_PORT);
        Transfers.assertIntact(a + " -> " + b + " across lanes", a, b, DATA_PORT, "10.217.0.2", DATA_PORT);
        assertTrue(exec(a, "ping", "-c", "2", "-W", "2", "10.217.0.1").ok(), "gateway answers lane 1");
    }

    @Test
    void internalNetworkRefusesPublishingAndHasNoWayOut() throws Exception
    {
        jvs.ok("network", "create", "--internal", "--subnet", "10.217.0.0/24", run + "n");
        jvs.ok("sandbox", "create", run + "a");
        final InProcessCli.Result refused = jvs.run("network", "connect", "-p", "8080:80", run + "n", run + "a");
        assertNotEquals(0, refused.exit());
        assertTrue(refused.err().contains("internal"), refused.err());
        jvs.ok("network", "connect", run + "n", run + "a");
        assertTrue(exec(run + "a", "ping", "-c", "1", "-W", "2", "10.217.0.1").ok(), "gateway answers");
        // No default route is installed on an internal network; add one to prove the router refuses too.
        exec(run + "a", "ip", "route", "add", "default", "via", "10.217.0.1");
        assertFalse(exec(run + "a", "ping", "-c", "2", "-W", "1", "10.216.0.1").ok(), "no way out");
        final JsonNode nat = json.readTree(jvs.ok("nat", "ls", "--json").out());
        assertTrue(nat.path("Counters").path("drop_no_route").asLong() >= 2, nat.toString());
    }

    private static Command.Result exec(final String sandbox, final String... argv)
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", sandbox));
        full.addAll(List.of(argv));
        return Command.exec(Duration.ofSeconds(30), full.toArray(new String[0]));
    }
}
