package io.jvs.control.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.testing.InProcessCli;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jvs stats --clear}, {@code --watch --count} and {@code --histogram} against a daemon forwarding real pings;
 * a clear changes what {@code jvs stats} shows, not the raw counters the metrics endpoint exports.
 */
class StatsCommandsTest
{
    private static final int METRICS_PORT = 19512;

    private final ObjectMapper json = new ObjectMapper();
    private TwoSandboxes setup;
    private InProcessCli jvs;

    @AfterEach
    void cleanUp() throws Exception
    {
        if (setup != null)
        {
            setup.close();
        }
    }

    @Test
    void clearWatchAndHistogramOnRealTraffic() throws Exception
    {
        setup = new TwoSandboxes(METRICS_PORT, "10.195.78.0/24");
        jvs = setup.jvs;
        final String a = setup.a;
        final String b = setup.b;
        final String addressB = setup.addressB;

        TwoSandboxes.ping(a, addressB, 5);
        final long before = txPackets(b);
        assertTrue(before >= 5, "b's port sent at least the 5 echo requests: " + before);

        final String cleared = jvs.ok("stats", "--clear", b).out();
        assertTrue(cleared.matches("cleared port\\(s\\) \\d+\n"), cleared);
        TwoSandboxes.ping(a, addressB, 3);
        final JsonNode port = port(b);
        final long since = port.path("TxPackets").asLong();
        assertTrue(since >= 3 && since < before + 3, "since the clear: " + since + " (before it: " + before + ")");
        assertTrue(port.has("ClearedAt"), port.toString());
        final double raw = metric("jvs_port_packets_total{direction=\"tx\"", "sandbox=\"" + b + "\"");
        assertTrue(raw >= before + 3, "the metrics stay raw: " + raw);

        // --watch with a count: two reports while a pings b ten times a second.
        setup.background(new ProcessBuilder("ip", "netns", "exec", a, "ping", "-i", "0.1", "-w", "30", addressB)
            .redirectErrorStream(true).redirectOutput(setup.dir.resolve("ping.log").toFile()));
        final String watch = jvs.ok("stats", "--watch", "1", "--count", "2").out();
        final String[] reports = watch.split("\n\n");
        assertEquals(2, reports.length, watch);
        for (final String report : reports)
        {
            final String row = report.lines().filter(l -> l.contains(b + ":eth0")).findFirst().orElseThrow(
                () -> new AssertionError("no row for " + b + " in\n" + report));
            final double txPerSecond = Double.parseDouble(row.trim().split(" +")[6]);
            assertTrue(txPerSecond >= 5 && txPerSecond <= 20, "about 10 echo requests/s to b: " + row);
        }

        final String histogram = jvs.ok("stats", "--histogram").out();
        final String[] lines = histogram.split("\n");
        final long frames = Long.parseLong(lines[0].replaceAll("\\D+", " ").trim().split(" ")[0]);
        long sum = 0;
        for (int i = 1; i < lines.length; i++)
        {
            sum += Long.parseLong(lines[i].substring(20).trim().split(" +")[0]);
        }
        assertTrue(frames >= 16, histogram);
        assertEquals(frames, sum, "the buckets hold every frame:\n" + histogram);

        final InProcessCli.Result unknown = jvs.run("stats", "--clear", setup.run + "-nosuch");
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().startsWith("jvs: no port or sandbox " + setup.run + "-nosuch"), unknown.err());
    }

    private JsonNode port(final String sandbox) throws Exception
    {
        for (final JsonNode p : json.readTree(jvs.ok("stats", "--json").out()).path("Ports"))
        {
            if (sandbox.equals(p.path("Sandbox").asText()))
            {
                return p;
            }
        }
        throw new AssertionError("no port of " + sandbox);
    }

    private long txPackets(final String sandbox) throws Exception
    {
        return port(sandbox).path("TxPackets").asLong();
    }

    /** The value of the one line of /metrics that starts with {@code prefix} and contains {@code label}. */
    private static double metric(final String prefix, final String label) throws Exception
    {
        final String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + METRICS_PORT + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        return body.lines().filter(l -> l.startsWith(prefix) && l.contains(label)).findFirst()
            .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
            .orElseThrow(() -> new AssertionError(prefix + " " + label + " not in\n" + body));
    }
}
