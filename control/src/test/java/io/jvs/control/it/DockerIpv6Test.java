package io.jvs.control.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.TempDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dual-stack Docker network on jvs through a real dockerd: {@code --ipv6} with an IPv4 and an IPv6 {@code --subnet}
 * through jvs's IPAM plugin (RequestPool with V6) and network driver (IPv6Data, AddressIPv6, GatewayIPv6), two
 * containers pinging each other over IPv6 by address and by name (Docker's DNS), and a network whose IPv6 /64 comes
 * from jvs's pool. Needs docker.io and busybox-static; fails (does not skip) without them.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class DockerIpv6Test
{
    private final String run = "v6c" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final String ula = "fd00:" + Integer.toHexString(Integer.parseInt(run.substring(3), 16)) + ":d";
    private final String image = run + "-img:latest";
    private final ObjectMapper json = new ObjectMapper();
    private Path dir;
    private DockerEngine docker;
    private DaemonProcess jvs;

    @AfterEach
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
            if (dir != null)
            {
                TempDirs.deleteTree(dir);
            }
        }
    }

    @Test
    void dualStackContainersPingOverIpv6ByAddressAndName() throws Exception
    {
        dir = Files.createTempDirectory(run + "-");
        jvs = new DaemonProcess(dir, dir.resolve("jvs.sock"), DockerEngine.PLUGIN_DIR.resolve(run + ".sock"));
        jvs.start();
        docker = DockerEngine.start(dir);
        docker.buildImage(image);

        final String net = run + "-ds";
        docker.ok("network", "create", "-d", run, "--ipam-driver", run, "--ipv6", "--subnet", "10.198.9.0/24",
            "--subnet", ula + "::/64", "--ip-range", "10.198.9.64/26", "--ip-range", ula + "::100/120", net);
        final JsonNode inspect = json.readTree(docker.ok("network", "inspect", net)).get(0);
        assertTrue(inspect.path("EnableIPv6").asBoolean(), inspect.toString());
        assertTrue(inspect.path("IPAM").path("Config").toString().contains(ula + "::/64"), inspect.toString());
        final JsonNode mine = json.readTree(InProcessCli.socketBeforeCommand(jvs.socket())
            .ok("network", "inspect", inspect.path("Id").asText()).out()).get(0);
        assertTrue(mine.path("EnableIPv6").asBoolean(), "jvs's network is dual-stack: " + mine);
        assertEquals(ula + "::100", mine.path("IPAM").path("Config").path(1).path("Gateway").asText(),
            "the first address of the IPv6 --ip-range, as Docker's IPAM hands it out");

        for (final String name : new String[]{"a", "b"})
        {
            docker.ok("run", "-d", "--name", run + name, "--network", net, image, "sleep", "300");
        }
        final String addressB = ipv6Of(run + "b", net);
        assertTrue(addressB.startsWith(ula + "::1"), "from the IPv6 --ip-range: " + addressB);
        final String ipv4B = docker.ok("inspect", "-f", "{{(index .NetworkSettings.Networks \"" + net +
            "\").IPAddress}}", run + "b").strip();
        final int lastByte = Integer.parseInt(ipv4B.substring(ipv4B.lastIndexOf('.') + 1));
        assertTrue(ipv4B.startsWith("10.198.9.") && lastByte >= 64 && lastByte < 128, "from the IPv4 --ip-range: " +
            ipv4B);
        assertFalse(addressB.equals(ipv6Of(run + "a", net)));
        final String routes = docker.ok("exec", run + "a", "ip", "-6", "route");
        assertTrue(routes.contains("default via " + ula + "::100"), "GatewayIPv6 from Join (the range's first " +
            "address, as Docker's IPAM gives it): " + routes);

        final String byAddress = docker.ok("exec", run + "a", "ping", "-6", "-c", "3", "-W", "2", addressB);
        assertTrue(byAddress.contains("3 packets received"), byAddress);
        final String back = docker.ok("exec", run + "b", "ping", "-6", "-c", "3", "-W", "2", ipv6Of(run + "a", net));
        assertTrue(back.contains("3 packets received"), back);
        final String byName = docker.ok("exec", run + "a", "ping", "-6", "-c", "3", "-W", "2", run + "b");
        assertTrue(byName.contains("3 packets received") && byName.contains(addressB), byName);

        // --ipv6 without an IPv6 subnet: a /64 of jvs's IPv6 pool
        final String auto = run + "-auto";
        docker.ok("network", "create", "-d", run, "--ipam-driver", run, "--ipv6", auto);
        final String config = json.readTree(docker.ok("network", "inspect", auto)).get(0).path("IPAM").toString();
        assertTrue(config.contains("fd4a:7c5e:91b3:"), config);

        for (final String name : new String[]{"a", "b"})
        {
            docker.ok("rm", "-f", run + name);
        }
        docker.ok("network", "rm", net, auto);
        assertFalse(InProcessCli.socketBeforeCommand(jvs.socket()).ok("network", "ls").out().contains("jvs(docker)"),
            "gone from jvs too");
    }

    private String ipv6Of(final String container, final String network) throws Exception
    {
        return docker.ok("inspect", "-f", "{{(index .NetworkSettings.Networks \"" + network + "\").GlobalIPv6Address}}",
            container).strip();
    }
}
