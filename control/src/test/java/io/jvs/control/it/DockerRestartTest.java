package io.jvs.control.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.TempDirs;
import io.jvs.control.testing.Wait;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Restarts on a host where jvs is Docker's network driver, as systemd does them: dockerd restarted while jvs runs
 * (Docker stops the containers, starts them again by their restart policy and re-joins them to the jvs network), and
 * jvs restarted cleanly while dockerd runs. Either way the network, its containers' names and traffic work after, and
 * jvs holds exactly the endpoints of the running containers (none leaked from before the restart). A real dockerd
 * (docker.io, busybox-static); names start with "pkg" and 4 hex digits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DockerRestartTest
{
    /** busybox sh as PID 1 ignores SIGTERM unless trapped: without this each container waits out Docker's 10 s. */
    private static final String SLEEPER = "trap 'exit 0' TERM; sleep 600 & wait";

    private final String run = "pkg" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final String image = run + "-img:latest";
    private final String net = run + "-net";
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
        docker.ok("network", "create", "-d", run, "--ipam-driver", run, net);
        for (final String name : List.of("a", "b"))
        {
            docker.ok("run", "-d", "--restart", "always", "--name", run + name, "--network", net, image,
                "sh", "-c", SLEEPER);
        }
        assertTalking();
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
    void dockerdRestartedWhileJvsRunsBringsItsContainersBackOnTheJvsNetwork() throws Exception
    {
        final String networkId = networkId();
        final long jvsPid = jvs.pid();
        docker = docker.restart();
        Wait.until(() -> running().equals(List.of("/" + run + "a", "/" + run + "b")), Duration.ofSeconds(60),
            "both containers running again after dockerd's restart");
        assertEquals(networkId, networkId(), "the same jvs network, not a new one");
        assertEquals(jvsPid, jvs.pid(), "jvs kept running");
        assertTalking();
        assertEndpointsAreTheRunningContainers();
    }

    @Test
    @Order(2)
    void jvsRestartedWhileDockerdRunsKeepsTheContainersTalking() throws Exception
    {
        final String before = docker.ok("network", "inspect", net);
        assertTrue(jvs.stop(), "jvs stopped cleanly on SIGTERM");
        jvs.start();
        assertEquals(before, docker.ok("network", "inspect", net), "Docker re-created nothing");
        assertTalking();
        assertEndpointsAreTheRunningContainers();
        // And Docker still drives jvs: a new container joins and is reached by name.
        docker.ok("run", "-d", "--name", run + "c", "--network", net, image, "sh", "-c", SLEEPER);
        final String ping = docker.ok("exec", run + "a", "ping", "-c", "2", "-W", "2", run + "c");
        assertTrue(ping.contains("2 packets received"), ping);
        assertEndpointsAreTheRunningContainers();
    }

    /** a and b reach each other by name both ways (Docker's DNS, jvs's switch). */
    private void assertTalking() throws Exception
    {
        final String ab = docker.ok("exec", run + "a", "ping", "-c", "2", "-W", "2", run + "b");
        assertTrue(ab.contains("2 packets received"), ab);
        final String ba = docker.ok("exec", run + "b", "ping", "-c", "2", "-W", "2", run + "a");
        assertTrue(ba.contains("2 packets received"), ba);
    }

    /** jvs's endpoints on the network are the running containers' interfaces: same count, same addresses. */
    private void assertEndpointsAreTheRunningContainers() throws Exception
    {
        // Lists, not sets: a leaked endpoint may hold the address a new one was given again.
        final List<String> dockers = new ArrayList<>();
        json.readTree(docker.ok("network", "inspect", net)).get(0).path("Containers")
            .forEach(c -> dockers.add(c.path("IPv4Address").asText()));
        final List<String> jvsEndpoints = new ArrayList<>();
        final JsonNode mine = json.readTree(InProcessCli.socketBeforeCommand(jvs.socket())
            .ok("network", "inspect", networkId()).out()).get(0);
        mine.path("Containers").forEach(c -> jvsEndpoints.add(c.path("IPv4Address").asText()));
        dockers.sort(null);
        jvsEndpoints.sort(null);
        assertEquals(running().size(), dockers.size(), "Docker lists the running containers: " + dockers);
        assertEquals(dockers, jvsEndpoints, "jvs has the running containers' endpoints and no others: " + mine);
    }

    private String networkId() throws Exception
    {
        return docker.ok("network", "inspect", "--format", "{{.Id}}", net).strip();
    }

    private List<String> running() throws Exception
    {
        return docker.ok("ps", "--format", "{{.Names}}").lines().map(n -> "/" + n.strip()).sorted().toList();
    }
}
