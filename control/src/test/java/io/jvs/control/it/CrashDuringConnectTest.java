package io.jvs.control.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.netns.Command;
import io.jvs.control.network.AttachStep;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.SandboxLeftovers;
import io.jvs.control.testing.TempDirs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 item 2: the daemon dies (halted as by SIGKILL, no clean-up) right after a step of a connect; the next
 * start either finishes the connect (it was journaled) or undoes it (it was not): the sandbox has exactly the
 * interfaces and address the state says, no host veth is left over, and no address is handed out twice afterwards.
 * One daemon child per crash and one to recover, on one state directory and network.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class CrashDuringConnectTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final String run = "jc" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final ObjectMapper json = new ObjectMapper();
    private final String network = run + "n";
    private final String peer = run + "p";
    private final List<String> sandboxes = new ArrayList<>();
    private Path dir;
    private InProcessCli jvs;
    private DaemonProcess daemon;

    @BeforeAll
    void setUp() throws Exception
    {
        dir = Files.createTempDirectory(run);
        final Path socket = dir.resolve("jvs.sock");
        jvs = InProcessCli.socketBeforeCommand(socket);
        daemon = new DaemonProcess(dir, socket, null);
        daemon.start();
        jvs.ok("network", "create", "--subnet", "10.92.0.0/24", network);
        sandboxes.add(peer);
        jvs.ok("sandbox", "create", peer);
        jvs.ok("network", "connect", network, peer);
        assertTrue(daemon.stop(), "clean stop after set-up");
    }

    @AfterAll
    void tearDown() throws Exception
    {
        try
        {
            daemon.jvmArgs(List.of());
            if (!daemon.isAlive())
            {
                daemon.start();
            }
            for (final String sandbox : sandboxes)
            {
                jvs.run("sandbox", "rm", sandbox);
            }
            jvs.run("network", "rm", network);
            daemon.stop();
        }
        finally
        {
            SandboxLeftovers.remove(sandboxes);
            TempDirs.deleteTree(dir);
        }
    }

    @ParameterizedTest
    @EnumSource(value = AttachStep.class, names = {"INTENT", "VETH", "ADDRESS_ADDED", "PORT", "JOURNAL", "PEER_NAMES"})
    void aConnectCutShortByACrashIsFinishedOrUndoneAtTheNextStart(final AttachStep step) throws Exception
    {
        final String sandbox = run + "s" + step.ordinal();
        sandboxes.add(sandbox);
        if (daemon.isAlive())
        {
            daemon.stop(); // an earlier case failed before its stop: each case starts from a stopped daemon
        }
        daemon.jvmArgs(List.of());
        daemon.start();
        jvs.ok("sandbox", "create", sandbox);
        final Set<String> hostLinksBefore = hostLinks();
        assertTrue(daemon.stop());

        daemon.jvmArgs(List.of("-Djvs.faultInjection.haltAfter=" + step));
        daemon.start();
        assertNotEquals(0, jvs.run("network", "connect", network, sandbox).exit(), "the connect died with the daemon");
        assertEquals(137, daemon.awaitExit(), "halted as by SIGKILL");

        daemon.jvmArgs(List.of());
        daemon.start();
        final JsonNode endpoint = endpointOf(sandbox);
        final boolean journaled = step.compareTo(AttachStep.JOURNAL) >= 0;
        assertEquals(journaled, endpoint != null, "connect " + (journaled ? "finished" : "undone") + " after " + step);
        final List<String> interfaces = sandboxInterfaces(sandbox);
        final List<String> addresses = sandboxAddresses(sandbox);
        if (journaled)
        {
            assertEquals(List.of(endpoint.path("Interface").asText()), interfaces, "the interface the state knows");
            assertEquals(List.of(endpoint.path("IPv4Address").asText()), addresses, "the address the state knows");
        }
        else
        {
            assertEquals(List.of(), interfaces, "no interface left in the sandbox");
            assertEquals(List.of(), addresses, "no address left in the sandbox");
            final Set<String> leaked = hostLinks();
            leaked.removeAll(hostLinksBefore);
            assertEquals(Set.of(), leaked, "no host veth left behind");
            jvs.ok("network", "connect", network, sandbox);
        }

        // Every sandbox on the network has one address, none twice, and they reach each other.
        final List<String> all = new ArrayList<>();
        for (final String s : sandboxes)
        {
            all.addAll(sandboxAddresses(s));
        }
        assertEquals(new HashSet<>(all).size(), all.size(), "no address twice: " + all);
        final String peerAddress = sandboxAddresses(peer).get(0);
        assertTrue(Command.exec(TIMEOUT, "ip", "netns", "exec", sandbox, "ping", "-n", "-c", "2", "-i", "0.2",
            "-W", "1", peerAddress.substring(0, peerAddress.indexOf('/'))).ok(), "reaches the peer");
        assertTrue(daemon.stop());
    }

    private JsonNode endpointOf(final String sandbox) throws Exception
    {
        final JsonNode containers = json.readTree(jvs.ok("network", "inspect", network).out()).path(0)
            .path("Containers");
        return containers.has(sandbox) ? containers.get(sandbox) : null;
    }

    private static List<String> sandboxInterfaces(final String sandbox)
    {
        final List<String> names = new ArrayList<>();
        for (final String line : Command.run("ip", "-n", sandbox, "-o", "link", "show").split("\n"))
        {
            final String name = line.split(":")[1].trim().split("@")[0];
            if (!name.equals("lo"))
            {
                names.add(name);
            }
        }
        return names;
    }

    private static List<String> sandboxAddresses(final String sandbox)
    {
        final List<String> addresses = new ArrayList<>();
        for (final String line : Command.run("ip", "-n", sandbox, "-4", "-o", "address", "show").split("\n"))
        {
            final String[] fields = line.trim().split("\\s+");
            if (fields.length > 3 && !fields[1].equals("lo"))
            {
                addresses.add(fields[3]);
            }
        }
        return addresses;
    }

    private static Set<String> hostLinks()
    {
        final Set<String> names = new HashSet<>();
        Arrays.stream(Command.run("ip", "-o", "link", "show").split("\n"))
            .map(line -> line.split(":")[1].trim().split("@")[0])
            .forEach(names::add);
        return names;
    }
}
