package io.jvs.control.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.testing.Wait;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jvs daemon --metrics} scraped by a real Prometheus server (Debian's {@code prometheus}): pings of a known
 * count through the switch and to the gateway, then Prometheus's HTTP API returns those counts.
 */
class MetricsPrometheusTest
{
    /** Ports on 127.0.0.1 reserved for this helper's tests (19500-19599). */
    private static final int METRICS_PORT = 19510;
    private static final int PROMETHEUS_PORT = 19511;
    private static final int GATEWAY_PINGS = 7;
    private static final int PEER_PINGS = 5;
    private static final Duration SCRAPED = Duration.ofSeconds(60);

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private TwoSandboxes setup;
    private Process prometheus;

    @AfterEach
    void cleanUp() throws Exception
    {
        if (prometheus != null)
        {
            prometheus.destroy();
            if (!prometheus.waitFor(20, TimeUnit.SECONDS))
            {
                prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (setup != null)
        {
            setup.close();
        }
    }

    @Test
    void prometheusScrapesTheCountsThePingsProduced() throws Exception
    {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/prometheus")),
            "needs Debian's prometheus package (bin/install-deps --test)");
        setup = new TwoSandboxes(METRICS_PORT, "10.195.77.0/24");
        assertTrue(setup.daemon.log().contains("metrics on http://127.0.0.1:" + METRICS_PORT + "/metrics"),
            setup.daemon.log());
        final String a = setup.a;
        final String b = setup.b;
        final String net = setup.network;
        final Path dir = setup.dir;

        // The router answers pings to the gateway and counts each reply: an exact number to find in Prometheus.
        TwoSandboxes.ping(a, "10.195.77.1", GATEWAY_PINGS);
        TwoSandboxes.ping(a, setup.addressB, PEER_PINGS);

        prometheus = startPrometheus(dir);
        final String echo = "jvs_router_icmp_echo_replies_total";
        Wait.until(() -> Integer.toString(GATEWAY_PINGS).equals(value(echo)), SCRAPED,
            "Prometheus has " + echo + " = " + GATEWAY_PINGS + " (last: " + value(echo) + ")");

        // Per port, labelled with the sandbox: b's port sent it at least the echo requests a sent it.
        final String toB = "sum(jvs_port_packets_total{sandbox=\"" + b + "\",direction=\"tx\",network=\"" + net +
            "\"})";
        Wait.until(() -> !value(toB).isEmpty(), SCRAPED, toB + " scraped");
        assertTrue(Double.parseDouble(value(toB)) >= PEER_PINGS, toB + " = " + value(toB));
        final String aToB = "sum(jvs_port_packets_total{sandbox=\"" + a + "\",direction=\"rx\"})";
        assertTrue(Double.parseDouble(value(aToB)) >= GATEWAY_PINGS + PEER_PINGS, aToB + " = " + value(aToB));

        // The latency histogram is a real one: Prometheus computes a quantile from its buckets.
        final String frames = "jvs_switch_latency_seconds_count";
        assertTrue(Double.parseDouble(value(frames)) >= PEER_PINGS * 2, frames + " = " + value(frames));
        final double p50 = Double.parseDouble(value("histogram_quantile(0.5, jvs_switch_latency_seconds_bucket)"));
        assertTrue(p50 > 0 && p50 < 0.1, "median switch latency " + p50 + " s");

        final String macs = "jvs_network_mac_entries{network=\"" + net + "\"}";
        assertTrue(Double.parseDouble(value(macs)) >= 2, "both sandboxes' MACs learned: " + macs + " = " + value(macs));
        assertEquals("1", value("up{job=\"jvs\"}"));
    }

    private Process startPrometheus(final Path dir) throws Exception
    {
        final Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, String.join("\n",
            "global:",
            "  scrape_interval: 1s",
            "  evaluation_interval: 1s",
            "scrape_configs:",
            "  - job_name: jvs",
            "    static_configs:",
            "      - targets: ['127.0.0.1:" + METRICS_PORT + "']",
            ""));
        return new ProcessBuilder("/usr/bin/prometheus", "--config.file=" + config,
            "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + PROMETHEUS_PORT)
            .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    }

    /** The one value of an instant query, "" when it has no result (yet) or Prometheus does not answer yet. */
    private String value(final String query) throws Exception
    {
        final URI uri = URI.create("http://127.0.0.1:" + PROMETHEUS_PORT + "/api/v1/query?query=" +
            URLEncoder.encode(query, StandardCharsets.UTF_8));
        final HttpResponse<String> response;
        try
        {
            response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        }
        catch (final java.io.IOException ex)
        {
            assertTrue(prometheus.isAlive(), "prometheus exited: " +
                Files.readString(setup.dir.resolve("prometheus.log")));
            return "";
        }
        if (response.statusCode() != 200)
        {
            return ""; // 503 "Service Unavailable" while Prometheus starts: not yet, as when it does not answer
        }
        final JsonNode result = json.readTree(response.body()).path("data").path("result");
        return result.size() == 1 ? result.get(0).path("value").get(1).asText() : "";
    }
}
