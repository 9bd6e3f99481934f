package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvs.control.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvs mac}: the switch's MAC table. */
@Command(name = "mac", description = "Show the MAC table: network, MAC, port, age, static.", mixinStandardHelpOptions = true)
final class MacCommand extends ClientCommand
{
    @Option(names = "--json", description = "Print the raw JSON answer.")
    boolean json;

    int run(final ApiClient api) throws Exception
    {
        final JsonNode table = api.macTable();
        if (json)
        {
            out().println(Json.pretty(table));
            out().flush();
            return 0;
        }
        print(table, out());
        return 0;
    }

    static void print(final JsonNode entries, final java.io.PrintWriter out)
    {
        final Table table = new Table("NETWORK", "MAC", "PORT", "INTERFACE", "SANDBOX", "AGE", "STATIC");
        for (final JsonNode e : entries)
        {
            final String sandbox = e.path("Sandbox").asText();
            table.row(e.path("Network").asText(), e.path("Mac").asText(), e.path("Port").asInt(),
                e.path("Interface").asText(), sandbox.isEmpty() ? "-" : sandbox + ":" + e.path("SandboxInterface").asText(),
                e.path("AgeSeconds").asLong() + "s", e.path("Static").asBoolean() ? "yes" : "no");
        }
        table.print(out);
    }
}
