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

    int run(final ApiClient api) throws Exception
    {
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
