package io.jvs.control.it;

import io.jvs.control.common.JvsException;
import io.jvs.control.daemon.Daemon;
import io.jvs.control.fabric.JvsFabric;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.netns.Command;
import io.jvs.control.network.AttachProbe;
import io.jvs.control.network.AttachStep;
import io.jvs.control.network.CreateNetworkRequest;
import io.jvs.control.network.NetworkService;
import io.jvs.control.state.Endpoint;
import io.jvs.control.testing.TempDirs;
import io.jvs.dataplane.SwitchConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connect that fails half-way leaves nothing behind: a fault injected after each {@link AttachStep} of a connect
 * (through {@link NetworkService#probe}) on a real daemon, sandbox and veths, then no endpoint in the store, no veth
 * on the host or in the sandbox, no address, no route, no switch port, no name, and the IPAM lease free again (the
 * next connect gets the same first address). A peer on the network is there so the names are checked from its side.
 * Each step is tried on an IPv4-only and on a dual-stack network (whose IPv6 address must come back too).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ConnectUndoTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final String FIRST_ADDRESS = "10.94.0.3";
    private static final String PEER_ADDRESS = "10.94.0.2";
    private static final String FIRST_ADDRESS_6 = "10.95.0.3";
    private static final String FIRST_IPV6 = "fd00:95::3";

    private final String run = "ju" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final String network = run + "n";
    private final String dualStack = run + "d";
    private final String sandbox = run + "s";
    private final String peer = run + "p";
    private final JvsFabric[] fabric = new JvsFabric[1];
    private Path dir;
    private Daemon daemon;
    private NetworkService service;

    @BeforeAll
    void start() throws IOException
    {
        dir = Files.createTempDirectory(run);
        daemon = Daemon.start(Daemon.Config.embedded(dir.resolve("jvs.sock"), dir.resolve("state")),
            () -> fabric[0] = JvsFabric.start(SwitchConfig.defaults()));
        service = daemon.service();
        service.createNetwork(new CreateNetworkRequest(network, null, "10.94.0.0/24", null, false));
        service.createSandbox(sandbox);
        service.createSandbox(peer);
        service.connect(network, peer);
        service.createNetwork(new CreateNetworkRequest(dualStack, null, "10.95.0.0/24", null, false, Map.of(), null,
            Map.of(), true, "fd00:95::/64", null, null));
        service.connect(dualStack, peer);
    }

    static Stream<Arguments> stepsOnBothKindsOfNetwork()
    {
        return Stream.of(false, true).flatMap(ipv6 -> Stream.of(AttachStep.CHECKED, AttachStep.ADDRESS,
            AttachStep.INTERFACE_NAMES, AttachStep.INTENT, AttachStep.VETH, AttachStep.MTU, AttachStep.IPV6_OFF, AttachStep.ADDRESS_ADDED,
            AttachStep.LINK_UP, AttachStep.ROUTE, AttachStep.HOST_LINK, AttachStep.PORT, AttachStep.JOURNAL,
            AttachStep.DRIVER, AttachStep.PUBLISH, AttachStep.PEER_NAMES).map(step -> Arguments.of(step, ipv6)));
    }

    @AfterAll
    void stop() throws Exception
    {
        try
        {
            service.probe(AttachProbe.NONE);
            for (final String name : List.of(sandbox, peer))
            {
                quietly(() -> service.removeSandbox(name));
            }
            quietly(() -> service.removeNetwork(network));
            quietly(() -> service.removeNetwork(dualStack));
            daemon.close();
        }
        finally
        {
            TempDirs.deleteTree(dir);
        }
        assertFalse(Command.run("ip", "netns", "list").contains(run), "left behind: a namespace of " + run);
    }

    @ParameterizedTest(name = "{0}, dual-stack {1}")
    @MethodSource("stepsOnBothKindsOfNetwork")
    void aConnectFailingAfterAStepUndoesEveryStepBeforeIt(final AttachStep failAfter, final boolean ipv6)
        throws Exception
    {
        final String network = ipv6 ? dualStack : this.network;
        assertTrue(peerAddresses().contains(PEER_ADDRESS), "the peer is on the network");
        final Set<String> hostLinks = hostLinks();
        final int ports = fabric[0].portStats().size();
        final String hostsFile = Files.readString(Path.of("/etc/netns", sandbox, "hosts"));
        final JvsException injected = new JvsException(JvsException.Kind.INTERNAL, "injected after " + failAfter);
        service.probe(step ->
        {
            if (step == failAfter)
            {
                throw injected;
            }
        });
        try
        {
            assertSame(injected, assertThrows(JvsException.class, () -> service.connect(network, sandbox)));
        }
        finally
        {
            service.probe(AttachProbe.NONE);
        }

        assertTrue(service.sandbox(sandbox).endpoints().isEmpty(), "no endpoint in the store");
        assertEquals(hostLinks, hostLinks(), "no veth left on the host");
        assertEquals("lo", inSandbox("ip", "-o", "link", "show").lines().map(l -> l.split(":")[1].trim().split("@")[0])
            .reduce((a, b) -> a + "," + b).orElse(""), "no interface left in the sandbox");
        assertEquals("", inSandbox("ip", "-4", "route", "show"), "no route left in the sandbox");
        assertFalse(inSandbox("ip", "-6", "route", "show").contains("eth"), "no IPv6 route left in the sandbox");
        assertEquals(ports, fabric[0].portStats().size(), "no switch port left");
        assertEquals(hostsFile, Files.readString(Path.of("/etc/netns", sandbox, "hosts")), "hosts file as it was");
        assertEquals("", Command.exec(TIMEOUT, "ip", "netns", "exec", peer, "getent", "hosts", sandbox).stdout()
            .strip(), "the peer does not resolve the sandbox");

        final Endpoint endpoint = service.connect(network, sandbox);
        assertEquals(ipv6 ? FIRST_ADDRESS_6 : FIRST_ADDRESS, Ipv4.format(endpoint.address()),
            "the address was given back: the next connect gets it");
        assertEquals(ipv6 ? FIRST_IPV6 : "null", String.valueOf(endpoint.address6()),
            "the IPv6 address was given back too");
        assertEquals("eth0", endpoint.sandboxInterface());
        assertTrue(Command.exec(TIMEOUT, "ip", "netns", "exec", peer, "getent", "hosts", sandbox).stdout()
            .contains(ipv6 ? FIRST_IPV6 : FIRST_ADDRESS), "resolves once connected");
        service.disconnect(network, sandbox);
    }

    private List<String> peerAddresses()
    {
        return service.sandbox(peer).endpoints().stream().map(e -> Ipv4.format(e.address())).toList();
    }

    private String inSandbox(final String... argv)
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", sandbox));
        full.addAll(List.of(argv));
        return Command.exec(TIMEOUT, full.toArray(new String[0])).stdout().strip();
    }

    private static Set<String> hostLinks() throws IOException
    {
        try (Stream<Path> links = Files.list(Path.of("/sys/class/net")))
        {
            return links.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("jv"))
                .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static void quietly(final Runnable action)
    {
        try
        {
            action.run();
        }
        catch (final RuntimeException ignored)
        {
            // clean-up
        }
    }
}
