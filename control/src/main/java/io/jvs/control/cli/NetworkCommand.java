package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvs.control.common.JvsException;
import io.jvs.control.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/** {@code jvs network ...}, mirroring {@code docker network}. */
@Command(
    name = "network",
    description = "Manage networks.",
    mixinStandardHelpOptions = true,
    subcommands = {
        NetworkCommand.Create.class,
        NetworkCommand.Ls.class,
        NetworkCommand.Inspect.class,
        NetworkCommand.Connect.class,
        NetworkCommand.Disconnect.class,
        NetworkCommand.Rm.class,
        NetworkCommand.Prune.class
    })
final class NetworkCommand
{
    private static final int SHORT_ID = 12;

    @Command(name = "create", description = "Create a network.", mixinStandardHelpOptions = true)
    static final class Create extends ClientCommand
    {
        @Option(names = {"-d", "--driver"}, paramLabel = "DRIVER", defaultValue = "bridge",
            description = "Driver to manage the network: bridge (this host), macvlan or ipvlan (a host interface's LAN) " +
                "or overlay (VXLAN across jvs hosts).")
        String driver;

        @Option(names = {"-o", "--opt"}, paramLabel = "KEY[=VALUE]",
            description = "Driver option; macvlan, ipvlan: parent=IFACE[.VLAN], ipvlan_mode=l2|l3; " +
                "overlay: vni=N (default: lowest free from 4096), encrypted.")
        List<String> opts;

        @Option(names = "--ip-range", paramLabel = "CIDR", description = "Allocate sandbox addresses from this " +
            "range of the subnet; once per address family.")
        List<String> ipRanges = new java.util.ArrayList<>();

        @Option(names = "--aux-address", paramLabel = "NAME=IP", description = "An address of the subnet never handed to a sandbox.")
        java.util.Map<String, String> auxAddresses = new java.util.LinkedHashMap<>();

        @Option(names = "--subnet", paramLabel = "CIDR", description = "Subnet, e.g. 10.10.0.0/24 (default: a free " +
            "/24 of 10.231.0.0/16); give it twice, once per family, for dual-stack (with --ipv6): " +
            "--subnet 10.10.0.0/24 --subnet 2001:db8:1::/64.")
        List<String> subnets = new java.util.ArrayList<>();

        @Option(names = "--gateway", paramLabel = "IP", description = "Gateway address inside the subnet (default: " +
            "the first address); once per address family.")
        List<String> gateways = new java.util.ArrayList<>();

        @Option(names = "--ipv6", description = "Dual-stack: sandboxes get an IPv6 address too, from the IPv6 " +
            "--subnet or else a /64 of the daemon's IPv6 pool (fd4a:7c5e:91b3::/48 by default). Bridge networks only.")
        boolean ipv6;

        @Option(names = "--ipv4", arity = "1", defaultValue = "true", paramLabel = "BOOL", description = "IPv4 on " +
            "the network (default true); --ipv4=false with --ipv6 makes an IPv6-only network (Docker 28's flag).")
        boolean ipv4;

        @Option(names = "--internal", description = "No default route for sandboxes on this network.")
        boolean internal;

        @Parameters(paramLabel = "NAME")
        String name;

