package io.jvs.control.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvs.control.daemon.Daemon;
import io.jvs.control.publish.HostPortChooser;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.control.netns.Command;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.testing.BackgroundProcesses;
import io.jvs.control.testing.OutsideWire;
import io.jvs.control.testing.TempDirs;
import io.jvs.control.testing.Wait;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.dataplane.nat.NatConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.ServerSocket;
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
 * {@code docker run -p} at the plugin protocol: ProgramExternalConnectivity's {@code com.docker.network.portmap}
 * publishes the ports, reachable from outside at the uplink address and from the host at 127.0.0.1 (the loopback
 * proxy); RevokeExternalConnectivity takes them away; a daemon restart publishes them again. Host port 0 gets a
 * port jvs chooses, which EndpointOperInfo reports and a restart keeps; HostIP narrows where a port is reached
 * (127.0.0.1: loopback only, the uplink address: DNAT only) and other addresses are refused.
 * <pre>
 *   daemon --uplink RUNu --uplink-address 10.219.0.2/24 --host-port RUNh --host-address 169.254.219.1/30
 *   outside namespace RUNo: 10.219.0.1/24 on the peer of RUNu
 *   Docker network on jvs IPAM, container namespace RUNc: echo server on 7000, published as HOSTPORT:7000
 * </pre>
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DockerPublishedPortsTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** How long a request is retried while the server or a restarted daemon comes up (10 tries of up to 3 s). */
    private static final Duration RETRY_FOR = Duration.ofSeconds(35);
    private static final String UPLINK_ADDRESS = "10.219.0.2";
    /** Answers each connection with "echo:" + what it read + " from " + the peer's address, then closes it. */
    private static final String ECHO_SERVER = String.join("\n",
        "import socket",
        "s = socket.socket()",
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
        "s.bind(('0.0.0.0', 7000))",
        "s.listen(8)",
        "s.settimeout(120)",
        "for _ in range(50):",
        "    c, a = s.accept()",
        "    c.settimeout(5)",
        "    d = c.recv(100)",
        "    c.sendall(b'echo:' + d + b' from ' + a[0].encode())",
        "    c.close()");
    private static final String UDP_ECHO_SERVER = String.join("\n",
        "import socket",
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        "s.bind(('0.0.0.0', 7000))",
        "s.settimeout(120)",
        "for _ in range(50):",
        "    d, a = s.recvfrom(100)",
        "    s.sendto(b'udp:' + d + b' from ' + a[0].encode(), a)");

    private final String run = "jk" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final SecureRandom random = new SecureRandom();
    private final ObjectMapper json = new ObjectMapper();
    private final int hostPort = 20000 + random.nextInt(10000);
    private final String container = run + "c";
    private final List<Process> background = new ArrayList<>();
    private Path dir;
    private Daemon daemon;
    private PluginClient docker;
    private String srcName;
    private ServerSocket held;

    @BeforeEach
    void start() throws Exception
    {
        final String outside = run + "o";
        OutsideWire.create(outside, run + "u", run + "p", "10.219.0.1/24");
        dir = Files.createTempDirectory(run);
        startDaemon();
    }

    @AfterEach
    void stop() throws Exception
    {
        BackgroundProcesses.destroyWithDescendants(background);
        if (held != null)
        {
            held.close();
        }
        try
        {
            if (daemon != null)
            {
                daemon.close();
            }
        }
        finally
        {
            OutsideWire.remove(run + "o", run + "u");
            ContainerSim.deleteNamespace(container);
            if (srcName != null)
            {
                ContainerSim.deleteLink(srcName); // when it never reached the namespace
            }
            TempDirs.deleteTree(dir);
        }
    }

    @Test
    void dockerRunPublishReachesTheContainerFromOutsideAndLocalhostAndSurvivesARestart() throws Exception
    {
        final Plugged c = plugContainer();
        final String networkId = c.networkId();
        final String endpointId = c.endpointId();

        // What Docker sends for -p HOSTPORT:7000 -p HOSTPORT:7000/udp: the IPv6 twin is left out.
        final ArrayNode ports = portmap(6, 7000, hostPort);
        ports.add(((ObjectNode)ports.get(0)).deepCopy().put("HostIP", "::"));
        ports.add(portmap(17, 7000, hostPort).get(0));
        final ObjectNode program = json.createObjectNode().put("NetworkID", networkId).put("EndpointID", endpointId);
        program.putObject("Options").set("com.docker.network.portmap", ports);
        docker.ok("NetworkDriver.ProgramExternalConnectivity", json.writeValueAsString(program));
        assertEquals(List.of(hostPort + ":7000/tcp", hostPort + ":7000/udp"), published());

        assertEquals("echo:out from 10.219.0.1", fromOutside("out"), "outside -> uplink address:HOSTPORT");
        assertEquals("echo:lo from 169.254.219.1", fromLocalhost("lo"), "host -> 127.0.0.1:HOSTPORT");
        // On 127.0.0.1 and, as docker-proxy listens on [::] too, on [::1] (this host has it).
        assertEquals(List.of("127.0.0.1:" + hostPort, "[::1]:" + hostPort), sorted(listening("-Hltn")),
            "TCP listeners on loopback");
        assertEquals(List.of("127.0.0.1:" + hostPort, "[::1]:" + hostPort), sorted(listening("-Hlun")),
            "UDP listeners on loopback");
        assertEquals("udp:lo from 169.254.219.1", fromLocalhostUdp("lo"), "host -> 127.0.0.1:HOSTPORT/udp");

        // A restart: the publications come back from the journal.
        daemon.close();
        daemon = null;
        startDaemon();
        assertTrue(daemon.restored().dropped().isEmpty(), daemon.restored().toString());
        assertEquals(List.of(hostPort + ":7000/tcp", hostPort + ":7000/udp"), published());
        assertEquals("echo:lo2 from 169.254.219.1", fromLocalhost("lo2"), "localhost, after the restart");
        // No ARP flush on the outside: the router's MACs derive from its addresses, so the outside client's cached
        // entry for the uplink is still right after the restart.
        assertEquals("echo:again from 10.219.0.1", fromOutside("again"), () -> "outside, after the restart: " +
            Command.exec(TIMEOUT, "ip", "netns", "exec", run + "o", "ip", "neigh").stdout() +
            Command.exec(TIMEOUT, "ip", "netns", "exec", container, "ip", "neigh").stdout() +
            daemon.service().natTable() + daemon.service().routerCounters());

        docker.ok("NetworkDriver.RevokeExternalConnectivity", body("NetworkID", networkId, "EndpointID", endpointId));
        assertEquals(List.of(), published());
        assertEquals(List.of(), listening("-Hltn"), "loopback listener closed on revoke");
        assertEquals(List.of(), listening("-Hlun"), "loopback UDP listener closed on revoke");
        assertFalse(Command.exec(TIMEOUT, "nc", "-z", "-w", "2", "127.0.0.1", Integer.toString(hostPort)).ok(),
            "localhost port closed on revoke");
        assertFalse(Command.exec(TIMEOUT, "ip", "netns", "exec", run + "o", "nc", "-z", "-w", "2", UPLINK_ADDRESS,
            Integer.toString(hostPort)).ok(), "uplink port revoked");

        // Refusals change nothing.
        final ObjectNode range = program.deepCopy();
        range.with("Options").set("com.docker.network.portmap", portmap(6, 7000, hostPort));
        ((ObjectNode)range.path("Options").path("com.docker.network.portmap").get(0)).put("HostPortEnd", hostPort + 5);
        assertTrue(docker.call("NetworkDriver.ProgramExternalConnectivity", json.writeValueAsString(range)).err()
            .contains("jvs publishes one host port per container port"));
        final ObjectNode sctp = program.deepCopy();
        sctp.with("Options").set("com.docker.network.portmap", portmap(132, 7000, hostPort));
        assertTrue(docker.call("NetworkDriver.ProgramExternalConnectivity", json.writeValueAsString(sctp)).err()
            .contains("protocol 132 is not supported"));
        assertEquals(List.of(), published());

        // Docker tears down: Leave, DeleteEndpoint, DeleteNetwork, ReleasePool.
        docker.ok("NetworkDriver.Leave", body("NetworkID", networkId, "EndpointID", endpointId));
        ContainerSim.unplug(container, srcName);
        docker.ok("NetworkDriver.DeleteEndpoint", body("NetworkID", networkId, "EndpointID", endpointId));
        docker.ok("NetworkDriver.DeleteNetwork", body("NetworkID", networkId));
        docker.ok("IpamDriver.ReleasePool", body("PoolID", c.poolId()));
    }

    @Test
    void hostPortZeroIsChosenReportedAndKeptAcrossARestartAndHostIpNarrowsWhereItIsReached() throws Exception
    {
        final Plugged c = plugContainer();
        // The lowest free port of the range, held outside jvs until the restart: a restart that chose again instead
        // of publishing the journaled choice would take it.
        held = holdLowestFreePort();
        // -p 7000 (with its "::" twin) -p 7000/udp -p 127.0.0.1::7000 -p UPLINK:HOSTPORT:7000
        final ArrayNode ports = portmap(6, 7000, 0);
        ports.add(((ObjectNode)ports.get(0)).deepCopy().put("HostIP", "::"));
        ports.add(portmap(17, 7000, 0).get(0));
        ports.add(((ObjectNode)portmap(6, 7000, 0).get(0)).put("HostIP", "127.0.0.1"));
        ports.add(((ObjectNode)portmap(6, 7000, hostPort).get(0)).put("HostIP", UPLINK_ADDRESS));
        final ObjectNode program = json.createObjectNode().put("NetworkID", c.networkId())
            .put("EndpointID", c.endpointId());
        program.putObject("Options").set("com.docker.network.portmap", ports);
        docker.ok("NetworkDriver.ProgramExternalConnectivity", json.writeValueAsString(program));

        final List<String> reported = reportedBindings(c);
        assertEquals(4, reported.size(), reported.toString());
        final int any = chosenPort(reported.get(0), "6 0.0.0.0:");
        final int udp = chosenPort(reported.get(1), "17 0.0.0.0:");
        final int loopback = chosenPort(reported.get(2), "6 127.0.0.1:");
        assertEquals("6 " + UPLINK_ADDRESS + ":" + hostPort + "-" + hostPort + " -> 7000", reported.get(3));
        assertTrue(any != loopback && any != held.getLocalPort() && loopback != held.getLocalPort(),
            reported + " with " + held.getLocalPort() + " held outside jvs");
        assertEquals(List.of(any + ":7000/tcp", udp + ":7000/udp", "127.0.0.1:" + loopback + ":7000/tcp",
            UPLINK_ADDRESS + ":" + hostPort + ":7000/tcp"), published(), "what jvs lists and journals");

        assertEquals("echo:out from 10.219.0.1", fromOutside("out", any), "0.0.0.0: the uplink address");
        assertEquals("echo:lo from 169.254.219.1", fromLocalhost("lo", any), "0.0.0.0: and 127.0.0.1");
        assertEquals("udp:lo from 169.254.219.1", fromLocalhostUdp("lo", udp), "0.0.0.0/udp: 127.0.0.1");
        assertEquals("echo:lo from 169.254.219.1", fromLocalhost("lo", loopback), "127.0.0.1: loopback");
        assertFalse(Command.exec(TIMEOUT, "ip", "netns", "exec", run + "o", "nc", "-z", "-w", "2", UPLINK_ADDRESS,
            Integer.toString(loopback)).ok(), "127.0.0.1: not on the uplink address");
        assertEquals("echo:up from 10.219.0.1", fromOutside("up", hostPort), "uplink address: DNAT");
        assertEquals(List.of(), listening("-Hltn", hostPort), "uplink address: no loopback listener");

        // A restart publishes the chosen ports again, and EndpointOperInfo reports the same.
        held.close();
        daemon.close();
        daemon = null;
        startDaemon();
        assertTrue(daemon.restored().dropped().isEmpty(), daemon.restored().toString());
        assertEquals(reported, reportedBindings(c), "the same ports after a restart");
        assertEquals("echo:lo2 from 169.254.219.1", fromLocalhost("lo2", any), "localhost, after the restart");
        assertEquals("echo:lo3 from 169.254.219.1", fromLocalhost("lo3", loopback), "127.0.0.1, after the restart");

        // Host addresses jvs does not serve are refused and change nothing.
        for (final String hostIp : List.of("169.254.219.1", "192.0.2.77"))
        {
            final ObjectNode refused = program.deepCopy();
            refused.with("Options").set("com.docker.network.portmap", portmap(6, 7000, 0));
            ((ObjectNode)refused.path("Options").path("com.docker.network.portmap").get(0)).put("HostIP", hostIp);
            final String err = docker.call("NetworkDriver.ProgramExternalConnectivity",
                json.writeValueAsString(refused)).err();
            assertTrue(err.contains("cannot publish on " + hostIp + ": " + (hostIp.startsWith("169.") ?
                "an address of this host that jvs does not serve" : "not an address of this host")), err);
            assertEquals(reported, reportedBindings(c), "a refusal changes nothing");
        }

        docker.ok("NetworkDriver.RevokeExternalConnectivity", body("NetworkID", c.networkId(),
            "EndpointID", c.endpointId()));
        assertEquals(List.of(), reportedBindings(c));
        assertEquals(List.of(), listening("-Hltn", loopback), "loopback listener closed on revoke");
    }

    // --------------------------------------------------------------------------------------------------- helpers

    /** A Docker network on jvs's IPAM and one endpoint joined to namespace {@code container}, serving on 7000. */
    private record Plugged(String poolId, String networkId, String endpointId)
    {
    }

    private Plugged plugContainer() throws Exception
    {
        final JsonNode pool = docker.ok("IpamDriver.RequestPool", body("AddressSpace", "jvs-local", "Pool", ""));
        final String subnet = pool.path("Pool").asText();
        final String base = subnet.substring(0, subnet.lastIndexOf('.') + 1);
        final String networkId = newId();
        final ObjectNode network = json.createObjectNode().put("NetworkID", networkId);
        network.putObject("Options").putObject("com.docker.network.generic");
        network.putArray("IPv4Data").addObject().put("AddressSpace", "jvs-local").put("Pool", subnet)
            .put("Gateway", base + "1/24");
        docker.ok("NetworkDriver.CreateNetwork", json.writeValueAsString(network));
        final String endpointId = newId();
        final ObjectNode endpoint = json.createObjectNode().put("NetworkID", networkId).put("EndpointID", endpointId);
        endpoint.putObject("Interface").put("Address", base + "2/24").put("MacAddress", "");
        endpoint.putObject("Options").set("com.docker.network.portmap", portmap(6, 7000, hostPort));
        docker.ok("NetworkDriver.CreateEndpoint", json.writeValueAsString(endpoint));
        ContainerSim.createNamespace(container);
        final JsonNode join = docker.ok("NetworkDriver.Join",
            body("NetworkID", networkId, "EndpointID", endpointId, "SandboxKey", "/run/netns/" + container));
        srcName = join.path("InterfaceName").path("SrcName").asText();
        ContainerSim.plug(srcName, container, base + "2/24", base + "1");
        background.add(new ProcessBuilder("ip", "netns", "exec", container, "python3", "-c", ECHO_SERVER)
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        background.add(new ProcessBuilder("ip", "netns", "exec", container, "python3", "-c", UDP_ECHO_SERVER)
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        return new Plugged(pool.path("PoolID").asText(), networkId, endpointId);
    }

    private static ServerSocket holdLowestFreePort() throws Exception
    {
        for (int port = HostPortChooser.FIRST; port <= HostPortChooser.LAST; port++)
        {
            try
            {
                return new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
            }
            catch (final java.io.IOException ex)
            {
                // taken: the next one
            }
        }
        throw new AssertionError("no free port in " + HostPortChooser.FIRST + "-" + HostPortChooser.LAST);
    }

    /** EndpointOperInfo's com.docker.network.portmap as "PROTO HOSTIP:HOSTPORT-HOSTPORTEND -> PORT". */
    private List<String> reportedBindings(final Plugged c) throws Exception
    {
        final JsonNode info = docker.ok("NetworkDriver.EndpointOperInfo", body("NetworkID", c.networkId(),
            "EndpointID", c.endpointId()));
        final List<String> bindings = new ArrayList<>();
        info.path("Value").path("com.docker.network.portmap").forEach(b -> bindings.add(b.path("Proto").asInt() +
            " " + b.path("HostIP").asText() + ":" + b.path("HostPort").asInt() + "-" + b.path("HostPortEnd").asInt() +
            " -> " + b.path("Port").asInt()));
        return bindings;
    }

    /** The host port of a reported binding chosen by jvs: in Docker's ephemeral range, one port. */
    private static int chosenPort(final String binding, final String prefix)
    {
        assertTrue(binding.startsWith(prefix) && binding.endsWith(" -> 7000"), binding);
        final String[] range = binding.substring(prefix.length(), binding.indexOf(' ', prefix.length())).split("-");
        final int port = Integer.parseInt(range[0]);
        assertEquals(port, Integer.parseInt(range[1]), binding);
        assertTrue(port >= HostPortChooser.FIRST && port <= HostPortChooser.LAST, binding);
        return port;
    }

    private void startDaemon()
    {
        final JvsFabric.L3Config l3 = new JvsFabric.L3Config(run + "h", "169.254.219.1/30", run + "u",
            UPLINK_ADDRESS + "/24", null, NatConfig.defaults());
        daemon = Daemon.start(new Daemon.Config(dir.resolve("jvs.sock"), dir.resolve("state"),
            SwitchConfig.defaults(), HostsFiles.DEFAULT_ROOT, false, l3, dir.resolve("plugin.sock")));
        docker = new PluginClient(daemon.dockerPluginSocket());
    }

    /** Local addresses of sockets listening on HOSTPORT ({@code ss} flags: TCP or UDP). */
    private List<String> listening(final String flags)
    {
        return listening(flags, hostPort);
    }

    private List<String> listening(final String flags, final int port)
    {
        return Command.run("ss", flags, "sport = :" + port).lines().filter(l -> !l.isBlank())
            .map(l -> l.trim().split("\\s+")[3]).toList();
    }

    private static List<String> sorted(final List<String> listeners)
    {
        return listeners.stream().sorted().toList();
    }

    private List<String> published()
    {
        return daemon.service().publications().stream().map(p -> p.mapping().toString()).toList();
    }

    private String fromOutside(final String message)
    {
        return fromOutside(message, hostPort);
    }

    private String fromOutside(final String message, final int port)
    {
        return request(List.of("ip", "netns", "exec", run + "o"), UPLINK_ADDRESS, port, message);
    }

    private String fromLocalhost(final String message)
    {
        return fromLocalhost(message, hostPort);
    }

    private String fromLocalhost(final String message, final int port)
    {
        return request(List.of(), "127.0.0.1", port, message);
    }

    private String fromLocalhostUdp(final String message)
    {
        return fromLocalhostUdp(message, hostPort);
    }

    private String fromLocalhostUdp(final String message, final int port)
    {
        final List<String> argv = List.of("sh", "-c", "printf " + message + " | nc -u -w 2 127.0.0.1 " + port);
        String last = "";
        for (int attempt = 0; attempt < 5 && last.isEmpty(); attempt++)
        {
            last = Command.exec(TIMEOUT, argv.toArray(new String[0])).stdout().trim();
        }
        return last;
    }

    /** One nc request, retried a few times while the server (or a restarted daemon) comes up. */
    private String request(final List<String> prefix, final String address, final int port, final String message)
    {
        final List<String> argv = new ArrayList<>(prefix);
        argv.addAll(List.of("sh", "-c", "printf " + message + " | nc -N -w 3 " + address + " " + port));
        return Wait.firstAnswer(() -> Command.exec(TIMEOUT, argv.toArray(new String[0])).stdout().trim(),
            RETRY_FOR);
    }

    private ArrayNode portmap(final int proto, final int port, final int hostPort)
    {
        final ArrayNode list = json.createArrayNode();
        list.addObject().put("Proto", proto).put("IP", "").put("Port", port).put("HostIP", "")
            .put("HostPort", hostPort).put("HostPortEnd", hostPort);
        return list;
    }

    private String body(final String... pairs) throws Exception
    {
        final ObjectNode node = json.createObjectNode();
        for (int i = 0; i < pairs.length; i += 2)
        {
            node.put(pairs[i], pairs[i + 1]);
        }
        return json.writeValueAsString(node);
    }

    private String newId()
    {
        final byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
