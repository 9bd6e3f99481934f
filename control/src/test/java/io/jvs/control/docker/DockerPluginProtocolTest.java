package io.jvs.control.docker;

import io.jvs.control.testing.TempDirs;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.daemon.Daemon;
import io.jvs.control.api.ApiClient;
import io.jvs.control.netns.Command;
import io.jvs.control.netns.IpTool;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Docker's plugin protocol against a real in-process daemon and switch, over the plugin socket, every method and
 * the refusals. Namespaces stand in for containers: the test does with Join's interface what Docker would
 * ({@link ContainerSim}), then sends traffic through jvs. Names start with "jk" and a random run suffix.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DockerPluginProtocolTest
{
    private final String run = "jk" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final SecureRandom random = new SecureRandom();
    private final ObjectMapper json = new ObjectMapper();
    private final List<String> namespaces = new ArrayList<>();
    private final List<String[]> endpoints = new ArrayList<>();
    private final List<String> networks = new ArrayList<>();
    private final List<String> pools = new ArrayList<>();
    private Path dir;
    private Daemon daemon;
    private PluginClient docker;
    private ApiClient jvs;

    @BeforeAll
    void start() throws Exception
    {
        dir = Files.createTempDirectory(run);
        daemon = Daemon.start(Daemon.Config.embedded(dir.resolve("jvs.sock"), dir.resolve("state"))
            .withDockerPlugin(dir.resolve("plugin.sock")));
        docker = new PluginClient(daemon.dockerPluginSocket());
        jvs = new ApiClient(daemon.socket());
    }

    @AfterEach
    void cleanUp() throws Exception
    {
        for (final String[] endpoint : endpoints)
        {
            docker.call("NetworkDriver.DeleteEndpoint", body("NetworkID", endpoint[0], "EndpointID", endpoint[1]));
        }
        for (final String network : networks)
        {
            docker.call("NetworkDriver.DeleteNetwork", body("NetworkID", network));
        }
        for (final String pool : pools)
        {
            docker.call("IpamDriver.ReleasePool", body("PoolID", pool));
        }
        namespaces.forEach(ContainerSim::deleteNamespace);
        endpoints.clear();
        networks.clear();
        pools.clear();
        namespaces.clear();
    }

    @AfterAll
    void stop() throws Exception
    {
        daemon.close();
        assertFalse(Files.exists(dir.resolve("plugin.sock")), "plugin socket removed");
        TempDirs.deleteTree(dir);
    }

    // ------------------------------------------------------------------------------------------------------ tests

    @Test
    void handshakeAndCapabilities() throws Exception
    {
        final PluginClient.Reply activate = docker.call("Plugin.Activate", null);
        assertEquals(200, activate.status());
        assertEquals(DockerPluginApi.CONTENT_TYPE, activate.contentType());
        assertEquals("[\"NetworkDriver\",\"IpamDriver\"]", activate.json().path("Implements").toString());
        assertEquals("local", docker.ok("NetworkDriver.GetCapabilities", null).path("Scope").asText());
        final JsonNode ipam = docker.ok("IpamDriver.GetCapabilities", null);
        assertFalse(ipam.path("RequiresMACAddress").asBoolean(true));
        final JsonNode spaces = docker.ok("IpamDriver.GetDefaultAddressSpaces", null);
        assertEquals("jvs-local", spaces.path("LocalDefaultAddressSpace").asText());
        assertEquals("jvs-global", spaces.path("GlobalDefaultAddressSpace").asText());
        assertEquals("{}", docker.ok("NetworkDriver.DiscoverNew", "{\"DiscoveryType\":1,\"DiscoveryData\":{}}").toString());
        assertEquals("{}", docker.ok("NetworkDriver.DiscoverDelete", "{\"DiscoveryType\":1,\"DiscoveryData\":{}}").toString());

        final PluginClient.Reply missing = docker.call("NetworkDriver.AllocateNetwork", "{}");
        assertEquals(404, missing.status());
        assertTrue(missing.text().contains("404 page not found"), missing.text());
    }

    @Test
    void ipamHandsOutEachAddressOnceAndRefusesOverlaps() throws Exception
    {
        final JsonNode pool = docker.ok("IpamDriver.RequestPool",
            "{\"AddressSpace\":\"jvs-local\",\"Pool\":\"\",\"SubPool\":\"\",\"Options\":{},\"V6\":false}");
        final String poolId = pool.path("PoolID").asText();
        pools.add(poolId);
        final String subnet = pool.path("Pool").asText();
        assertTrue(subnet.matches("10\\.231\\.\\d+\\.0/24"), subnet);
        final String base = subnet.substring(0, subnet.lastIndexOf('.') + 1);

        assertEquals(base + "1/24", docker.ok("IpamDriver.RequestAddress", "{\"PoolID\":\"" + poolId +
            "\",\"Address\":\"\",\"Options\":{\"RequestAddressType\":\"com.docker.network.gateway\"}}")
            .path("Address").asText());
        assertEquals(base + "2/24", address(poolId, ""));
        assertEquals(base + "9/24", address(poolId, base + "9"));
        assertEquals(base + "3/24", address(poolId, ""));
        final PluginClient.Reply taken = docker.call("IpamDriver.RequestAddress",
            body("PoolID", poolId, "Address", base + "9"));
        assertEquals(500, taken.status());
        assertEquals("address " + base + "9 is already in use in pool " + subnet, taken.err());
        docker.ok("IpamDriver.ReleaseAddress", body("PoolID", poolId, "Address", base + "2"));
        assertEquals(base + "2/24", address(poolId, ""), "a released address is handed out again");
        final PluginClient.Reply notHeld = docker.call("IpamDriver.ReleaseAddress",
            body("PoolID", poolId, "Address", base + "77"));
        assertEquals("address " + base + "77 is not allocated in pool " + subnet, notHeld.err());

        final List<String> before = daemon.dockerIpam().poolIds();
        final PluginClient.Reply overlap = docker.call("IpamDriver.RequestPool",
            body("AddressSpace", "jvs-local", "Pool", base + "0/25"));
        assertEquals(500, overlap.status());
        assertTrue(overlap.err().contains("overlaps with " + subnet), overlap.err());
        assertEquals(before, daemon.dockerIpam().poolIds(), "a refused pool changes nothing");
        // The bridge network is 10.230.0.0/24 unless that is routed on the host already (another jvs daemon).
        final String bridgeSubnet = daemon.service().network("bridge").network().subnet().toString();
        final PluginClient.Reply bridge = docker.call("IpamDriver.RequestPool",
            body("AddressSpace", "jvs-local", "Pool", bridgeSubnet));
        assertEquals(500, bridge.status(), "jvs's own bridge network " + bridgeSubnet + ": " + bridge.text());
        assertTrue(bridge.err().contains("overlaps with " + bridgeSubnet), "jvs's own bridge network: " + bridge.err());
        assertEquals(400, docker.call("IpamDriver.RequestPool", body("Pool", "10.1.2.3/24")).status());
    }

    @Test
    void subPoolsHandOutAddressesInsideTheRangeOnly() throws Exception
    {
        final JsonNode v4 = docker.ok("IpamDriver.RequestPool",
            "{\"Pool\":\"10.93.0.0/24\",\"SubPool\":\"10.93.0.128/30\",\"V6\":false}");
        final String v4Id = v4.path("PoolID").asText();
        pools.add(v4Id);
        assertEquals("10.93.0.128/24", address(v4Id, ""), "Docker's default IPAM takes the gateway from the range too");
        assertEquals("10.93.0.129/24", address(v4Id, ""));
        assertEquals("10.93.0.7/24", address(v4Id, "10.93.0.7"), "a named address may be anywhere in the pool");
        assertEquals("10.93.0.130/24", address(v4Id, ""));
        assertEquals("10.93.0.131/24", address(v4Id, ""));
        assertEquals("no available IPv4 addresses in pool 10.93.0.0/24 range 10.93.0.128/30",
            docker.call("IpamDriver.RequestAddress", body("PoolID", v4Id, "Address", "")).err());
        final JsonNode v6 = docker.ok("IpamDriver.RequestPool",
            "{\"Pool\":\"fd00:93::/64\",\"SubPool\":\"fd00:93::100/127\",\"V6\":true}");
        final String v6Id = v6.path("PoolID").asText();
        pools.add(v6Id);
        assertEquals("fd00:93::100/64", address(v6Id, ""));
        assertEquals("fd00:93::101/64", address(v6Id, ""));
        assertTrue(docker.call("IpamDriver.RequestAddress", body("PoolID", v6Id, "Address", "")).err()
            .contains("no available IPv6 addresses"));
        assertTrue(docker.call("IpamDriver.RequestPool",
            "{\"Pool\":\"10.92.0.0/24\",\"SubPool\":\"10.91.0.0/25\"}").err().contains("is not inside subnet"));
        assertTrue(docker.call("IpamDriver.RequestPool", "{\"SubPool\":\"10.91.0.0/25\"}").err()
            .contains("needs --subnet"));
    }

    @Test
    void ipv6PoolsHandOutAddressesAndRefuseOverlaps() throws Exception
    {
        final JsonNode pool = docker.ok("IpamDriver.RequestPool",
            "{\"AddressSpace\":\"jvs-local\",\"Pool\":\"fd00:77:1::/64\",\"V6\":true}");
        final String poolId = pool.path("PoolID").asText();
        pools.add(poolId);
        assertEquals("jvs/fd00:77:1::/64", poolId);
        assertEquals("fd00:77:1::1/64", docker.ok("IpamDriver.RequestAddress", "{\"PoolID\":\"" + poolId +
            "\",\"Address\":\"\",\"Options\":{\"RequestAddressType\":\"com.docker.network.gateway\"}}")
            .path("Address").asText());
        assertEquals("fd00:77:1::2/64", address(poolId, ""));
        assertEquals("fd00:77:1::9/64", address(poolId, "fd00:77:1::9"));
        assertEquals("address fd00:77:1::9 is already in use in pool fd00:77:1::/64", docker.call(
            "IpamDriver.RequestAddress", body("PoolID", poolId, "Address", "fd00:77:1::9")).err());
        docker.ok("IpamDriver.ReleaseAddress", body("PoolID", poolId, "Address", "fd00:77:1::2"));
        assertEquals("fd00:77:1::2/64", address(poolId, ""), "a released address is handed out again");
        final List<String> before = daemon.dockerIpam().poolIds();
        final PluginClient.Reply overlap = docker.call("IpamDriver.RequestPool",
            "{\"Pool\":\"fd00:77::/32\",\"V6\":true}");
        assertTrue(overlap.err().contains("overlaps with fd00:77:1::/64"), overlap.err());
        assertEquals(before, daemon.dockerIpam().poolIds(), "a refused pool changes nothing");
        final JsonNode auto = docker.ok("IpamDriver.RequestPool", "{\"V6\":true}");
        pools.add(auto.path("PoolID").asText());
        assertTrue(auto.path("Pool").asText().startsWith("fd4a:7c5e:91b3:"), auto.toString());
        docker.ok("IpamDriver.ReleasePool", body("PoolID", poolId));
        pools.remove(poolId);
        assertFalse(daemon.dockerIpam().poolIds().contains(poolId));
        assertEquals("address pool jvs/nope not found",
            docker.call("IpamDriver.RequestAddress", body("PoolID", "jvs/nope")).err());
    }

    @Test
    void containersTalkThroughTheSwitchAndLeaveCleanly() throws Exception
    {
        final String networkId = newId();
        final String pool = dockerNetwork(networkId, false, "1400");
        final String base = pool.substring(0, pool.lastIndexOf('.') + 1);
        final JsonNode listed = jvs.network(networkId);
        assertEquals("jvs(docker)", listed.path("Driver").asText());
        assertEquals(networkId.substring(0, 12), listed.path("Name").asText());

        final String a = newId();
        final String b = newId();
        final JsonNode createdA = createEndpoint(networkId, a, base + "2/24", "");
        assertEquals("02:42:" + hexOf(base + "2"), createdA.path("Interface").path("MacAddress").asText(),
            "the MAC jvs chose, derived from the address as Docker does");
        final JsonNode createdB = createEndpoint(networkId, b, base + "3/24", "02:42:aa:bb:cc:03");
        assertTrue(createdB.path("Interface").isMissingNode(), "Docker chose the MAC: nothing to tell it");
        final PluginClient.Reply again = docker.call("NetworkDriver.CreateEndpoint", endpointBody(networkId, a,
            base + "4/24", ""));
        assertEquals("endpoint " + a + " already exists", again.err());
        final PluginClient.Reply sameAddress = docker.call("NetworkDriver.CreateEndpoint",
            endpointBody(networkId, newId(), base + "3/24", ""));
        assertEquals("address " + base + "3 is already in use", sameAddress.err());

        final JsonNode info = docker.ok("NetworkDriver.EndpointOperInfo", body("NetworkID", networkId, "EndpointID", a));
        final String hostA = info.path("Value").path("jvs.host_interface").asText();
        assertTrue(hostA.matches("jv[0-9a-f]{8}"), info.toString());
        assertEquals(1400, new IpTool().mtu(null, hostA), "MTU on the host end");

        final String nsA = namespace();
        final String nsB = namespace();
        final JsonNode joinA = join(networkId, a, nsA);
        final JsonNode joinB = join(networkId, b, nsB);
        assertEquals("eth", joinA.path("InterfaceName").path("DstPrefix").asText());
        assertEquals(base + "1", joinA.path("Gateway").asText(), "a gateway, so Docker adds no docker_gwbridge");
        final String srcA = joinA.path("InterfaceName").path("SrcName").asText();
        assertEquals(hostA + "c", srcA);
        assertEquals(1400, new IpTool().mtu(null, srcA), "MTU on the container end");
        ContainerSim.plug(srcA, nsA, base + "2/24", base + "1");
        ContainerSim.plug(joinB.path("InterfaceName").path("SrcName").asText(), nsB, base + "3/24", base + "1");
        assertTrue(ContainerSim.ping(nsA, base + "3", 3), "A pings B through jvs");
        assertTrue(Command.run("ip", "-n", nsB, "link", "show", "eth0").contains("02:42:aa:bb:cc:03"));
        docker.ok("NetworkDriver.ProgramExternalConnectivity", body("NetworkID", networkId, "EndpointID", a));
        docker.ok("NetworkDriver.RevokeExternalConnectivity", body("NetworkID", networkId, "EndpointID", a));
        assertEquals(2, jvs.network(networkId).path("Containers").size(), "jvs shows Docker's endpoints");

        final PluginClient.Reply busy = docker.call("NetworkDriver.DeleteNetwork", body("NetworkID", networkId));
        assertEquals(500, busy.status());
        assertTrue(busy.err().contains("has active endpoints"), busy.err());

        docker.ok("NetworkDriver.Leave", body("NetworkID", networkId, "EndpointID", a));
        ContainerSim.unplug(nsA, srcA);
        docker.ok("NetworkDriver.DeleteEndpoint", body("NetworkID", networkId, "EndpointID", a));
        endpoints.removeIf(e -> e[1].equals(a));
        assertFalse(Files.exists(Path.of("/sys/class/net", hostA)), "veth gone");
        assertFalse(Files.exists(Path.of("/sys/class/net", srcA)), "its peer too");
        assertFalse(ContainerSim.ping(nsB, base + "2", 1), "A is gone");
        assertEquals("endpoint " + a + " not found in network " + networkId,
            docker.call("NetworkDriver.Join", body("NetworkID", networkId, "EndpointID", a, "SandboxKey", "/x")).err());
        assertEquals(1, jvs.network(networkId).path("Containers").size());
    }

    @Test
    void enableIccFalseReachesTheNetworkAndShowsInItsInspect() throws Exception
    {
        final JsonNode pool = docker.ok("IpamDriver.RequestPool", body("AddressSpace", "jvs-local", "Pool", ""));
        pools.add(pool.path("PoolID").asText());
        final String id = newId();
        docker.ok("NetworkDriver.CreateNetwork", networkBody(id, pool.path("Pool").asText(), false, null, null)
            .replace("\"com.docker.network.generic\":{", "\"com.docker.network.generic\":{" +
                "\"com.docker.network.bridge.enable_icc\":\"false\",\"port_security\":\"true\""));
        networks.add(0, id);
        assertEquals("false", jvs.network(id).path("Options").path("com.docker.network.bridge.enable_icc").asText());
        assertEquals("true", jvs.network(id).path("Options").path("port_security").asText(), "jvs's own option too");
        final String other = newId();
        assertEquals("option com.docker.network.bridge.enable_icc takes true or false, not \"maybe\"",
            docker.call("NetworkDriver.CreateNetwork", networkBody(other, "10.77.9.0/24", false, null, null)
                .replace("\"com.docker.network.generic\":{", "\"com.docker.network.generic\":{" +
                    "\"com.docker.network.bridge.enable_icc\":\"maybe\"")).err());
    }

    @Test
    void internalNetworksGetNoGateway() throws Exception
    {
        final String networkId = newId();
        final String pool = dockerNetwork(networkId, true, null);
        final String base = pool.substring(0, pool.lastIndexOf('.') + 1);
        final String a = newId();
        createEndpoint(networkId, a, base + "2/24", "");
        final JsonNode join = join(networkId, a, namespace());
        assertTrue(join.path("Gateway").isMissingNode(), join.toString());
        assertTrue(jvs.network(networkId).path("Internal").asBoolean());
    }

    @Test
    void badRequestsChangeNothingAndTheDaemonKeepsServing() throws Exception
    {
        final String networkId = newId();
        final String pool = dockerNetwork(networkId, false, null);
        final String before = jvs.networks().toString();

        final PluginClient.Reply malformed = docker.call("NetworkDriver.CreateNetwork", "{\"NetworkID\": ");
        assertEquals(400, malformed.status());
        assertTrue(malformed.err().startsWith("malformed JSON in NetworkDriver.CreateNetwork request"), malformed.err());
        assertEquals(400, docker.call("NetworkDriver.CreateEndpoint", "[1,2]").status());
        assertEquals(400, docker.call("NetworkDriver.CreateNetwork", "{} trailing").status());
        assertEquals("NetworkID is missing", docker.call("NetworkDriver.CreateNetwork", "{}").err());
        assertEquals("NetworkID is missing or not a non-empty string",
            docker.call("NetworkDriver.DeleteNetwork", "{\"NetworkID\": 7}").err());

        assertEquals("network " + networkId + " already exists",
            docker.call("NetworkDriver.CreateNetwork", networkBody(networkId, pool, false, null, null)).err());
        final String other = newId();
        final PluginClient.Reply overlap = docker.call("NetworkDriver.CreateNetwork",
            networkBody(other, pool, false, null, null));
        assertTrue(overlap.err().startsWith("subnet " + pool + " overlaps with network " + networkId.substring(0, 12)),
            overlap.err());
        assertEquals("unknown network type \"vxlan\": jvs supports -o type=bridge and -o type=overlay",
            docker.call("NetworkDriver.CreateNetwork", networkBody(other, "10.77.7.0/24", false, null, "vxlan")).err());
        for (final String lanType : List.of("macvlan", "ipvlan"))
        {
            final String err = docker.call("NetworkDriver.CreateNetwork",
                networkBody(other, "10.77.7.0/24", false, null, lanType)).err();
            assertTrue(err.startsWith("macvlan/ipvlan networks are not available through the Docker plugin yet " +
                "(-o type=" + lanType + ")"), err);
        }
        assertTrue(docker.call("NetworkDriver.CreateNetwork",
            networkBody(other, "10.77.7.0/24", false, "9", null)).err().contains("must be 68..65535"));
        assertTrue(docker.call("NetworkDriver.CreateNetwork",
            networkBody(other, "10.77.7.0/24", false, "big", null)).err().contains("not a number"));
        assertTrue(docker.call("NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" + other + "\",\"IPv4Data\":[]}")
            .err().contains("exactly one IPv4 subnet"));

        final String wrongType = "{\"NetworkID\":\"" + other + "\",";
        assertEquals("Options must be an object, not a number",
            docker.call("NetworkDriver.CreateNetwork", wrongType + "\"Options\":5}").err());
        assertEquals("IPv4Data must be an array, not an object",
            docker.call("NetworkDriver.CreateNetwork", wrongType + "\"IPv4Data\":{}}").err());
        assertEquals("Options.com.docker.network.generic.com.docker.network.driver.mtu must be a string, not a number",
            docker.call("NetworkDriver.CreateNetwork", networkBody(other, "10.77.7.0/24", false, null, null)
                .replace("\"com.docker.network.generic\":{", "\"com.docker.network.generic\":{" +
                    "\"com.docker.network.driver.mtu\":1400")).err());
        assertTrue(docker.call("NetworkDriver.CreateNetwork", networkBody(other, "10.77.7.0/24", false, null, null)
            .replace("\"com.docker.network.generic\":{", "\"com.docker.network.generic\":{" +
                "\"com.docker.network.bridge.name\":\"br0\"")).err()
            .startsWith("option com.docker.network.bridge.name is not supported by jvs networks"));
        final Path big = Files.createTempFile(dir, "big", ".json");
        Files.write(big, new byte[10 * 1024 * 1024]);
        final Process curl = new ProcessBuilder("curl", "-s", "-w", "\n%{http_code}", "--unix-socket",
            daemon.dockerPluginSocket().toString(), "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + big,
            "http://docker/NetworkDriver.CreateNetwork").redirectErrorStream(true).start();
        final String chunked = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(curl.waitFor(30, TimeUnit.SECONDS));
        assertTrue(chunked.contains("request body too large") && chunked.endsWith("\n400"), chunked);

        final String nope = newId();
        for (final String method : List.of("DeleteEndpoint", "EndpointOperInfo", "Leave", "ProgramExternalConnectivity",
            "RevokeExternalConnectivity"))
        {
            assertEquals("endpoint " + nope + " not found in network " + networkId, docker.call(
                "NetworkDriver." + method, body("NetworkID", networkId, "EndpointID", nope)).err(), method);
        }
        assertEquals("network " + nope + " not found",
            docker.call("NetworkDriver.DeleteNetwork", body("NetworkID", nope)).err());
        assertEquals("network " + nope + " not found", docker.call("NetworkDriver.CreateEndpoint",
            endpointBody(nope, newId(), "10.1.1.2/24", "")).err());
        assertEquals("invalid MAC address \"zz\"", docker.call("NetworkDriver.CreateEndpoint",
            endpointBody(networkId, newId(), pool.replace(".0/", ".5/"), "zz")).err());

        final io.jvs.control.common.JvsException cliRemove = org.junit.jupiter.api.Assertions.assertThrows(
            io.jvs.control.common.JvsException.class, () -> jvs.removeNetwork(networkId));
        assertTrue(cliRemove.getMessage().contains("was created by Docker"), cliRemove.getMessage());
        assertFalse(jvs.pruneNetworks().contains(networkId.substring(0, 12)), "prune leaves Docker's networks alone");

        assertEquals(before, jvs.networks().toString(), "refused requests changed nothing");
        assertEquals(200, docker.call("Plugin.Activate", null).status(), "still serving");
        assertTrue(jvs.ping());
    }

    // --------------------------------------------------------------------------------------------------- helpers

    /** RequestPool + gateway + CreateNetwork, as `docker network create -d jvs --ipam-driver jvs` does. */
    private String dockerNetwork(final String id, final boolean internal, final String mtu) throws Exception
    {
        final JsonNode pool = docker.ok("IpamDriver.RequestPool", body("AddressSpace", "jvs-local", "Pool", ""));
        pools.add(pool.path("PoolID").asText());
        final String subnet = pool.path("Pool").asText();
        docker.ok("NetworkDriver.CreateNetwork", networkBody(id, subnet, internal, mtu, null));
        networks.add(0, id);
        return subnet;
    }

    private String networkBody(final String id, final String subnet, final boolean internal, final String mtu,
        final String type) throws Exception
    {
        final var body = json.createObjectNode().put("NetworkID", id);
        final var options = body.putObject("Options");
        options.put("com.docker.network.enable_ipv6", false);
        if (internal)
        {
            options.put("com.docker.network.internal", true);
        }
        final var generic = options.putObject("com.docker.network.generic");
        if (mtu != null)
        {
            generic.put("com.docker.network.driver.mtu", mtu);
        }
        if (type != null)
        {
            generic.put("type", type);
        }
        final String gateway = subnet.substring(0, subnet.lastIndexOf('.')) + ".1" + subnet.substring(subnet.indexOf('/'));
        body.putArray("IPv4Data").addObject().put("AddressSpace", "jvs-local").put("Pool", subnet).put("Gateway", gateway);
        body.putArray("IPv6Data");
        return json.writeValueAsString(body);
    }

    private JsonNode createEndpoint(final String network, final String endpoint, final String address,
        final String mac) throws Exception
    {
        final JsonNode reply = docker.ok("NetworkDriver.CreateEndpoint", endpointBody(network, endpoint, address, mac));
        endpoints.add(0, new String[]{network, endpoint});
        return reply;
    }

    private String endpointBody(final String network, final String endpoint, final String address, final String mac)
        throws Exception
    {
        final var body = json.createObjectNode().put("NetworkID", network).put("EndpointID", endpoint);
        body.putObject("Interface").put("Address", address).put("AddressIPv6", "").put("MacAddress", mac);
        body.putObject("Options").putArray("com.docker.network.portmap");
        return json.writeValueAsString(body);
    }

    private JsonNode join(final String network, final String endpoint, final String namespace) throws Exception
    {
        final JsonNode reply = docker.ok("NetworkDriver.Join",
            body("NetworkID", network, "EndpointID", endpoint, "SandboxKey", "/run/netns/" + namespace));
        final String src = reply.path("InterfaceName").path("SrcName").asText();
        assertTrue(Files.exists(Path.of("/sys/class/net", src)), "SrcName " + src + " waits on the host");
        assertEquals("/run/netns/" + namespace, daemon.dockerDriver().joinedSandboxes().get(endpoint));
        return reply;
    }

    private String address(final String poolId, final String wanted) throws Exception
    {
        return docker.ok("IpamDriver.RequestAddress", body("PoolID", poolId, "Address", wanted)).path("Address")
            .asText();
    }

    private String namespace()
    {
        final String name = run + "c" + namespaces.size();
        namespaces.add(name);
        ContainerSim.createNamespace(name);
        return name;
    }

    private String newId()
    {
        final byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private String body(final String... pairs) throws Exception
    {
        final var node = json.createObjectNode();
        for (int i = 0; i < pairs.length; i += 2)
        {
            node.put(pairs[i], pairs[i + 1]);
        }
        return json.writeValueAsString(node);
    }

    private static String hexOf(final String address)
    {
        final StringBuilder mac = new StringBuilder();
        for (final String octet : address.split("\\."))
        {
            mac.append(mac.length() == 0 ? "" : ":").append(String.format("%02x", Integer.parseInt(octet)));
        }
        return mac.toString();
    }
}
