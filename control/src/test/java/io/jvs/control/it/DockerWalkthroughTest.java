package io.jvs.control.it;

import io.jvs.control.testing.TempDirs;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
        Thread.sleep(300);
        docker.ok("exec", run + "a", "sh", "-c", "echo hello-through-jvs | nc -w 2 " + run + "b 7000");
        assertEquals("hello-through-jvs", docker.ok("exec", run + "b", "cat", "/tmp/got").strip());

        if (docker.docker("exec", run + "b", "iperf3", "--version").ok())
        {
            docker.ok("exec", "-d", run + "b", "iperf3", "-s", "-1");
            Thread.sleep(500);
            final JsonNode iperf = json.readTree(docker.ok("exec", run + "a", "iperf3", "-c", run + "b", "-t", "2", "-J"));
            final double bps = iperf.path("end").path("sum_received").path("bits_per_second").asDouble();
            System.out.printf("iperf3 between containers through jvs: %.2f Gbit/s%n", bps / 1e9);
            assertTrue(bps > 0, iperf.path("error").asText());
        }

        final JsonNode containers = json.readTree(docker.ok("network", "inspect", front)).get(0).path("Containers");
        assertEquals(2, containers.size());
        containers.forEach(c -> assertTrue(c.path("IPv4Address").asText().startsWith("10.231."), c.toString()));
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
        Thread.sleep(1_000);
        jvs.kill();
        Thread.sleep(1_000);
        final int during = replies();
        Thread.sleep(1_000);
        assertEquals(during, replies(), "no switch, no traffic");
        jvs.start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (replies() < during + 5 && System.nanoTime() < deadline)
        {
            Thread.sleep(200);
        }
        assertTrue(replies() >= during + 5, "traffic resumed after the restart: " + jvs.log());
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
