package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code jvs stats --watch}: per-port rates between two answers of {@code GET /stats}, like ifstat. A port is matched
 * by id and interface (ids are not reused until they wrap); a port new since the last sample has no rate yet, and a
 * counter that went down (the port was cleared) counts as 0.
 */
final class StatsRates
{
    private StatsRates()
    {
    }

    /** One table of rates over {@code seconds} between {@code before} and {@code after}. */
    static void print(final JsonNode before, final JsonNode after, final double seconds, final PrintWriter out)
    {
        final Map<String, JsonNode> previous = new HashMap<>();
        before.path("Ports").forEach(p -> previous.put(key(p), p));
        final Table table = new Table("PORT", "INTERFACE", "SANDBOX", "NETWORK", "RX PKT/S", "RX KB/S", "TX PKT/S",
            "TX KB/S", "DROPS/S");
        for (final JsonNode p : after.path("Ports"))
        {
            final JsonNode was = previous.get(key(p));
            if (was == null)
            {
                continue;
            }
            final String sandbox = p.path("Sandbox").asText();
            table.row(p.path("Port").asInt(), p.path("Interface").asText(),
                sandbox.isEmpty() ? "-" : sandbox + ":" + p.path("SandboxInterface").asText(), p.path("Network").asText(),
                rate(was, p, "RxPackets", seconds, 1), rate(was, p, "RxBytes", seconds, 1024),
                rate(was, p, "TxPackets", seconds, 1), rate(was, p, "TxBytes", seconds, 1024),
                format(Math.max(0, drops(p) - drops(was)) / seconds));
        }
        table.print(out);
    }

    static String rate(final JsonNode before, final JsonNode after, final String field, final double seconds,
        final double unit)
    {
        return format(Math.max(0, after.path(field).asLong() - before.path(field).asLong()) / unit / seconds);
    }

    private static String format(final double value)
    {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    private static long drops(final JsonNode port)
    {
        long sum = 0;
        for (final JsonNode count : port.path("Drops"))
        {
            sum += count.asLong();
        }
        return sum;
    }

    private static String key(final JsonNode port)
    {
        return port.path("Port").asInt() + "/" + port.path("Interface").asText();
    }
}
