package io.jvs.control.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.netns.Command;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.SandboxLeftovers;
import io.jvs.control.testing.TempDirs;
import io.jvs.control.testing.Transfers;
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
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dual-stack networks with the real daemon (a child JVM) and real namespaces: sandboxes get their IPv6 address
 * usable at once (nodad, no router advertisements), reach each other over IPv6 through the switch by address and by
 * name, stay apart from another IPv6 network even when told the other prefix is on-link, keep their addresses over a
 * restart; bad input is refused with one error and leaves nothing behind. The gateway's IPv6 address is left to the
 * router (the fabric's setIpv6Gateway): nothing here goes off the network.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Ipv6NetworksTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final String run = "v6c" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    /** A test prefix of this run: fd00:HHHH::/32 holds its networks' /64s. */
    private final String ula = "fd00:" + Integer.toHexString(Integer.parseInt(run.substring(3), 16)) + ":";
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

    private void startDaemon(final String... args) throws Exception
    {
        dir = Files.createTempDirectory(run + "-");
        final Path socket = dir.resolve("jvs.sock");
        jvs = InProcessCli.socketBeforeCommand(socket);
        daemon = new DaemonProcess(dir, socket, null);
        final List<String> networkArgs = new ArrayList<>(List.of("--no-host-port"));
        networkArgs.addAll(List.of(args));
        daemon.networkArgs(networkArgs);
        daemon.start();
    }

    @Test
    void dualStackSandboxesTalkOverIpv6AndStayApartFromAnotherIpv6Network() throws Exception
    {
        startDaemon();
        final String netA = run + "a";
        final String netB = run + "b";
        final String netV4 = run + "4";
        jvs.ok("network", "create", "--ipv6", "--subnet", "10.197.7.0/24", "--subnet", ula + "1::/64", netA);
        jvs.ok("network", "create", "--ipv6", netB); // IPv4 and IPv6 from the pools
        jvs.ok("network", "create", netV4);
        final String a = sandbox("a");
        final String b = sandbox("b");
        final String c = sandbox("c");
        final String d = sandbox("d");
        jvs.ok("network", "connect", netA, a);
        jvs.ok("network", "connect", netA, b);
        jvs.ok("network", "connect", netB, c);
        jvs.ok("network", "connect", netV4, d);

        final JsonNode inspectA = inspect(netA);
        assertTrue(inspectA.path("EnableIPv6").asBoolean() && inspectA.path("EnableIPv4").asBoolean(), "" + inspectA);
        final JsonNode config = inspectA.path("IPAM").path("Config");
        assertEquals("10.197.7.0/24", config.path(0).path("Subnet").asText());
        assertEquals(ula + "1::/64", config.path(1).path("Subnet").asText());
        assertEquals(ula + "1::1", config.path(1).path("Gateway").asText());
        assertEquals(ula + "1::2/64", inspectA.path("Containers").path(a).path("IPv6Address").asText());
        assertEquals(ula + "1::3/64", inspectA.path("Containers").path(b).path("IPv6Address").asText());
        final JsonNode inspectB = inspect(netB);
        assertEquals("fd4a:7c5e:91b3::/64", inspectB.path("IPAM").path("Config").path(1).path("Subnet").asText());
        final String addressC = address6(netB, c);
        assertEquals("fd4a:7c5e:91b3::2", addressC);
        assertFalse(inspect(netV4).path("EnableIPv6").asBoolean());
        assertEquals("", inspect(netV4).path("Containers").path(d).path("IPv6Address").asText());

        // the sandbox's side: static address usable at once, default route via the gateway, no RAs, link-local kept
        final String addresses = in(a, "ip", "-6", "-o", "addr", "show", "dev", "eth0");
        assertTrue(addresses.contains(ula + "1::2/64") && addresses.contains("fe80::"), addresses);
        assertFalse(addresses.contains(ula + "1::2/64 scope global tentative"), addresses);
        assertTrue(in(a, "ip", "-6", "route", "show", "default").contains("via " + ula + "1::1 dev eth0"));
        assertEquals("0", in(a, "cat", "/proc/sys/net/ipv6/conf/eth0/accept_ra").trim());
        assertEquals("1", in(d, "cat", "/proc/sys/net/ipv6/conf/eth0/disable_ipv6").trim(),
            "an IPv4-only network keeps IPv6 off");

        assertTrue(ping6(a, ula + "1::3"), "a -> b over IPv6");
        assertTrue(ping6(b, ula + "1::2"), "b -> a over IPv6");
        Transfers.assertIntact("TCP over IPv6 a -> b", a, b, 5201, ula + "1::3", 5201);

        // names: the resolver answers AAAA for peers on the dual-stack network, the hosts file has the own address
        assertTrue(in(a, "getent", "ahostsv6", b).startsWith(ula + "1::3 "), in(a, "getent", "ahostsv6", b));
        assertTrue(Files.readString(Path.of("/etc/netns", a, "hosts")).contains(ula + "1::2\t" + a));
        assertTrue(ping6(a, b), "a -> b over IPv6 by name");
        assertTrue(ping6(b, a), "b -> a over IPv6 by name");
        jvs.ok("network", "connect", netV4, a);
        final String ipv4Only = Command.exec(TIMEOUT, "ip", "netns", "exec", d, "getent", "ahostsv6", a).stdout();
        assertFalse(ipv4Only.contains(ula), "d shares only an IPv4 network with a: no AAAA " + ipv4Only);
        jvs.ok("network", "disconnect", netV4, a);

        // isolation: a is told c's prefix is on its link, so it asks for c by neighbour discovery in network A
        in(a, "ip", "-6", "route", "add", "fd4a:7c5e:91b3::/64", "dev", "eth0");
        assertFalse(ping6(a, addressC), "network A must not reach network B's sandbox at L2");
        assertTrue(ping6(a, ula + "1::3"), "a still reaches b");

        // disconnect takes the address away and frees it
        jvs.ok("network", "disconnect", netA, b);
        jvs.ok("network", "connect", netA, b);
        assertEquals(ula + "1::3", address6(netA, b), "the freed address is handed out again");
        assertTrue(ping6(a, ula + "1::3"), "a -> b after reconnecting");
    }

    @Test
    void restartKeepsIpv6AddressesAndTraffic() throws Exception
    {
        startDaemon();
        final String net = run + "r";
        jvs.ok("network", "create", "--ipv6", "--subnet", ula + "2::/64", "--ip-range", ula + "2::100/120", net);
        final String a = sandbox("a");
        final String b = sandbox("b");
        jvs.ok("network", "connect", net, a);
        jvs.ok("network", "connect", net, b);
        assertEquals(ula + "2::100", address6(net, a), "from the IPv6 --ip-range");
        assertEquals(ula + "2::101", address6(net, b));
        assertEquals(ula + "2::100/120", inspect(net).path("IPAM").path("Config").path(1).path("IPRange").asText());
        final String only6 = run + "o";
        jvs.ok("network", "create", "--ipv6", "--ipv4=false", only6);
        jvs.ok("network", "connect", only6, a);
        final String before = withoutPorts(inspect(net).path("Containers"));
        final String beforeOnly6 = withoutPorts(inspect(only6));

        daemon.kill();
        daemon.start();
        assertEquals(before, withoutPorts(inspect(net).path("Containers")), "the same endpoints after the restart");
        assertEquals(beforeOnly6, withoutPorts(inspect(only6)), "the IPv6-only network comes back as it was");
        assertTrue(ping6(a, ula + "2::101"), "a -> b over IPv6 after the restart");
        final String c = sandbox("c");
        jvs.ok("network", "connect", net, c);
        assertEquals(ula + "2::102", address6(net, c), "no address handed out twice after the restart");
        assertTrue(ping6(c, ula + "2::100"), "c -> a");
    }

    @Test
    void badInputIsRefusedWithOneErrorAndNothingCreated() throws Exception
    {
        startDaemon("--default-ipv6-pool", ula + "10::/63"); // room for two automatic /64s
        final String net = run + "x";
        jvs.ok("network", "create", "--ipv6", "--subnet", ula + "1::/64", net);
        final String networksBefore = jvs.ok("network", "ls", "-q").out();
        jvs.refuse("invalid CIDR address: " + ula + "g::/64", "network", "create", "--ipv6", "--subnet",
            ula + "g::/64", run + "y");
        jvs.refuse("overlaps with network " + net, "network", "create", "--ipv6", "--subnet", ula + "1::80/121",
            run + "y");
        jvs.refuse("gateway " + ula + "2::1 is outside subnet " + ula + "3::/64", "network", "create", "--ipv6",
            "--subnet", ula + "3::/64", "--gateway", ula + "2::1", run + "y");
        jvs.refuse("ip range " + ula + "4::/64 is not inside subnet " + ula + "3::/64", "network", "create",
            "--ipv6", "--subnet", ula + "3::/64", "--ip-range", ula + "4::/64", run + "y");
        jvs.refuse("needs --ipv6", "network", "create", "--subnet", ula + "3::/64", run + "y");
        jvs.refuse("only one IPv6 subnet", "network", "create", "--ipv6", "--subnet", ula + "3::/64", "--subnet",
            ula + "4::/64", run + "y");
        jvs.refuse("an IPv6-only network (--ipv4=false) needs --ipv6", "network", "create", "--ipv4=false",
            run + "y");
        jvs.refuse("takes no IPv4 subnet", "network", "create", "--ipv4=false", "--ipv6", "--subnet", "10.199.0.0/24",
            run + "y");
        jvs.refuse("does not support IPv6", "network", "create", "-d", "macvlan", "-o", "parent=lo", "--ipv6",
            run + "y");
        assertEquals(networksBefore, jvs.ok("network", "ls", "-q").out(), "nothing created");

        jvs.ok("network", "create", "--ipv6", run + "p1");
        jvs.ok("network", "create", "--ipv6", run + "p2");
        final String twoMore = jvs.ok("network", "ls", "-q").out();
        jvs.refuse("the default IPv6 address pool " + ula + "10::/63 is exhausted", "network", "create", "--ipv6",
            run + "p3");
        assertEquals(twoMore, jvs.ok("network", "ls", "-q").out(), "nothing created");

        // an exhausted IPv6 range refuses the connect and leaves the sandbox and the IPv4 allocator as they were
        final String small = run + "s";
        jvs.ok("network", "create", "--ipv6", "--subnet", ula + "5::/64", "--ip-range", ula + "5::2/128", small);
        final String a = sandbox("a");
        final String b = sandbox("b");
        jvs.ok("network", "connect", small, a); // the range's one address
        final String linksBefore = in(b, "ip", "-o", "link", "show");
        jvs.refuse("no available IPv6 addresses", "network", "connect", small, b);
        assertEquals(linksBefore, in(b, "ip", "-o", "link", "show"), "no interface left in the sandbox");
        assertEquals(1, inspect(small).path("Containers").size());
        jvs.ok("network", "disconnect", small, a);
        jvs.ok("network", "connect", small, b);
        final String ipv4 = inspect(small).path("Containers").path(b).path("IPv4Address").asText();
        assertTrue(ipv4.endsWith(".2/24"), "the refused connect gave its IPv4 address back: " + ipv4);
    }

    @Test
    void ipv6OnlyNetworkGivesIpv6AndNoIpv4() throws Exception
    {
        startDaemon();
        final String net = run + "6";
        jvs.ok("network", "create", "--ipv6", "--ipv4=false", "--subnet", ula + "6::/64", net);
        final String a = sandbox("a");
        final String b = sandbox("b");
        jvs.ok("network", "connect", net, a);
        jvs.ok("network", "connect", net, b);
        final JsonNode inspect = inspect(net);
        assertFalse(inspect.path("EnableIPv4").asBoolean(true), inspect.toString());
        assertTrue(inspect.path("EnableIPv6").asBoolean(), inspect.toString());
        assertEquals(1, inspect.path("IPAM").path("Config").size(), "one IPAM entry, the IPv6 one: " + inspect);
        final JsonNode endpointB = inspect.path("Containers").path(b);
        assertEquals("", endpointB.path("IPv4Address").asText());
        assertEquals(ula + "6::3/64", endpointB.path("IPv6Address").asText());
        assertEquals("02:42:00:00:00:03", endpointB.path("MacAddress").asText(), "from the IPv6 address");

        assertEquals("", in(a, "ip", "-4", "-o", "addr", "show", "dev", "eth0").strip(), "no IPv4 address");
        assertEquals("", in(a, "ip", "-4", "route", "show").strip(), "no IPv4 route");
        assertTrue(ping6(a, b), "a -> b over IPv6 by name");
        assertTrue(ping6(b, ula + "6::2"), "b -> a by address");
        final String hosts = Files.readString(Path.of("/etc/netns", a, "hosts"));
        assertTrue(hosts.contains(ula + "6::2\t" + a), hosts);
        assertFalse(Command.exec(TIMEOUT, "ip", "netns", "exec", a, "getent", "ahostsv4", b).ok(),
            "b has no IPv4 address to resolve");
        jvs.refuse("is IPv6-only", "network", "connect", "-p", "8080:80", net, sandbox("c"));
    }

    private String sandbox(final String suffix)
    {
        final String name = run + suffix;
        sandboxes.add(name);
        jvs.ok("sandbox", "create", name);
        return name;
    }

    private JsonNode inspect(final String network) throws Exception
    {
        return json.readTree(jvs.ok("network", "inspect", network).out()).path(0);
    }

    /** The switch numbers its ports anew after a restart. */
    private static String withoutPorts(final JsonNode node)
    {
        return node.toString().replaceAll("\"PortId\":\\d+", "");
    }

    private String address6(final String network, final String sandbox) throws Exception
    {
        return inspect(network).path("Containers").path(sandbox).path("IPv6Address").asText().split("/")[0];
    }

    private static boolean ping6(final String namespace, final String address)
    {
        return Command.exec(TIMEOUT, "ip", "netns", "exec", namespace, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "1",
            address).ok();
    }

    private static String in(final String namespace, final String... argv)
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(List.of(argv));
        return Command.run(full.toArray(new String[0]));
    }
}
