package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.jvs.control.common.JvsException;
import io.jvs.control.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** {@code jvs sandbox ...}: network namespaces standing in for containers. */
@Command(
    name = "sandbox",
    description = "Manage sandboxes (network namespaces used as containers; enter one with `ip netns exec NAME`).",
    mixinStandardHelpOptions = true,
    subcommands = {
        SandboxCommand.Create.class,
        SandboxCommand.Ls.class,
        SandboxCommand.Inspect.class,
        SandboxCommand.Rm.class
    })
final class SandboxCommand
{
    @Command(name = "create", description = "Create a sandbox (ip netns add NAME, lo up).", mixinStandardHelpOptions = true)
    static final class Create extends ClientCommand
    {
        @Parameters(paramLabel = "NAME")
        String name;

        int run(final ApiClient api) throws Exception
        {
            api.createSandbox(name);
            out().println(name);
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List sandboxes.", mixinStandardHelpOptions = true)
    static final class Ls extends ClientCommand
    {
        private static final ListOutput.Shape SHAPE = new ListOutput.Shape(
            "table {{.Name}}\t{{.Networks}}\t{{.Interfaces}}", Map.of(), "Name");

        @Mixin
        ListOptions list;

        int run(final ApiClient api) throws Exception
        {
            final Predicate<JsonNode> match = list.filter(Map.of(
                "name", (n, v) -> n.path("Name").asText().contains(v),
                "network", (n, v) -> List.of(n.path("Networks").asText().split(",")).contains(v)));
            final List<JsonNode> rows = new ArrayList<>();
            for (final JsonNode sandbox : api.sandboxes())
            {
                final List<String> networks = new ArrayList<>();
                final List<String> interfaces = new ArrayList<>();
                for (final Map.Entry<String, JsonNode> network : sandbox.path("Networks").properties())
                {
                    networks.add(network.getKey());
                    final String ipv6 = network.getValue().path("IPv6Address").asText();
                    final String ipv4 = network.getValue().path("IPv4Address").asText();
                    interfaces.add(network.getValue().path("Interface").asText() + "=" + ipv4 +
                        (ipv6.isEmpty() ? "" : (ipv4.isEmpty() ? "" : "+") + ipv6));
                }
                final ObjectNode row = Json.mapper().createObjectNode()
                    .put("Name", sandbox.path("Name").asText())
                    .put("Networks", networks.isEmpty() ? "-" : String.join(",", networks))
                    .put("Interfaces", interfaces.isEmpty() ? "-" : String.join(",", interfaces))
                    .put("CreatedAt", sandbox.path("Created").asText());
                if (match.test(row))
                {
                    rows.add(row);
                }
            }
            list.print(rows, SHAPE, out());
            return 0;
        }
    }

    @Command(name = "inspect", description = "Display detailed information on sandboxes.", mixinStandardHelpOptions = true)
    static final class Inspect extends ClientCommand
    {
        @Parameters(paramLabel = "SANDBOX", arity = "1..*")
        List<String> sandboxes;

        int run(final ApiClient api) throws Exception
        {
            final ArrayNode found = Json.mapper().createArrayNode();
            JvsException missing = null;
            for (final String name : sandboxes)
            {
                try
                {
                    found.add(api.sandbox(name));
                }
                catch (final JvsException ex)
                {
                    missing = missing == null ? ex : missing;
                }
            }
            out().println(Json.pretty(found));
            out().flush();
            if (missing != null)
            {
                throw missing;
            }
            return 0;
        }
    }

    @Command(name = "rm", aliases = "remove",
        description = "Remove sandboxes: disconnect them from every network, then delete the namespace.",
        mixinStandardHelpOptions = true)
    static final class Rm extends ClientCommand
    {
        @Parameters(paramLabel = "SANDBOX", arity = "1..*")
        List<String> sandboxes;

        int run(final ApiClient api) throws Exception
        {
            return removeEach(sandboxes, api::removeSandbox);
        }
    }
}
