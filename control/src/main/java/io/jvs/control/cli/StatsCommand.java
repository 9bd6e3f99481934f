package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvs.control.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Locale;

/**
 * {@code jvs stats}: per-network and per-port counters of the switch, drops by reason, and the ring memory each port
 * maps (RINGS).
 */
@Command(name = "stats", description = "Show per-network and per-port counters, drops by reason.",
    mixinStandardHelpOptions = true)
final class StatsCommand extends ClientCommand
{
    private static final long MIB = 1 << 20;

    @Option(names = "--json", description = "Print the raw JSON answer.")
    boolean json;

    @Option(names = "--watch", arity = "0..1", fallbackValue = "1", paramLabel = "SECONDS",
        description = "Per-port rates every SECONDS (default 1), like ifstat, until Ctrl-C or --count.")
    Double watch;

    @Option(names = "--count", paramLabel = "N", description = "With --watch: stop after N reports.")
    Integer count;

    @Option(names = "--clear", paramLabel = "PORT|SANDBOX",
        description = "Count a port's (a sandbox's ports') counters from now on: port id, interface, sandbox or " +
            "SANDBOX:IFACE. The Prometheus metrics stay raw.")
    String clear;

    @Option(names = "--histogram", description = "Print the switch's latency distribution (RX ring to TX ring).")
    boolean histogram;

    int run(final ApiClient api) throws Exception
    {
        if (clear != null)
        {
            out().println("cleared port(s) " + api.clearStats(clear).path("Cleared").toString()
                .replaceAll("[\\[\\]]", ""));
            out().flush();
            return 0;
        }
        if (histogram)
        {
            printHistogram(api.latency(), out());
            out().flush();
            return 0;
        }
        if (watch != null)
        {
            return watch(api);
        }
        if (count != null)
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--count needs --watch");
        }
        final JsonNode stats = api.stats();
        if (json)
        {
            out().println(Json.pretty(stats));
            out().flush();
            return 0;
        }
        print(stats, out());
        return 0;
    }

    private int watch(final ApiClient api) throws Exception
    {
        if (watch <= 0 || (count != null && count < 1))
        {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "--watch needs SECONDS > 0 and --count N >= 1");
        }
        JsonNode before = api.stats();
        long then = System.nanoTime();
        for (int report = 0; count == null || report < count; report++)
        {
            Thread.sleep(Math.round(watch * 1000));
            final JsonNode after = api.stats();
            final long now = System.nanoTime();
            if (report > 0)
            {
                out().println();
            }
            out().println(java.time.LocalTime.now().withNano(0) + String.format(Locale.ROOT, " (%.1f s)",
                (now - then) / 1e9));
            StatsRates.print(before, after, (now - then) / 1e9, out());
            out().flush();
            before = after;
            then = now;
        }
        return 0;
    }

    /** One line per bucket, with a bar scaled to the fullest. */
    static void printHistogram(final JsonNode latency, final java.io.PrintWriter out)
    {
        final long frames = latency.path("Frames").asLong();
        out.println("switch latency, RX ring to TX ring, " + frames + " frames since start");
        long most = 1;
        for (final JsonNode b : latency.path("Buckets"))
        {
            most = Math.max(most, b.path("Frames").asLong());
        }
        double lower = 0;
        for (final JsonNode b : latency.path("Buckets"))
        {
            final long n = b.path("Frames").asLong();
            final String range = b.path("UpToMicros").isNull() ? String.format(Locale.ROOT, "> %s", micros(lower)) :
                String.format(Locale.ROOT, "%s - %s", micros(lower), micros(b.path("UpToMicros").asDouble()));
            out.println(String.format(Locale.ROOT, "%-20s %10d %5.1f%%  %s", range, n,
                frames == 0 ? 0.0 : 100.0 * n / frames, "#".repeat((int)(40 * n / most))).stripTrailing());
            lower = b.path("UpToMicros").asDouble();
        }
    }

    private static String micros(final double value)
    {
        return value >= 1000 ? String.format(Locale.ROOT, "%.4g ms", value / 1000).replaceAll("\\.?0+ ms", " ms") :
            String.format(Locale.ROOT, "%.4g us", value).replaceAll("\\.?0+ us", " us");
    }

    /** Ring memory in one token, so the column splits on spaces: 768K, 1.0M, 18.0M; "-" for a port without rings. */
    static String memory(final long bytes)
    {
        if (bytes <= 0)
        {
            return "-";
        }
        return bytes < MIB ? (bytes + 1023) / 1024 + "K" : String.format(Locale.ROOT, "%.1fM", (double)bytes / MIB);
    }

    static void print(final JsonNode stats, final java.io.PrintWriter out)
    {
        final Table networks = new Table("NETWORK", "PORTS", "MACS", "FORWARDED", "FLOODED", "LEARNED", "MOVES", "AGED",
            "DROPS");
        for (final JsonNode n : stats.path("Networks"))
        {
            networks.row(n.path("Network").asText(), n.path("Ports").asLong(), n.path("MacEntries").asLong(),
                n.path("Forwarded").asLong(), n.path("Flooded").asLong(), n.path("Learned").asLong(),
                n.path("Moves").asLong(), n.path("Aged").asLong(), Json.drops(n.path("Drops")));
        }
        networks.print(out);
        out.println();
        final Table ports = new Table("PORT", "INTERFACE", "SANDBOX", "NETWORK", "RX PKTS", "RX BYTES", "TX PKTS",
            "TX BYTES", "DROPS", "RINGS", "LANE");
        for (final JsonNode p : stats.path("Ports"))
        {
            final String sandbox = p.path("Sandbox").asText();
            ports.row(p.path("Port").asInt(), p.path("Interface").asText(),
                sandbox.isEmpty() ? "-" : sandbox + ":" + p.path("SandboxInterface").asText(),
                p.path("Network").asText(), p.path("RxPackets").asLong(), p.path("RxBytes").asLong(),
                p.path("TxPackets").asLong(), p.path("TxBytes").asLong(), Json.drops(p.path("Drops")),
                memory(p.path("RingBytes").asLong()), p.path("Lane").asInt());
        }
        ports.print(out);
        if (stats.path("Router").size() > 0)
        {
            out.println();
            out.println("router " + NatCommand.counters(stats.path("Router")).substring("nat:".length()).trim());
        }
        final JsonNode latency = stats.path("Latency");
        if (latency.path("Frames").asLong() > 0)
        {
            out.println();
            out.printf("switch latency, RX ring to TX ring, %d frames since start: p50 %.1f us, p99 %.1f us, " +
                "p99.9 %.1f us, max %.1f us%n", latency.path("Frames").asLong(), latency.path("P50Micros").asDouble(),
                latency.path("P99Micros").asDouble(), latency.path("P999Micros").asDouble(),
                latency.path("MaxMicros").asDouble());
        }
    }
}
