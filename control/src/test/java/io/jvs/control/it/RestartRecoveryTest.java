package io.jvs.control.it;

import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.PingLogs;
import io.jvs.control.testing.SandboxLeftovers;
import io.jvs.control.testing.TempDirs;
import io.jvs.control.testing.Wait;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvs.control.docker.ContainerSim;
import io.jvs.control.docker.PluginClient;
import io.jvs.control.netns.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
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
 * The daemon runs in a child JVM ({@code java -cp <test class path> io.jvs.control.cli.Main daemon ...}) and is
 * killed with SIGKILL while two pairs ping each other: two jvs sandboxes (CLI) and two namespaces plugged the way
 * Docker plugs containers (plugin API). Started again on the same state directory, it must rebuild both networks
 * and every port, traffic must resume with nobody re-creating anything, the state must read back identical, and
 * no address may be handed out twice.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RestartRecoveryTest
{
    /** Requests in a row a background ping must see unanswered to show the switch is down (10 per second). */
    private static final int UNANSWERED_WHILE_DOWN = 10;

    private final String run = "jk" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final SecureRandom random = new SecureRandom();
    private final ObjectMapper json = new ObjectMapper();
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> background = new ArrayList<>();
    private final List<String> sandboxes = new ArrayList<>();
    private final List<String> links = new ArrayList<>();
    private Path dir;
    private Path socket;
    private InProcessCli jvs;
    private Path pluginSocket;
    private DaemonProcess daemon;

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
            daemon.stop();
        }
        SandboxLeftovers.remove(sandboxes);
        namespaces.forEach(ContainerSim::deleteNamespace);
        links.forEach(ContainerSim::deleteLink);
        if (dir != null)
        {
            TempDirs.deleteTree(dir);
        }
    }

    @Test
    void sigkillUnderTrafficThenRestartResumesWithIdenticalState() throws Exception
    {
        dir = Files.createTempDirectory(run);
        socket = dir.resolve("jvs.sock");
        jvs = InProcessCli.socketBeforeCommand(socket);
        pluginSocket = dir.resolve("plugin.sock");
        daemon = new DaemonProcess(dir, socket, pluginSocket);
        daemon.start();

        // jvs sandboxes through the CLI
        final String net = run + "n";
        jvs.ok("network", "create", net);
        final String a = sandbox("a");
        final String b = sandbox("b");
        jvs.ok("network", "connect", net, a);
        jvs.ok("network", "connect", net, b);
        final String addressB = ip(net, b);

        // "containers" through the Docker plugin API
        final PluginClient docker = new PluginClient(pluginSocket);
        final JsonNode pool = docker.ok("IpamDriver.RequestPool", body("AddressSpace", "jvs-local", "Pool", ""));
        final String poolId = pool.path("PoolID").asText();
        final String subnet = pool.path("Pool").asText();
        final String gateway = address(docker, poolId, "com.docker.network.gateway");
        final String dockerNet = newId();
        final ObjectNode create = json.createObjectNode().put("NetworkID", dockerNet);
        create.putObject("Options").putObject("com.docker.network.generic");
        create.putArray("IPv4Data").addObject().put("Pool", subnet).put("Gateway", gateway);
        docker.ok("NetworkDriver.CreateNetwork", create.toString());
        final String c = container(docker, dockerNet, poolId, gateway, "c");
        final String d = container(docker, dockerNet, poolId, gateway, "d");
        final String addressD = Command.run("ip", "-n", d, "-4", "-o", "address", "show", "eth0").split("\\s+")[3]
            .split("/")[0];

        final String before = state(dockerNet);
        final List<String> hostEnds = hostInterfaces(net, dockerNet);
        assertTrue(ContainerSim.ping(a, addressB, 2) && ContainerSim.ping(c, addressD, 2), "traffic before the kill");

        final Path pingAB = dir.resolve("ab.log");
        final Path pingCD = dir.resolve("cd.log");
        background.add(pingInBackground(a, addressB, pingAB));
        background.add(pingInBackground(c, addressD, pingCD));
        Wait.until(() -> PingLogs.replies(pingAB) >= 3 && PingLogs.replies(pingCD) >= 3, Duration.ofSeconds(10),
            "background pings run");

        daemon.kill();
        // No switch, no traffic: ping -O logs each request still unanswered when it sends the next one, so a run of
        // them after the last reply shows ping kept sending (the probe could have seen an answer) and none came.
        Wait.until(() -> PingLogs.unansweredSinceLastReply(pingAB).size() >= UNANSWERED_WHILE_DOWN &&
            PingLogs.unansweredSinceLastReply(pingCD).size() >= UNANSWERED_WHILE_DOWN, Duration.ofSeconds(20),
            UNANSWERED_WHILE_DOWN + " requests in a row unanswered on both pairs while the daemon is down");
        final List<Integer> downAB = PingLogs.unansweredSinceLastReply(pingAB);
        final List<Integer> downCD = PingLogs.unansweredSinceLastReply(pingCD);
        for (final String link : hostEnds)
        {
            assertTrue(Files.exists(Path.of("/sys/class/net", link)), "host end " + link + " survives the kill");
        }

        daemon.start();
        final long restarted = System.nanoTime();
        final int atRestartAB = PingLogs.replies(pingAB);
        final int atRestartCD = PingLogs.replies(pingCD);
        Wait.until(() -> PingLogs.replies(pingAB) > atRestartAB + 3 && PingLogs.replies(pingCD) > atRestartCD + 3,
            Duration.ofSeconds(20), "traffic resumes after the restart");
        System.out.printf("traffic resumed %d ms after the restarted daemon answered%n",
            (System.nanoTime() - restarted) / 1_000_000);
        // the requests sent while the daemon was down stay unanswered for good (no late delivery of queued frames)
        assertNoReplyTo(downAB, pingAB);
        assertNoReplyTo(downCD, pingCD);

        assertEquals(before, state(dockerNet), "state after restart");
        assertEquals(hostEnds, hostInterfaces(net, dockerNet), "the same veths, re-attached");

        // no address twice: a new sandbox and a new Docker address both get fresh ones
        final String e = sandbox("e");
        jvs.ok("network", "connect", net, e);
        final List<String> used = List.of(ip(net, a), ip(net, b));
        assertFalse(used.contains(ip(net, e)), ip(net, e) + " handed out twice");
        final String next = address(docker, poolId, null);
        assertFalse(List.of(gateway, addressD + "/" + subnet.split("/")[1],
            json.readTree(jvs.ok("network", "inspect", dockerNet).out()).get(0).path("Containers").toString())
            .stream().anyMatch(s -> s.contains(next.split("/")[0] + "/")), next + " handed out twice");
        final PluginClient.Reply taken = docker.call("NetworkDriver.CreateEndpoint", endpointBody(dockerNet, newId(),
            addressD + "/" + subnet.split("/")[1]));
        assertEquals("address " + addressD + " is already in use", taken.err());
        docker.ok("IpamDriver.ReleaseAddress", body("PoolID", poolId, "Address", next.split("/")[0]));

        // and a clean stop keeps everything too
        assertTrue(daemon.stop(), "SIGTERM stops the daemon");
        daemon.start();
        assertEquals(before, stateWithout(e, dockerNet), "state after a clean restart");
        assertTrue(ContainerSim.ping(a, addressB, 2) && ContainerSim.ping(c, addressD, 2), "traffic after it");
    }

    // --------------------------------------------------------------------------------------------------- helpers

    private static void assertNoReplyTo(final List<Integer> unanswered, final Path log)
    {
        final List<Integer> replied = PingLogs.replySequences(log);
        assertTrue(replied.stream().noneMatch(unanswered::contains), "requests sent while the daemon was down " +
            unanswered + " got no reply; replies: " + replied);
    }

    private String sandbox(final String suffix)
    {
        final String name = run + suffix;
        sandboxes.add(name);
        jvs.ok("sandbox", "create", name);
        return name;
    }

    /** A namespace plugged into the Docker network the way Docker does it. */
    private String container(final PluginClient docker, final String network, final String poolId,
        final String gateway, final String suffix) throws Exception
    {
        final String address = address(docker, poolId, null);
        final String endpoint = newId();
        docker.ok("NetworkDriver.CreateEndpoint", endpointBody(network, endpoint, address));
        final String namespace = run + suffix;
        namespaces.add(namespace);
        ContainerSim.createNamespace(namespace);
        final JsonNode join = docker.ok("NetworkDriver.Join",
            body("NetworkID", network, "EndpointID", endpoint, "SandboxKey", "/run/netns/" + namespace));
        final String src = join.path("InterfaceName").path("SrcName").asText();
        links.add(src.substring(0, src.length() - 1));
        ContainerSim.plug(src, namespace, address, join.path("Gateway").asText().split("/")[0]);
        return namespace;
    }

    private String address(final PluginClient docker, final String poolId, final String type) throws Exception
    {
        final ObjectNode request = json.createObjectNode().put("PoolID", poolId).put("Address", "");
        if (type != null)
        {
            request.putObject("Options").put("RequestAddressType", type);
        }
        return docker.ok("IpamDriver.RequestAddress", request.toString()).path("Address").asText();
    }

    private String endpointBody(final String network, final String endpoint, final String address)
    {
        final ObjectNode body = json.createObjectNode().put("NetworkID", network).put("EndpointID", endpoint);
        body.putObject("Interface").put("Address", address).put("MacAddress", "");
        return body.toString();
    }

    /** Networks, sandboxes and endpoints as the API shows them, without the switch's port numbers. */
    private String state(final String dockerNet) throws Exception
    {
        final StringBuilder out = new StringBuilder();
        for (final JsonNode network : json.readTree(jvs.ok("network", "inspect", run + "n", dockerNet).out()))
        {
            for (final JsonNode endpoint : network.path("Containers"))
            {
                ((ObjectNode)endpoint).remove("PortId");
            }
            out.append(network).append('\n');
        }
        out.append(jvs.ok("sandbox", "ls").out());
        return out.toString();
    }

    private String stateWithout(final String sandbox, final String dockerNet) throws Exception
    {
        jvs.ok("sandbox", "rm", sandbox);
        sandboxes.remove(sandbox);
        return state(dockerNet);
    }

    private List<String> hostInterfaces(final String... networks) throws Exception
    {
        final List<String> links = new ArrayList<>();
        for (final JsonNode network : json.readTree(jvs.ok("network", "inspect", networks[0], networks[1]).out()))
        {
            network.path("Containers").forEach(e -> links.add(e.path("HostInterface").asText()));
        }
        return links;
    }

    private String ip(final String network, final String sandbox) throws Exception
    {
        final JsonNode containers = json.readTree(jvs.ok("network", "inspect", network).out()).get(0).path("Containers");
        return containers.path(sandbox).path("IPv4Address").asText().split("/")[0];
    }

    private Process pingInBackground(final String namespace, final String address, final Path log) throws IOException
    {
        return new ProcessBuilder("ip", "netns", "exec", namespace, "ping", "-O", "-i", "0.1", "-w", "60", "-W", "1",
            address).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private String newId()
    {
        final byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private String body(final String... pairs)
    {
        final ObjectNode node = json.createObjectNode();
        for (int i = 0; i < pairs.length; i += 2)
        {
            node.put(pairs[i], pairs[i + 1]);
        }
        return node.toString();
    }
}
