package io.jvs.control.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.SandboxLeftovers;
import io.jvs.control.testing.TempDirs;
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
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
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

    private final String run = "obs" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<String> sandboxes = new ArrayList<>();
    private Path dir;
    private InProcessCli jvs;
    private DaemonProcess daemon;
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
        if (daemon != null && daemon.isAlive())
        {
            for (final String sandbox : sandboxes)
            {
                jvs.run("sandbox", "rm", sandbox);
            }
            jvs.run("network", "rm", run + "n");
            daemon.stop();
        }
        SandboxLeftovers.remove(sandboxes);
        if (dir != null)
        {
            TempDirs.deleteTree(dir);
        }
    }

    @Test
    void prometheusScrapesTheCountsThePingsProduced() throws Exception
    {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/prometheus")),
            "needs Debian's prometheus package (bin/install-deps --test)");
        dir = Files.createTempDirectory(Path.of("/tmp"), run + "-");
        final Path socket = dir.resolve("jvs.sock");
        jvs = InProcessCli.socketBeforeCommand(socket);
        daemon = new DaemonProcess(dir, socket, null);
        daemon.networkArgs(List.of("--no-host-port", "--metrics", "127.0.0.1:" + METRICS_PORT));
        daemon.start();
        assertTrue(daemon.log().contains("metrics on http://127.0.0.1:" + METRICS_PORT + "/metrics"), daemon.log());

        final String net = run + "n";
        jvs.ok("network", "create", "--subnet", "10.195.77.0/24", net);
        final String a = sandbox("a");
        final String b = sandbox("b");
        jvs.ok("network", "connect", net, a);
        jvs.ok("network", "connect", net, b);
        final JsonNode containers = json.readTree(jvs.ok("network", "inspect", net).out()).get(0).path("Containers");
        final String addressB = containers.path(b).path("IPv4Address").asText().split("/")[0];

        // The router answers pings to the gateway and counts each reply: an exact number to find in Prometheus.
        ping(a, "10.195.77.1", GATEWAY_PINGS);
        ping(a, addressB, PEER_PINGS);

        prometheus = startPrometheus();
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

    private String sandbox(final String suffix)
    {
        final String name = run + suffix;
        sandboxes.add(name);
        jvs.ok("sandbox", "create", name);
        return name;
    }

    private static void ping(final String namespace, final String address, final int count) throws Exception
    {
        final Process ping = new ProcessBuilder("ip", "netns", "exec", namespace, "ping", "-c", Integer.toString(count),
            "-i", "0.2", "-W", "2", address).redirectErrorStream(true).start();
        final String out = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(ping.waitFor(30, TimeUnit.SECONDS), "ping did not finish");
        assertTrue(out.contains(count + " packets transmitted, " + count + " received"), out);
    }

    private Process startPrometheus() throws Exception
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
            assertTrue(prometheus.isAlive(), "prometheus exited: " + Files.readString(dir.resolve("prometheus.log")));
            return "";
        }
        final JsonNode result = json.readTree(response.body()).path("data").path("result");
        return result.size() == 1 ? result.get(0).path("value").get(1).asText() : "";
    }
}
