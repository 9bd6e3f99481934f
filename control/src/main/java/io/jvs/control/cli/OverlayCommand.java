package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvs.control.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** {@code jvs overlay}: cluster members, this host's VTEP peers, overlay networks and where their endpoints live. */
@Command(name = "overlay", description = "Show the overlay: hosts, peers, networks and their endpoints.",
    mixinStandardHelpOptions = true)
final class OverlayCommand extends ClientCommand
{
    @Option(names = "--json", description = "Print the raw JSON answer (with VTEP and tunnel port counters).")
    boolean json;

    int run(final ApiClient api) throws Exception
    {
        final JsonNode view = api.overlay();
        if (json)
        {
            out().println(Json.pretty(view));
            out().flush();
            return 0;
        }
        if (!view.path("Enabled").asBoolean())
        {
            out().println("overlay: not enabled");
            out().flush();
            return 0;
        }
        out().println("host:  " + view.path("Host").asText());
        out().println("store: " + view.path("Store").asText() + " (lease TTL " + view.path("LeaseTtlSeconds").asLong() +
            " s)");
        final List<String> hosts = new ArrayList<>();
        view.path("Hosts").forEach(h -> hosts.add(h.path("Address").asText() + " (" + h.path("Hostname").asText() + ")"));
        out().println("hosts: " + (hosts.isEmpty() ? "-" : String.join(", ", hosts)));
        final List<String> peers = new ArrayList<>();
        view.path("Peers").forEach(p -> peers.add(p.asText()));
        out().println("peers: " + (peers.isEmpty() ? "-" : String.join(", ", peers)));
        if (!view.path("LastError").asText().isEmpty())
        {
            out().println("error: " + view.path("LastError").asText());
        }
        out().println();
        final Table table = new Table("NETWORK", "VNI", "SUBNET", "SANDBOX", "ADDRESS", "HOST");
        for (final JsonNode n : view.path("Networks"))
        {
            if (n.path("Endpoints").isEmpty())
            {
                table.row(n.path("Name").asText(), n.path("Vni").asInt(), n.path("Subnet").asText(), "-", "-", "-");
            }
            for (final JsonNode e : n.path("Endpoints"))
            {
                table.row(n.path("Name").asText(), n.path("Vni").asInt(), n.path("Subnet").asText(),
                    e.path("Sandbox").asText(), e.path("Address").asText(), e.path("Host").asText());
            }
        }
        table.print(out());
        out().flush();
        return 0;
    }
}
