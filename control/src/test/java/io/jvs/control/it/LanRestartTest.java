package io.jvs.control.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvs.control.docker.ContainerSim;
import io.jvs.control.netns.Command;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.PingLogs;
import io.jvs.control.testing.SandboxLeftovers;
import io.jvs.control.testing.TempDirs;
import io.jvs.control.testing.Wait;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A macvlan network across daemon restarts: the daemon runs in a child JVM ({@link DaemonProcess}) and is SIGKILLed
 * while a container pings the LAN. Started again on the same state directory it must rebuild the network from the
 * journal (parent link, uplink, host port in place of the one the killed daemon left, no gateway on the switch's
 * router: the LAN host answers ARP for it alone), keep {@code --ip-range} and {@code --aux-address}, and drop, with
 * a message, a second macvlan network whose parent interface vanished while it was down. Names start with "jm".
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LanRestartTest
{
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(20);
    private static final Pattern ROUTE_DEV = Pattern.compile(" dev (\\S+)");

    private final String run = "jm" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    /** Third octet of the test subnets, so parallel runs on one machine do not collide. */
    private final int octet = 16 + new SecureRandom().nextInt(200);
    private final ObjectMapper json = new ObjectMapper();
    private final List<String> sandboxes = new ArrayList<>();
    private final List<String> networks = new ArrayList<>();
    private final List<String> links = new ArrayList<>();
    private final List<Process> background = new ArrayList<>();
    private final String lan = run + "lan";
    private final String parent = run + "p";
    private final String vanishing = run + "q";
    private Path dir;
    private Path socket;
    private InProcessCli jvs;
    private DaemonProcess daemon;
    private String lastCapture = "";

    @AfterEach
    void cleanUp() throws Exception
    {
        background.forEach(Process::destroyForcibly);
        if (daemon != null && daemon.isAlive())
        {
            for (final String sandbox : sandboxes)
            {
                jvs.run("sandbox", "rm", sandbox);
            }
            for (final String network : networks)
            {
                jvs.run("network", "rm", network);
            }
            daemon.stop();
        }
        SandboxLeftovers.remove(sandboxes);
        links.forEach(ContainerSim::deleteLink);
        ContainerSim.deleteLink(parent);
        ContainerSim.deleteLink(vanishing);
        ContainerSim.deleteNamespace(lan);
        TempDirs.deleteTree(dir);
    }

    @Test
    void sigkillThenRestartRebuildsTheMacvlanNetworkAndDropsTheOneWithoutItsParent() throws Exception
    {
        // The wire: parent (host, .1) <-> lanEnd in namespace lan (the LAN's host and router, .100).
        final String lanEnd = run + "l";
        final String lanSubnet = "172.28." + octet + ".0/24";
        final String lanHostIp = "172.28." + octet + ".100";
        ContainerSim.createNamespace(lan);
        Command.run("ip", "link", "add", parent, "type", "veth", "peer", "name", lanEnd, "netns", lan);
        Command.run("ip", "address", "add", "172.28." + octet + ".1/24", "dev", parent);
        Command.run("ip", "link", "set", parent, "up");
        Command.run("ip", "-n", lan, "address", "add", lanHostIp + "/24", "dev", lanEnd);
        Command.run("ip", "-n", lan, "link", "set", lanEnd, "up");
        // A second parent that vanishes while the daemon is down.
        Command.run("ip", "link", "add", vanishing, "type", "veth", "peer", "name", run + "r");
        Command.run("ip", "link", "set", vanishing, "up");
        Command.run("ip", "link", "set", run + "r", "up");

        dir = Files.createTempDirectory(run);
        socket = dir.resolve("jvs.sock");
        jvs = InProcessCli.socketBeforeCommand(socket);
        daemon = new DaemonProcess(dir, socket, dir.resolve("plugin.sock"));
        daemon.start();

        final String net = network("-d", "macvlan", "--subnet", lanSubnet, "--gateway", lanHostIp,
            "--ip-range", "172.28." + octet + ".32/28", "--aux-address", "printer=172.28." + octet + ".32",
            "-o", "parent=" + parent);
        final String doomed = network("-d", "macvlan", "--subnet", "172.27." + octet + ".0/24",
            "-o", "parent=" + vanishing);
        final String a = sandbox("a");
        final String c = sandbox("c");
        jvs.ok("network", "connect", net, a);
        jvs.ok("network", "connect", doomed, c);
        final String addressA = address(net, a);
        assertEquals("172.28." + octet + ".33", addressA, "--ip-range and --aux-address");
        final String doomedVeth = json.readTree(jvs.ok("network", "inspect", doomed).out()).path(0).path("Containers")
            .path(c).path("HostInterface").asText();
        links.add(doomedVeth);
        assertTrue(ContainerSim.ping(a, lanHostIp, 2), "a -> LAN host before the kill");
        assertTrue(hostPing(addressA), "host -> a through the host port before the kill");
        final String hostEnd = routeDevice(addressA);
        links.add(hostEnd);
        assertNotEquals(parent, hostEnd, "the host reaches a through the host port, not the parent");
        final String lanHostMac = Command.run("ip", "netns", "exec", lan, "cat", "/sys/class/net/" + lanEnd + "/address")
            .strip();
        assertEquals(Set.of(lanHostMac), arpAnswers(a, lanHostIp),
            () -> "only the LAN host answers for its address: " + lastCapture);
        final String before = inspect(net);

        final Path log = dir.resolve("ping.log");
        background.add(new ProcessBuilder("ip", "netns", "exec", a, "ping", "-i", "0.1", "-w", "60", "-W", "1",
            lanHostIp).redirectErrorStream(true).redirectOutput(log.toFile()).start());
        Wait.until(() -> PingLogs.replies(log) > 0, Duration.ofSeconds(10), "background ping runs");

        daemon.kill();
        assertTrue(Files.exists(Path.of("/sys/class/net", hostEnd)), "the killed daemon's host port is left");
        Command.run("ip", "link", "delete", vanishing);

        daemon.start();
        final int atRestart = PingLogs.replies(log);
        Wait.until(() -> PingLogs.replies(log) > atRestart + 3, Duration.ofSeconds(20), "a reaches the LAN after the restart");
        assertEquals(before, inspect(net), "options, --ip-range, --aux-address and the endpoint after the restart");
        assertEquals(hostEnd, routeDevice(addressA), "the host port is made again under its name, routes included");
        assertTrue(hostPing(addressA), "host -> a after the restart");
        // The LAN's router is the gateway: the switch's router must not answer for it too.
        assertEquals(Set.of(lanHostMac), arpAnswers(a, lanHostIp),
            () -> "only the LAN host answers for the gateway: " + lastCapture);

        Wait.until(() -> daemon.log().contains("dropped"), Duration.ofSeconds(10), "the restore report");
        final String report = daemon.log();
        assertTrue(report.contains("macvlan network " + doomed + " (options {parent=" + vanishing + "}) cannot " +
            "be rebuilt: parent interface " + vanishing + " does not exist; its endpoints are gone too: " + c), report);
        assertEquals(1, jvs.run("network", "inspect", doomed).exit(), "the network without its parent is gone");
        assertFalse(Files.exists(Path.of("/sys/class/net", doomedVeth)), "and its endpoint's veth");
        networks.remove(doomed);

        // The journaled range and auxiliary address still hold: the next address is .34.
        final String b = sandbox("b");
        jvs.ok("network", "connect", net, b);
        assertEquals("172.28." + octet + ".34", address(net, b));

        // A clean stop removes the host port; the next start makes it again.
        assertTrue(daemon.stop(), "SIGTERM stops the daemon");
        assertFalse(Files.exists(Path.of("/sys/class/net", hostEnd)), "a clean stop removes the host port");
        daemon.start();
        Wait.until(() -> ContainerSim.ping(a, lanHostIp, 1) && ContainerSim.ping(b, lanHostIp, 1),
            Duration.ofSeconds(20), "a and b reach the LAN after a clean restart");
        assertTrue(hostPing(address(net, b)), "host -> b after a clean restart");
    }

    // --------------------------------------------------------------------------------------------------- helpers

    private String network(final String... options)
    {
        final String name = run + "n" + networks.size();
        final List<String> args = new ArrayList<>(List.of("network", "create"));
        args.addAll(List.of(options));
        args.add(name);
        networks.add(name);
        jvs.ok(args.toArray(new String[0]));
        return name;
    }

    private String sandbox(final String suffix)
    {
        final String name = run + suffix;
        sandboxes.add(name);
        jvs.ok("sandbox", "create", name);
        return name;
    }

    private String address(final String network, final String sandbox) throws Exception
    {
        return json.readTree(jvs.ok("network", "inspect", network).out()).path(0).path("Containers").path(sandbox)
            .path("IPv4Address").asText().split("/")[0];
    }

    /** The network as inspect shows it, without the switch's port numbers (new after every start). */
    private String inspect(final String network) throws Exception
    {
        final JsonNode node = json.readTree(jvs.ok("network", "inspect", network).out()).path(0);
        node.path("Containers").forEach(e -> ((ObjectNode)e).remove("PortId"));
        return node.toString();
    }

    /**
     * The MACs that answer a sandbox's ARP for {@code address}: tcpdump on its eth0, its neighbour cache flushed,
     * one ping.
     */
    private Set<String> arpAnswers(final String sandbox, final String address) throws Exception
    {
        final Path out = Files.createTempFile(dir, "arp", ".txt");
        final Process dump = new ProcessBuilder("ip", "netns", "exec", sandbox, "tcpdump", "-i", "eth0", "-e", "-nn",
            "-t", "-l", "-U", "arp").redirectErrorStream(true).redirectOutput(out.toFile()).start();
        background.add(dump);
        Wait.until(() -> Files.readString(out).contains("listening on"), Duration.ofSeconds(5), "tcpdump starts");
        // flushed only now: another ping in the sandbox would otherwise resolve it before the capture starts
        Command.run("ip", "-n", sandbox, "neigh", "flush", "all");
        ContainerSim.ping(sandbox, address, 1);
        // A second exchange as the marker: once its request and an answer are in the capture, a slower second
        // answer to the first request had a full round trip more to show up.
        Command.run("ip", "-n", sandbox, "neigh", "flush", "all");
        ContainerSim.ping(sandbox, address, 1);
        final Pattern request = Pattern.compile("Request who-has " + Pattern.quote(address) + " ");
        final Pattern reply = Pattern.compile("Reply " + Pattern.quote(address) + " is-at ");
        Wait.until(() -> count(request, Files.readString(out)) >= 2 && count(reply, Files.readString(out)) >= 2,
            Duration.ofSeconds(10), "both ARP exchanges for " + address + " captured");
        dump.destroy();
        dump.waitFor(5, TimeUnit.SECONDS);
        lastCapture = Files.readString(out);
        final Matcher m = Pattern.compile("Reply " + Pattern.quote(address) + " is-at ([0-9a-f:]{17})")
            .matcher(lastCapture);
        final Set<String> macs = new TreeSet<>();
        while (m.find())
        {
            macs.add(m.group(1));
        }
        return macs;
    }

    private static int count(final Pattern pattern, final String text)
    {
        return (int)pattern.matcher(text).results().count();
    }

    private static boolean hostPing(final String address)
    {
        return Command.exec(EXEC_TIMEOUT, "ping", "-c", "2", "-i", "0.2", "-W", "1", address).ok();
    }

    private static String routeDevice(final String address)
    {
        final Matcher m = ROUTE_DEV.matcher(Command.run("ip", "-4", "route", "get", address));
        assertTrue(m.find(), "a route to " + address);
        return m.group(1);
    }
}
