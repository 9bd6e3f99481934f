package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvs.control.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** {@code jvs overlay}: cluster members, this host's VTEP peers, overlay networks and where their endpoints live. */
@Command(name = "overlay", description = "Show the overlay: hosts, peers, networks and their endpoints.",
    mixinStandardHelpOptions = true, subcommands = OverlayCommand.RotateKey.class)
final class OverlayCommand extends ClientCommand
{
    /** {@code jvs overlay rotate-key NET}: a new key for an encrypted overlay network on every host. */
    @Command(name = "rotate-key", mixinStandardHelpOptions = true,
        description = "Publish a new key for an encrypted overlay network (hosts seal with it a few seconds later; " +
            "the previous key is still accepted for a grace period).")
    static final class RotateKey extends ClientCommand
    {
        @picocli.CommandLine.Parameters(paramLabel = "NETWORK")
        String network;

        int run(final ApiClient api) throws Exception
        {
            final JsonNode answer = api.rotateOverlayKey(network);
            out().println(answer.path("Network").asText() + ": key " + answer.path("KeyId").asInt() + " seals from " +
                answer.path("SealingFrom").asText() + (answer.has("PreviousKeyId") ? "; key " +
                answer.path("PreviousKeyId").asInt() + " accepted until " + answer.path("PreviousRetiredAt").asText() :
                ""));
            out().flush();
            return 0;
        }
    }

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
        if (view.path("Vtep").has("Sealing"))
        {
            out().println("seal:  " + view.path("Vtep").path("Sealing").asText());
        }
        if (!view.path("LastError").asText().isEmpty())
        {
            out().println("error: " + view.path("LastError").asText());
        }
        out().println();
        final Table table = new Table("NETWORK", "VNI", "SUBNET", "SANDBOX", "ADDRESS", "HOST");
        for (final JsonNode n : view.path("Networks"))
        {
            final String vni = n.path("Vni").asInt() + (n.path("Encrypted").asBoolean() ? " (encrypted)" : "");
            if (n.path("Endpoints").isEmpty())
            {
                table.row(n.path("Name").asText(), vni, n.path("Subnet").asText(), "-", "-", "-");
            }
            for (final JsonNode e : n.path("Endpoints"))
            {
                table.row(n.path("Name").asText(), vni, n.path("Subnet").asText(),
                    e.path("Sandbox").asText(), e.path("Address").asText(), e.path("Host").asText());
            }
        }
        table.print(out());
        out().flush();
        return 0;
    }
}
