package io.jvs.control.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvs.control.docker.ContainerSim;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.SandboxLeftovers;
import io.jvs.control.testing.TempDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A single daemon without etcd keeps its overlay cluster store in its state directory: an overlay network with two
 * sandboxes survives a SIGKILL and a restart on the same directory (same id, VNI, addresses, MACs and veths, the
 * sandboxes ping each other), and a clean stop and start as well. Before the store was durable, the restarted daemon
 * found no overlay network in its (empty, in-memory) store and dropped the network with its endpoints.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OverlayRestartTest
{
    private final String run = "jw" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final ObjectMapper json = new ObjectMapper();
    private final List<String> sandboxes = new ArrayList<>();
    private Path dir;
    private InProcessCli jvs;
    private DaemonProcess daemon;

    @AfterEach
    void cleanUp() throws Exception
    {
        if (daemon != null && daemon.isAlive())
        {
            for (final String sandbox : sandboxes)
            {
                jvs.run("sandbox", "rm", sandbox);
            }
            daemon.stop();
        }
        SandboxLeftovers.remove(sandboxes);
        if (dir != null)
        {
            TempDirs.deleteTree(dir);
        }
    }

    @Test
    void overlayNetworkAndEndpointsSurviveSigkillAndRestartWithoutEtcd() throws Exception
    {
        dir = Files.createTempDirectory(run);
        final Path socket = dir.resolve("jvs.sock");
        jvs = InProcessCli.socketBeforeCommand(socket);
        daemon = new DaemonProcess(dir, socket, null);
        daemon.start();

        final String net = run + "ov";
        jvs.ok("network", "create", "-d", "overlay", "--subnet", "10.248.0.0/24", net);
        final String a = sandbox("a");
        final String b = sandbox("b");
        jvs.ok("network", "connect", net, a);
        jvs.ok("network", "connect", net, b);
        final String addressB = ip(net, b);
        assertTrue(ContainerSim.ping(a, addressB, 2), "a -> b before the kill");
        final String before = inspect(net);
        assertTrue(before.contains("\"vni\":\"4096\""), before);

        daemon.kill();
        daemon.start();
        assertTrue(daemon.log().matches("(?s).*restored from .*: \\d+ networks, 2 endpoints re-attached, 0 without " +
            "their veth\n.*"), daemon.log());
        assertFalse(daemon.log().contains("dropped"), daemon.log());
        assertEquals(before, inspect(net), "network inspect after SIGKILL and restart");
        assertTrue(ContainerSim.ping(a, addressB, 2), "a -> b after the restart");
        assertTrue(ContainerSim.ping(b, ip(net, a), 2), "b -> a after the restart");

        // a new sandbox gets an address nobody holds
        final String c = sandbox("c");
        jvs.ok("network", "connect", net, c);
        assertFalse(List.of(ip(net, a), addressB).contains(ip(net, c)), ip(net, c) + " handed out twice");
        jvs.ok("network", "disconnect", net, c);

        // a clean stop revokes the lease (its endpoint keys go), the next start claims the same addresses again
        assertTrue(daemon.stop(), "SIGTERM stops the daemon");
        daemon.start();
        assertEquals(before, inspect(net), "network inspect after a clean restart");
        assertTrue(ContainerSim.ping(a, addressB, 2), "a -> b after the clean restart");
        jvs.ok("network", "connect", net, c);
        assertFalse(List.of(ip(net, a), addressB).contains(ip(net, c)), ip(net, c) + " handed out twice");
    }

    private String sandbox(final String suffix)
    {
        final String name = run + suffix;
        sandboxes.add(name);
        jvs.ok("sandbox", "create", name);
        return name;
    }

    /** The network as inspect shows it, without the switch's port numbers (new ones after a restart). */
    private String inspect(final String net) throws Exception
    {
        final JsonNode network = json.readTree(jvs.ok("network", "inspect", net).out()).get(0);
        network.path("Containers").forEach(e -> ((ObjectNode)e).remove("PortId"));
        return network.toString();
    }

    private String ip(final String network, final String sandbox) throws Exception
    {
        return json.readTree(jvs.ok("network", "inspect", network).out()).get(0).path("Containers").path(sandbox)
            .path("IPv4Address").asText().split("/")[0];
    }
}