        int run(final ApiClient api) throws Exception
        {
            final java.util.Map<String, String> options = new java.util.LinkedHashMap<>();
            if (opts != null)
            {
                for (final String opt : opts)
                {
                    final int eq = opt.indexOf('=');
                    options.put(eq < 0 ? opt : opt.substring(0, eq), eq < 0 ? "" : opt.substring(eq + 1));
                }
            }
            out().println(api.createNetwork(name, driver, internal, options, auxAddresses, ipv6, ipv4, subnets,
                gateways, ipRanges));
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List networks.", mixinStandardHelpOptions = true)
    static final class Ls extends ClientCommand
    {
        private static final ListOutput.Shape SHAPE = new ListOutput.Shape(
            "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", Map.of("ID", "NETWORK ID"), "ID");

        @Mixin
        ListOptions list;

        @Option(names = "--no-trunc", description = "Do not truncate the output.")
        boolean noTrunc;

        int run(final ApiClient api) throws Exception
        {
            final Predicate<JsonNode> match = list.filter(Map.of(
                "name", (n, v) -> n.path("Name").asText().contains(v),
                "id", (n, v) -> n.path("FullId").asText().startsWith(v),
                "driver", (n, v) -> n.path("Driver").asText().equals(v),
                "scope", (n, v) -> n.path("Scope").asText().equals(v),
                "label", ListOutput::label,
                "type", (n, v) -> (n.path("Predefined").asBoolean() ? "builtin" : "custom").equals(v)));
            final List<JsonNode> rows = new ArrayList<>();
            for (final JsonNode network : api.networks())
            {
                final ObjectNode row = Json.mapper().createObjectNode();
                final String id = network.path("Id").asText();
                row.put("ID", noTrunc ? id : id.substring(0, SHORT_ID));
                row.put("Name", network.path("Name").asText());
                row.put("Driver", network.path("Driver").asText());
                row.put("Scope", network.path("Scope").asText());
                row.put("Internal", network.path("Internal").asBoolean());
                row.put("IPv6", network.path("EnableIPv6").asBoolean());
                row.set("Labels", network.path("Labels"));
                row.put("CreatedAt", network.path("Created").asText());
                final ObjectNode matched = row.deepCopy()
                    .put("FullId", id).put("Predefined", network.path("Predefined").asBoolean());
                if (match.test(matched))
                {
                    rows.add(row);
                }
            }
            list.print(rows, SHAPE, out());
            return 0;
        }
    }

    @Command(name = "inspect", description = "Display detailed information on one or more networks.",
        mixinStandardHelpOptions = true)
    static final class Inspect extends ClientCommand
    {
        @Parameters(paramLabel = "NETWORK", arity = "1..*")
        List<String> networks;

        @Option(names = {"-f", "--format"}, paramLabel = "FORMAT",
            description = "json (one network per line) or a template applied to each network: '{{.Name}} {{.Id}}', " +
                "'{{json .IPAM.Config}}'.")
        String format;

        int run(final ApiClient api) throws Exception
        {
            final ArrayNode found = Json.mapper().createArrayNode();
            JvsException missing = null;
            for (final String network : networks)
            {
                try
                {
                    found.add(api.network(network));
                }
                catch (final JvsException ex)
                {
                    if (missing == null)
                    {
                        missing = ex;
                    }
                }
            }
            if (format == null)
            {
                out().println(Json.pretty(found));
            }
            else
            {
                final GoTemplate template = "json".equals(format) ? null : GoTemplate.parse(format);
                found.forEach(n -> out().println(template == null ? n.toString() : template.apply(n)));
            }
            out().flush();
            if (missing != null)
            {
                throw missing;
            }
            return 0;
        }
    }

    @Command(name = "connect", description = "Connect a sandbox to a network.", mixinStandardHelpOptions = true)
    static final class Connect extends ClientCommand
    {
        @Parameters(index = "0", paramLabel = "NETWORK")
        String network;

        @Option(names = {"-p", "--publish"}, paramLabel = "[HOSTIP:]HOSTPORT:PORT[/udp]",
            description = "Publish a port (or range, 8000-8010:80-90) of the sandbox on the uplink address and the " +
                "host port (destination NAT in the switch) and on 127.0.0.1. HOSTIP 127.0.0.1: loopback only; the " +
                "uplink address: DNAT only. HOSTPORT 0: jvs chooses one in 49153-65535 (`jvs nat ls` shows it). " +
                "Repeatable.")
        java.util.List<String> publish = new java.util.ArrayList<>();

        @Parameters(index = "1", paramLabel = "SANDBOX")
        String sandbox;

        int run(final ApiClient api) throws Exception
        {
            api.connect(network, sandbox, publish);
            return 0;
        }
    }

    @Command(name = "disconnect", description = "Disconnect a sandbox from a network.", mixinStandardHelpOptions = true)
    static final class Disconnect extends ClientCommand
    {
        @Parameters(index = "0", paramLabel = "NETWORK")
        String network;

        @Parameters(index = "1", paramLabel = "SANDBOX")
        String sandbox;

        int run(final ApiClient api) throws Exception
        {
            api.disconnect(network, sandbox);
            return 0;
        }
    }

    @Command(name = "rm", aliases = "remove", description = "Remove one or more networks.", mixinStandardHelpOptions = true)
    static final class Rm extends ClientCommand
    {
        @Parameters(paramLabel = "NETWORK", arity = "1..*")
        List<String> networks;

        int run(final ApiClient api) throws Exception
        {
            return removeEach(networks, api::removeNetwork);
        }
    }

    @Command(name = "prune", description = "Remove all unused networks.", mixinStandardHelpOptions = true)
    static final class Prune extends ClientCommand
    {
        @Option(names = {"-f", "--force"}, description = "Do not prompt for confirmation.")
        boolean force;

        int run(final ApiClient api) throws Exception
        {
            if (!force)
            {
                out().print("WARNING! This will remove all custom networks not used by at least one sandbox.\n" +
                    "Are you sure you want to continue? [y/N] ");
                out().flush();
                final String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                    .readLine();
                if (answer == null || !answer.trim().toLowerCase(Locale.ROOT).startsWith("y"))
                {
                    return 0;
                }
            }
            final List<String> removed = api.pruneNetworks();
            if (!removed.isEmpty())
            {
                out().println("Deleted Networks:");
                removed.forEach(out()::println);
            }
            out().flush();
            return 0;
        }
    }
}
