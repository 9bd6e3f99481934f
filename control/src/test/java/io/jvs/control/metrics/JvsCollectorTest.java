package io.jvs.control.metrics;

import io.jvs.control.dns.DnsCounter;
import io.jvs.control.network.NetworkViews;
import io.jvs.dataplane.BridgeDomainStats;
import io.jvs.dataplane.LatencySnapshot;
import io.jvs.dataplane.PortStats;
import io.jvs.tap.counters.CounterTable;
import io.jvs.tap.counters.CountersRegistry;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exposition of known counters: names, labels, values, histogram buckets; and Prometheus's own lint. */
class JvsCollectorTest
{
    private static final String PORT_LABELS =
        "interface=\"jv00000007\",lane=\"0\",network=\"obs-net\",port=\"7\",sandbox=\"obs-a\",sandbox_interface=\"eth0\"";

    @Test
    void countersOfPortsNetworksRouterAndOtherSetsAreExportedWithTheirLabels() throws Exception
    {
        final String text = prometheusText(source());
        assertLine(text, "jvs_port_packets_total{direction=\"rx\"," + PORT_LABELS + "} 11.0");
        assertLine(text, "jvs_port_packets_total{direction=\"tx\"," + PORT_LABELS + "} 13.0");
        assertLine(text, "jvs_port_bytes_total{direction=\"rx\"," + PORT_LABELS + "} 1100.0");
        assertLine(text, "jvs_port_bytes_total{direction=\"tx\"," + PORT_LABELS + "} 1300.0");
        assertLine(text, "jvs_port_drops_total{" + PORT_LABELS.replace("port=\"7\",", "port=\"7\",reason=\"tx_full\",") +
            "} 3.0");
        assertLine(text, "jvs_port_ring_bytes{" + PORT_LABELS + "} 1048576.0");
        assertLine(text, "jvs_lane_ports{lane=\"0\"} 1.0");
        assertLine(text, "jvs_network_mac_entries{network=\"obs-net\"} 2.0");
        assertLine(text, "jvs_network_forwarded_packets_total{network=\"obs-net\"} 20.0");
        assertLine(text, "jvs_network_drops_total{network=\"obs-net\",reason=\"tx_full\"} 3.0");
        assertLine(text, "jvs_mac_table_entries 2.0");
        assertLine(text, "jvs_router_routed_total 5.0");
        assertLine(text, "jvs_router_drops_total{reason=\"no_route\"} 4.0");
        assertLine(text, "jvs_nat_connections 9.0");
        assertLine(text, "jvs_dns_queries_total{key=\"42\",record=\"obs-a\"} 6.0");
        assertLine(text, "# TYPE jvs_port_bytes_total counter");
        assertLine(text, "# TYPE jvs_network_mac_entries gauge");
    }

    @Test
    void theLatencyHistogramHasCumulativeBucketsInSeconds() throws Exception
    {
        final String text = prometheusText(source());
        // 3 frames at 20 us, 1 at 2 ms: le=25us holds 3, le=2.5ms and +Inf hold all 4.
        assertLine(text, "jvs_switch_latency_seconds_bucket{le=\"1.0E-5\"} 0");
        assertLine(text, "jvs_switch_latency_seconds_bucket{le=\"2.5E-5\"} 3");
        assertLine(text, "jvs_switch_latency_seconds_bucket{le=\"0.001\"} 3");
        assertLine(text, "jvs_switch_latency_seconds_bucket{le=\"0.0025\"} 4");
        assertLine(text, "jvs_switch_latency_seconds_bucket{le=\"+Inf\"} 4");
        assertLine(text, "jvs_switch_latency_seconds_count 4");
        final double sum = Double.parseDouble(valueOf(text, "jvs_switch_latency_seconds_sum"));
        assertEquals(3 * 20e-6 + 2e-3, sum, 0.01 * sum, "sum of the observations, within HdrHistogram's precision");
    }

    @Test
    void promtoolAcceptsTheOutput() throws Exception
    {
        final Path promtool = Path.of("/usr/bin/promtool");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(promtool),
            "promtool (Debian package prometheus) is not installed");
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        OpenMetricsTextFormatWriter.create().write(out, new JvsCollector(source()).collect());
        final Process check = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true)
            .start();
        check.getOutputStream().write(prometheusText(source()).getBytes(StandardCharsets.UTF_8));
        check.getOutputStream().close();
        final String said = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(check.waitFor(30, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, check.exitValue(), "promtool check metrics:\n" + said);
        assertTrue(out.toString(StandardCharsets.UTF_8).endsWith("# EOF\n"), "OpenMetrics ends with # EOF");
    }

    private static String prometheusText(final MetricsSource source) throws Exception
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, new JvsCollector(source).collect());
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void assertLine(final String text, final String line)
    {
        assertTrue(List.of(text.split("\n")).contains(line), "no line\n  " + line + "\nin\n" + text);
    }

    private static String valueOf(final String text, final String name)
    {
        for (final String line : text.split("\n"))
        {
            if (line.startsWith(name + " "))
            {
                return line.substring(name.length() + 1);
            }
        }
        throw new AssertionError(name + " not in\n" + text);
    }

    private static MetricsSource source()
    {
        final Map<String, Long> drops = new LinkedHashMap<>();
        drops.put("malformed", 0L);
        drops.put("tx_full", 3L);
        final PortStats port = new PortStats(7, "jv00000007", 1, 11, 1100, 13, 1300, drops, 1_048_576, 0);
        final BridgeDomainStats bd = new BridgeDomainStats(1, "obs-net", 1, 2, 20, 1, 2, 0, 0, drops);
        final Map<String, Long> router = new LinkedHashMap<>();
        router.put("routed", 5L);
        router.put("drop_no_route", 4L);
        router.put("nat_connections", 9L);
        final NetworkViews.Stats stats = new NetworkViews.Stats(
            List.of(new NetworkViews.NetworkStatsView(bd, "obs-net")),
            List.of(new NetworkViews.PortView(port, "obs-net", "obs-a", "eth0")), router,
            new LatencySnapshot(4, 20, 2000, 2000, 2000));
        final CountersRegistry registry = new CountersRegistry(16, 4096);
        final CounterTable dns = registry.newRecord(DnsCounter.class, "obs-a", 42, 0);
        dns.add(dns.offset(0, DnsCounter.QUERIES), 6);
        final Histogram latency = new Histogram(3_600_000_000_000L, 2);
        latency.recordValueWithCount(20_000, 3);
        latency.recordValue(2_000_000);
        return new MetricsSource()
        {
            public NetworkViews.Stats stats()
            {
                return stats;
            }

            public Histogram latencyHistogram()
            {
                return latency;
            }

            public CountersRegistry counters()
            {
                return registry;
            }
        };
    }
}
