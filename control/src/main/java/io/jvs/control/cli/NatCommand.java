package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvs.control.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Iterator;
import java.util.Map;

/** {@code jvs nat ls}: live translations, published ports and the router/NAT counters. */
@Command(name = "nat", description = "Show NAT translations and published ports.", mixinStandardHelpOptions = true,
    subcommands = NatCommand.Ls.class)
final class NatCommand
{
    @Command(name = "ls", aliases = "list", description = "List live translations, published ports, NAT counters.",
        mixinStandardHelpOptions = true)
    static final class Ls extends ClientCommand
    {
        @Option(names = "--json", description = "Print the raw JSON answer.")
        boolean json;

        int run(final ApiClient api) throws Exception
        {
            final JsonNode nat = api.nat();
            if (json)
            {
                out().println(Json.pretty(nat));
                out().flush();
                return 0;
            }
            final Table translations = new Table("PROTO", "KIND", "STATE", "ORIGINAL", "REPLY", "EXPIRES", "PKTS");
            for (final JsonNode t : nat.path("Translations"))
            {
                translations.row(t.path("Protocol").asText(), t.path("Kind").asText(), t.path("State").asText(),
                    t.path("Original").asText(), t.path("Reply").asText(), t.path("ExpiresInSeconds").asLong() + "s",
                    t.path("PacketsOriginal").asLong() < 0 ? "-" :
                        t.path("PacketsOriginal").asLong() + "/" + t.path("PacketsReply").asLong());
            }
            translations.print(out());
            out().println();
            final Table published = new Table("NETWORK", "SANDBOX", "ADDRESS", "PUBLISH");
            for (final JsonNode p : nat.path("Published"))
            {
                published.row(p.path("Network").asText(), p.path("Sandbox").asText(), p.path("Address").asText(),
                    p.path("Publish").asText());
            }
            published.print(out());
            out().println();
            final Iterator<Map.Entry<String, JsonNode>> l3 = nat.path("L3").fields();
            while (l3.hasNext())
            {
                final Map.Entry<String, JsonNode> e = l3.next();
                out().println(e.getKey() + ": " + e.getValue().asText());
            }
            out().println(counters(nat.path("Counters")));
            out().flush();
            return 0;
        }
    }

    /** "connections=3 translated=120 ..." with the NAT counters and the non-zero drops. */
    static String counters(final JsonNode counters)
    {
        final StringBuilder sb = new StringBuilder("nat:");
        final Iterator<Map.Entry<String, JsonNode>> fields = counters.fields();
        while (fields.hasNext())
        {
            final Map.Entry<String, JsonNode> e = fields.next();
            final long value = e.getValue().asLong();
            if (e.getKey().startsWith("nat_") || value != 0)
            {
                sb.append(' ').append(e.getKey()).append('=').append(value);
            }
        }
        return sb.toString();
    }
}
