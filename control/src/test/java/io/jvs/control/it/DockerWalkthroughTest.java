package io.jvs.control.it;

import io.jvs.control.testing.TempDirs;
import io.jvs.control.testing.Wait;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.cli.Main;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Docker's networking walkthroughs through a real dockerd with jvs as its network driver and IPAM: create, ls,
 * inspect, run, ping and TCP by name, connect and disconnect live, isolation, rm refused while in use, MTU and
 * internal networks, bad options, a SIGKILLed jvs under traffic, prune. Needs docker.io and busybox-static
 * installed; fails (does not skip) without them.
 * <p>
 * jvs runs as a child process (so it can be SIGKILLed) serving the plugin at /run/docker/plugins/RUN.sock, so the
 * driver is named after the run prefix ("jk" + 4 hex digits); containers and networks too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class DockerWalkthroughTest
{
    private static final int PROBE_PORT = 7080;

    private final String run = "jk" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final String image = run + "-img:latest";
    private final String front = run + "-front";
    private final String back = run + "-back";
    private final ObjectMapper json = new ObjectMapper();
    private Path dir;
    private DockerEngine docker;
    private DaemonProcess jvs;

    @BeforeAll
    void start() throws Exception
    {
        dir = Files.createTempDirectory(run);
        jvs = new DaemonProcess(dir, dir.resolve("jvs.sock"), DockerEngine.PLUGIN_DIR.resolve(run + ".sock"));
        jvs.start();
        docker = DockerEngine.start(dir);
        docker.buildImage(image);
    }

    @AfterAll
    void stop() throws Exception
    {
        try
        {
            if (docker != null)
            {
                docker.close();
            }
        }
        finally
        {
            if (jvs != null)
            {
                jvs.stop();
            }
            Files.deleteIfExists(DockerEngine.PLUGIN_DIR.resolve(run + ".sock"));
            TempDirs.deleteTree(dir);
        }
    }

    @Test
    @Order(1)
    void createListInspect() throws Exception
    {
        assertTrue(docker.ok("network", "create", "-d", run, "--ipam-driver", run, front).strip()
            .matches("[0-9a-f]{64}"));
        docker.ok("network", "create", "-d", run, "--ipam-driver", run, "--internal",
            "-o", "com.docker.network.driver.mtu=1400", back);
        final String ls = docker.ok("network", "ls", "--format", "{{.Name}} {{.Driver}}");
        assertTrue(ls.contains(front + " " + run) && ls.contains(back + " " + run), ls);
        assertFalse(ls.contains("docker_gwbridge"), ls);

        final JsonNode inspect = json.readTree(docker.ok("network", "inspect", front)).get(0);
        final String subnet = inspect.path("IPAM").path("Config").get(0).path("Subnet").asText();
        assertTrue(subnet.matches("10\\.231\\.\\d+\\.0/24"), inspect.toString());
        assertEquals(subnet.replace(".0/24", ".1"), inspect.path("IPAM").path("Config").get(0).path("Gateway").asText());

        final JsonNode mine = json.readTree(jvsCli("network", "inspect", inspect.path("Id").asText())).get(0);
        assertEquals("jvs(docker)", mine.path("Driver").asText(), "jvs shows Docker's network");
        assertEquals(subnet, mine.path("IPAM").path("Config").get(0).path("Subnet").asText());
    }

    @Test
    @Order(2)
    void containersTalkByNameOverOneInterface() throws Exception
    {
        for (final String name : List.of("a", "b"))
        {
            docker.ok("run", "-d", "--name", run + name, "--network", front, image, "sleep", "300");
        }
        final String links = docker.ok("exec", run + "a", "ip", "-o", "link");
        assertEquals(2, links.lines().count(), "lo and eth0, nothing from docker_gwbridge: " + links);
        assertTrue(docker.ok("exec", run + "a", "ip", "route").contains("default via"), "default route via jvs");
        assertFalse(docker.ok("network", "ls").contains("docker_gwbridge"));

        final String ping = docker.ok("exec", run + "a", "ping", "-c", "3", "-W", "2", run + "b");
        assertTrue(ping.contains("3 packets received"), ping);

        // TCP by name: busybox nc, a line there and back
        docker.ok("exec", "-d", run + "b", "sh", "-c", "nc -l -p 7000 > /tmp/got");
        waitUntilListening(run + "b", 7000);
        docker.ok("exec", run + "a", "sh", "-c", "echo hello-through-jvs | nc -w 2 " + run + "b 7000");
        assertEquals("hello-through-jvs", docker.ok("exec", run + "b", "cat", "/tmp/got").strip());

        if (docker.docker("exec", run + "b", "iperf3", "--version").ok())
        {
            docker.ok("exec", "-d", run + "b", "iperf3", "-s", "-1");
            waitUntilListening(run + "b", 5201);
            final JsonNode iperf = json.readTree(docker.ok("exec", run + "a", "iperf3", "-c", run + "b", "-t", "2", "-J"));
            final double bps = iperf.path("end").path("sum_received").path("bits_per_second").asDouble();
            System.out.printf("iperf3 between containers through jvs: %.2f Gbit/s%n", bps / 1e9);
            assertTrue(bps > 0, iperf.path("error").asText());
        }

        final JsonNode containers = json.readTree(docker.ok("network", "inspect", front)).get(0).path("Containers");
        assertEquals(2, containers.size());
        containers.forEach(c -> assertTrue(c.path("IPv4Address").asText().startsWith("10.231."), c.toString()));
    }

    /**
     * Two networks with gateways and default routes, probed by address (by name the lookup fails before a packet
     * is sent): ICMP and TCP (busybox nc, whose server names itself) reach a peer on the same network and not a container
     * on the other network, so a router that forwarded between networks fails here.
     */
    @Test
    @Order(3)
    void networksWithAWayOutAreIsolatedByAddress() throws Exception
    {
        final String side = run + "-side";
        final String e = run + "e";
        docker.ok("network", "create", "-d", run, "--ipam-driver", run, side);
        try
        {
            docker.ok("run", "-d", "--name", e, "--network", side, image, "sleep", "300");
            for (final String container : List.of(run + "a", e))
            {
                assertTrue(docker.ok("exec", container, "ip", "route").contains("default via"),
                    container + " has a way off its network");
            }
            final String addressB = address(run + "b", front);
            final String addressE = address(e, side);
            for (final String container : List.of(run + "b", e))
            {
                docker.ok("exec", container, "sh", "-c", "printf '#!/bin/sh\\necho reached-" + container +
                    "\\n' > /tmp/probe.sh && chmod +x /tmp/probe.sh");
                docker.ok("exec", "-d", container, "nc", "-ll", "-p", String.valueOf(PROBE_PORT), "-e",
                    "/tmp/probe.sh");
                waitUntilListening(container, PROBE_PORT);
            }
            assertTrue(docker.docker("exec", run + "a", "ping", "-c", "1", "-W", "2", addressB).ok(), "a -> b by IP");
            assertEquals("reached-" + run + "b", tcpProbe(run + "a", addressB), "a -> b TCP by IP");
            assertFalse(docker.docker("exec", run + "a", "ping", "-c", "2", "-W", "1", addressE).ok(),
                "a reached e across networks by IP");
            final String across = tcpProbe(run + "a", addressE);
            assertTrue(across.startsWith("failed: "), "a connected to e across networks by IP: " + across);
            assertFalse(docker.docker("exec", e, "ping", "-c", "2", "-W", "1", addressB).ok(),
                "e reached b across networks by IP");
            assertEquals("reached-" + e, tcpProbe(e, "127.0.0.1"), "e's server was up all along");
        }
        finally
        {
            docker.docker("rm", "-f", e);
            docker.docker("network", "rm", side);
        }
    }

    @Test
    @Order(3)
    void internalNetworkMtuIsolationAndLiveConnect() throws Exception
    {
        docker.ok("run", "-d", "--name", run + "c", "--network", back, image, "sleep", "300");
        assertTrue(docker.ok("exec", run + "c", "ip", "link", "show", "eth0").contains("mtu 1400"), "MTU honoured");
        assertFalse(docker.ok("exec", run + "c", "ip", "route").contains("default"), "internal: no default route");
        assertEquals(2, docker.ok("exec", run + "c", "ip", "-o", "link").lines().count());

        assertFalse(docker.docker("exec", run + "a", "ping", "-c", "1", "-W", "1", run + "c").ok(),
            "two jvs networks are isolated");
        docker.ok("network", "connect", back, run + "a");
        assertTrue(docker.ok("exec", run + "c", "ping", "-c", "2", "-W", "2", run + "a").contains("2 packets received"),
            "connected live");
        assertFalse(docker.docker("exec", run + "b", "ping", "-c", "1", "-W", "1", run + "c").ok(), "b still is not");

        final DockerEngine.Result busy = docker.docker("network", "rm", back);
        assertFalse(busy.ok());
        assertTrue(busy.err().contains("active endpoints"), busy.err());

        docker.ok("network", "disconnect", back, run + "a");
        assertFalse(docker.docker("exec", run + "c", "ping", "-c", "1", "-W", "1", run + "a").ok(), "disconnected");
        assertEquals(2, docker.ok("exec", run + "a", "ip", "-o", "link").lines().count(), "eth1 gone again");
    }

    @Test
    @Order(4)
    void badOptionsAreRefusedClearly() throws Exception
    {
        final String before = docker.ok("network", "ls");
        final DockerEngine.Result type = docker.docker("network", "create", "-d", run, "-o", "type=vxlan", run + "-x");
        assertFalse(type.ok());
        assertTrue(type.err().contains("unknown network type \"vxlan\""), type.err());
        final String subnet = json.readTree(docker.ok("network", "inspect", front)).get(0).path("IPAM").path("Config")
            .get(0).path("Subnet").asText();
        final DockerEngine.Result overlap = docker.docker("network", "create", "-d", run, "--ipam-driver", run,
            "--subnet", subnet, run + "-y");
        assertFalse(overlap.ok());
        assertTrue(overlap.err().contains("overlaps"), overlap.err());
        final DockerEngine.Result mtu = docker.docker("network", "create", "-d", run, "-o",
            "com.docker.network.driver.mtu=12", run + "-z");
        assertFalse(mtu.ok());
        assertTrue(mtu.err().contains("must be 68..65535"), mtu.err());
        assertEquals(before, docker.ok("network", "ls"), "refusals changed nothing");
    }

    @Test
    @Order(4)
    void dockersOwnIpamWorksToo() throws Exception
    {
        docker.ok("network", "create", "-d", run, run + "-def");
        final String address = docker.ok("run", "--rm", "--network", run + "-def", image, "ip", "-o", "-4", "addr",
            "show", "eth0");
        final String subnet = json.readTree(docker.ok("network", "inspect", run + "-def")).get(0).path("IPAM")
            .path("Config").get(0).path("Subnet").asText();
        assertTrue(address.contains(subnet.substring(0, subnet.indexOf(".0/")) + "."), address + " in " + subnet);
        docker.ok("network", "rm", run + "-def");
    }

    @Test
    @Order(5)
    void sigkilledJvsComesBackAndTrafficResumes() throws Exception
    {
        final String before = docker.ok("network", "inspect", front);
        docker.ok("exec", "-d", run + "a", "sh", "-c", "ping -i 0.2 -w 40 " + run + "b > /tmp/ping.log 2>&1");
        Wait.until(() -> replies() >= 3, Duration.ofSeconds(10), "ping a -> b running");
        jvs.kill();
        final int during = replies();
        jvs.start();
        Wait.until(() -> replies() >= during + 5, Duration.ofSeconds(15), "traffic resumed after the restart");
        // No switch, no traffic: the requests ping sent while jvs was down (a JVM start at least) got no reply.
        final List<Integer> seqs = new ArrayList<>();
        final Matcher seq = Pattern.compile("seq=(\\d+)").matcher(docker.ok("exec", run + "a", "cat", "/tmp/ping.log"));
        while (seq.find())
        {
            seqs.add(Integer.parseInt(seq.group(1)));
        }
        int gap = 0;
        for (int i = 1; i < seqs.size(); i++)
        {
            gap = Math.max(gap, seqs.get(i) - seqs.get(i - 1));
        }
        assertTrue(gap >= 5, "no replies while jvs was down, so the sequence jumps: " + seqs);
        assertEquals(before, docker.ok("network", "inspect", front), "Docker re-created nothing");
        assertTrue(docker.ok("exec", run + "b", "ping", "-c", "2", "-W", "2", run + "a").contains("2 packets received"));
        // a new container after the restart gets a fresh address
        docker.ok("run", "-d", "--name", run + "d", "--network", front, image, "sleep", "300");
        final JsonNode containers = json.readTree(docker.ok("network", "inspect", front)).get(0).path("Containers");
        final List<String> addresses = new ArrayList<>();
        containers.forEach(c -> addresses.add(c.path("IPv4Address").asText()));
        assertEquals(addresses.size(), addresses.stream().distinct().count(), "no address twice: " + addresses);
    }

    @Test
    @Order(6)
    void pruneRemovesWhatNobodyUses() throws Exception
    {
        docker.ok("rm", "-f", run + "a", run + "b", run + "c", run + "d");
        final String pruned = docker.ok("network", "prune", "-f");
        assertTrue(pruned.contains(front) && pruned.contains(back), pruned);
        assertFalse(jvsCli("network", "ls").contains("jvs(docker)"), "gone from jvs too");
        final String ls = docker.ok("network", "ls");
        assertFalse(ls.contains(run), ls);
    }

    private String address(final String container, final String network) throws Exception
    {
        return json.readTree(docker.ok("inspect", container)).get(0).path("NetworkSettings").path("Networks")
            .path(network).path("IPAddress").asText();
    }

    private void waitUntilListening(final String container, final int port) throws Exception
    {
        Wait.until(() -> docker.ok("exec", container, "netstat", "-ltn").contains(":" + port + " "),
            Duration.ofSeconds(10), container + " listening on " + port);
    }

    /** What {@code address}'s probe server says on connect, or "failed: " and nc's message (2 s to connect). */
    private String tcpProbe(final String container, final String address) throws Exception
    {
        final DockerEngine.Result got = docker.docker("exec", container, "sh", "-c", "nc -w 2 " + address + " " +
            PROBE_PORT + " < /dev/null");
        return got.ok() ? got.out().strip() : "failed: " + got.err().strip();
    }

    private int replies() throws Exception
    {
        return (int)docker.ok("exec", run + "a", "cat", "/tmp/ping.log").lines().filter(l -> l.contains("bytes from"))
            .count();
    }

    private String jvsCli(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final List<String> argv = new ArrayList<>(List.of("--socket", jvs.socket().toString()));
        argv.addAll(List.of(args));
        final int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), argv.toArray(new String[0]));
        assertEquals(0, exit, "jvs " + String.join(" ", args) + ": " + err);
        return out.toString();
    }
}
