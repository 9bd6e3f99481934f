package io.jvs.control.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.testing.InProcessCli;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --filter}, {@code --format} and {@code -q} of {@code network ls}, {@code network inspect} and
 * {@code sandbox ls}, against a daemon with real networks and sandboxes.
 */
class ScriptableCliTest
{
    private static final int METRICS_PORT = 19513;

    private TwoSandboxes setup;
    private String internal;

    @AfterEach
    void cleanUp() throws Exception
    {
        if (setup != null)
        {
            if (internal != null)
            {
                setup.jvs.run("network", "rm", internal);
            }
            setup.close();
        }
    }

    @Test
    void filtersFormatsAndQuietOnRealNetworksAndSandboxes() throws Exception
    {
        setup = new TwoSandboxes(METRICS_PORT, "10.195.79.0/24");
        final InProcessCli jvs = setup.jvs;
        final String run = setup.run;
        final String net = setup.network;
        internal = run + "m";
        jvs.ok("network", "create", "--internal", "--subnet", "10.195.80.0/24", internal);
        final String netId = new ObjectMapper().readTree(jvs.ok("network", "inspect", net).out()).get(0)
            .path("Id").asText();

        final List<String> ours = jvs.ok("network", "ls", "--filter", "name=" + run).out().lines().toList();
        assertEquals(3, ours.size(), String.join("\n", ours));
        assertTrue(ours.get(0).matches("NETWORK ID +NAME +DRIVER +SCOPE"), ours.get(0));
        assertEquals(netId.substring(0, 12) + "\n",
            jvs.ok("network", "ls", "-q", "--filter", "name=" + net).out());
        assertEquals(netId + "\n",
            jvs.ok("network", "ls", "-q", "--no-trunc", "--filter", "id=" + netId.substring(0, 8)).out());
        // Values of one key: any; of two keys: both.
        assertEquals(sorted(net + " false\n" + internal + " true\n"), sorted(jvs.ok("network", "ls", "--filter",
            "name=" + net, "--filter", "driver=bridge", "--format", "{{.Name}} {{.Internal}}", "--filter",
            "name=" + internal).out()));
        assertEquals("", jvs.ok("network", "ls", "--filter", "name=" + run, "--filter", "driver=overlay").out()
            .lines().skip(1).reduce("", String::concat));
        assertTrue(jvs.ok("network", "ls", "--filter", "type=builtin", "--format", "{{.Name}}").out().lines()
            .toList().containsAll(List.of("bridge", "host", "none")));
        final List<String> table = jvs.ok("network", "ls", "--filter", "name=" + run, "--format",
            "table {{.Name}}\\t{{.Driver}}").out().lines().toList();
        assertTrue(table.get(0).matches("NAME +DRIVER"), table.get(0));
        assertEquals(3, table.size());

        assertEquals(net + " false\n" + internal + " true\n",
            jvs.ok("network", "inspect", "-f", "{{.Name}} {{json .Internal}}", net, internal).out());
        assertEquals("10.195.79.0/24\n",
            jvs.ok("network", "inspect", "--format", "{{.IPAM.Config}}", net).out()
                .replaceAll(".*\"Subnet\":\"([^\"]+)\".*", "$1"));

        assertEquals(setup.a + "\n" + setup.b + "\n", sorted(jvs.ok("sandbox", "ls", "-q", "--filter",
            "network=" + net).out()));
        final String one = jvs.ok("sandbox", "ls", "--format", "json", "--filter", "name=" + setup.a).out();
        assertEquals(setup.a, new ObjectMapper().readTree(one).path("Name").asText(), one);
        assertEquals(net, new ObjectMapper().readTree(one).path("Networks").asText(), one);
        assertEquals("", jvs.ok("sandbox", "ls", "-q", "--filter", "network=" + internal).out());

        final InProcessCli.Result bad = jvs.run("network", "ls", "--filter", "colour=red");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().startsWith("jvs: invalid filter 'colour=red' (KEY=VALUE, keys: "), bad.err());
        final InProcessCli.Result badField = jvs.run("sandbox", "ls", "--format", "{{.Nme}}");
        assertEquals(1, badField.exit());
        assertTrue(badField.err().startsWith("jvs: template: no field \"Nme\" (fields: Name, Networks"),
            badField.err());
    }

    private static String sorted(final String lines)
    {
        return String.join("\n", lines.lines().sorted().toList()) + "\n";
    }
}
