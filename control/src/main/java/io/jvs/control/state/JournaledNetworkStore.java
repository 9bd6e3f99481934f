package io.jvs.control.state;

import io.jvs.control.common.JvsException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipv6Address;
import io.jvs.control.ipam.Ipv6Subnet;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * The network store made durable: every change is written to the {@link StateTables} before the in-memory view
 * changes, and a store opened on the same tables comes back with the same networks, sandboxes and endpoints.
 * Bridge-domain and port ids are saved too, but they belong to the switch of the process that wrote them: after a
 * restart the control plane hands out new ones (see {@code NetworkService.restore}).
 */
public final class JournaledNetworkStore implements NetworkStore
{
    static final String NETWORKS = "network";
    static final String SANDBOXES = "sandbox";
    static final String ENDPOINTS = "endpoint";
    static final String PUBLISHED = "published";
    static final String ATTACH_INTENTS = "attach-intent";

    private final StateTables tables;
    private final InMemoryNetworkStore memory = new InMemoryNetworkStore();
    private final ObjectMapper json = new ObjectMapper();

    public JournaledNetworkStore(final StateTables tables)
    {
        this.tables = tables;
        load(NETWORKS, (key, row) -> memory.putNetwork(network(row)));
        tables.rows(ATTACH_INTENTS).keySet().forEach(memory::putAttachIntent);
        load(SANDBOXES, (key, row) -> memory.putSandbox(sandbox(row)));
        load(ENDPOINTS, (key, row) -> memory.putEndpoint(endpoint(row)));
        load(PUBLISHED, (id, row) ->
        {
            final List<String> ranges = new ArrayList<>();
            row.path("ranges").forEach(range -> ranges.add(range.asText()));
            memory.putPublishedPorts(id, ranges);
        });
    }

    /** Decodes one table's rows; a row that does not decode refuses the start with where it is, changing nothing. */
    private void load(final String table, final BiConsumer<String, JsonNode> decode)
    {
        tables.rows(table).forEach((key, row) ->
        {
            try
            {
                decode.accept(key, row);
            }
            catch (final RuntimeException ex)
            {
                throw JvsException.invalid("the state journal's " + table + " \"" + key + "\" cannot be read (" +
                    ex + "): run the jvs that wrote it, or move the state directory away to start empty");
            }
        });
    }

    public List<Network> networks()
    {
        return memory.networks();
    }

    public Optional<Network> network(final String id)
    {
        return memory.network(id);
    }

    public void putNetwork(final Network network)
    {
        tables.put(NETWORKS, network.id(), row(network));
        memory.putNetwork(network);
    }

    public void removeNetwork(final String id)
    {
        tables.remove(NETWORKS, id);
        memory.removeNetwork(id);
    }

    public List<Sandbox> sandboxes()
    {
        return memory.sandboxes();
    }

    public Optional<Sandbox> sandbox(final String name)
    {
        return memory.sandbox(name);
    }

    public void putSandbox(final Sandbox sandbox)
    {
        tables.put(SANDBOXES, sandbox.name(), json.createObjectNode()
            .put("name", sandbox.name()).put("created", sandbox.created().toString()));
        memory.putSandbox(sandbox);
    }

    public void removeSandbox(final String name)
    {
        tables.remove(SANDBOXES, name);
        memory.removeSandbox(name);
    }

    public List<Endpoint> endpoints()
    {
        return memory.endpoints();
    }

    public Optional<Endpoint> endpoint(final String networkId, final String sandbox)
    {
        return memory.endpoint(networkId, sandbox);
    }

    public List<Endpoint> endpointsOfNetwork(final String networkId)
    {
        return memory.endpointsOfNetwork(networkId);
    }

    public List<Endpoint> endpointsOfSandbox(final String sandbox)
    {
        return memory.endpointsOfSandbox(sandbox);
    }

    public Optional<Endpoint> endpointById(final String id)
    {
        return memory.endpointById(id);
    }

    public void putEndpoint(final Endpoint endpoint)
    {
        final String key = endpoint.networkId() + '/' + endpoint.sandbox();
        if (memory.attachIntents().contains(endpoint.hostInterface()))
        {
            tables.apply(List.of(new StateTables.Change(ENDPOINTS, key, row(endpoint)),
                StateTables.Change.remove(ATTACH_INTENTS, endpoint.hostInterface())));
        }
        else
        {
            tables.put(ENDPOINTS, key, row(endpoint));
        }
        memory.putEndpoint(endpoint);
    }

    public List<String> attachIntents()
    {
        return memory.attachIntents();
    }

    public void putAttachIntent(final String hostInterface)
    {
        tables.put(ATTACH_INTENTS, hostInterface, json.createObjectNode());
        memory.putAttachIntent(hostInterface);
    }

    public void removeAttachIntent(final String hostInterface)
    {
        tables.remove(ATTACH_INTENTS, hostInterface);
        memory.removeAttachIntent(hostInterface);
    }

    public void removeEndpoint(final String networkId, final String sandbox)
    {
        tables.remove(ENDPOINTS, networkId + '/' + sandbox);
        memory.removeEndpoint(networkId, sandbox);
    }

    public Map<String, List<String>> publishedPorts()
    {
        return memory.publishedPorts();
    }

    public void putPublishedPorts(final String endpointId, final List<String> ranges)
    {
        if (ranges.isEmpty())
        {
            if (memory.publishedPorts().containsKey(endpointId))
            {
                tables.remove(PUBLISHED, endpointId);
            }
        }
        else
        {
            final ObjectNode row = json.createObjectNode().put("endpoint", endpointId);
            ranges.forEach(row.putArray("ranges")::add);
            tables.put(PUBLISHED, endpointId, row);
        }
        memory.putPublishedPorts(endpointId, ranges);
    }

    // ------------------------------------------------------------------------------------------------- encoding

    private ObjectNode row(final Network n)
    {
        final ObjectNode row = json.createObjectNode()
            .put("id", n.id())
            .put("name", n.name())
            .put("driver", n.driver())
            .put("internal", n.internal())
            .put("subnet", n.subnet() == null ? null : n.subnet().toString())
            .put("gateway", n.gateway())
            .put("predefined", n.predefined())
            .put("created", n.created().toString())
            .put("bridgeDomain", n.bridgeDomainId());
        // written only when present: rows of plain networks read the same by older and newer daemons
        if (!n.options().isEmpty())
        {
            n.options().forEach(row.putObject("options")::put);
        }
        if (n.ipRange() != null)
        {
            row.put("ipRange", n.ipRange().toString());
        }
        if (!n.auxAddresses().isEmpty())
        {
            n.auxAddresses().forEach(row.putObject("auxAddresses")::put);
        }
        if (n.hasIpv6())
        {
            final ObjectNode ipv6 = row.putObject("ipv6")
                .put("subnet", n.ipv6().subnet().toString())
                .put("gateway", n.ipv6().gateway().toString());
            if (n.ipv6().range() != null)
            {
                ipv6.put("ipRange", n.ipv6().range().toString());
            }
        }
        return row;
    }

    private static Network network(final JsonNode row)
    {
        final JsonNode subnet = row.get("subnet");
        return new Network(row.path("id").asText(), row.path("name").asText(), row.path("driver").asText(),
            row.path("internal").asBoolean(), subnet == null || subnet.isNull() ? null : Cidr.parse(subnet.asText()),
            row.path("gateway").asInt(), row.path("predefined").asBoolean(),
            Instant.parse(row.path("created").asText()), row.path("bridgeDomain").asInt(), strings(row.path("options")),
            row.hasNonNull("ipRange") ? Cidr.parse(row.path("ipRange").asText()) : null,
            strings(row.path("auxAddresses")), ipv6(row.get("ipv6")));
    }

    /** Null for rows without IPv6 (every row an older daemon wrote). */
    private static Ipv6Subnet ipv6(final JsonNode ipv6)
    {
        return ipv6 == null || ipv6.isNull() ? null : Ipv6Subnet.parse(ipv6.path("subnet").asText(),
            ipv6.path("gateway").asText(), ipv6.hasNonNull("ipRange") ? ipv6.path("ipRange").asText() : null);
    }

    private static Map<String, String> strings(final JsonNode node)
    {
        final Map<String, String> map = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }

    private static Sandbox sandbox(final JsonNode row)
    {
        return new Sandbox(row.path("name").asText(), Instant.parse(row.path("created").asText()));
    }

    private ObjectNode row(final Endpoint e)
    {
        final ObjectNode row = json.createObjectNode()
            .put("id", e.id())
            .put("networkId", e.networkId())
            .put("sandbox", e.sandbox())
            .put("hostInterface", e.hostInterface())
            .put("sandboxInterface", e.sandboxInterface())
            .put("mac", e.macAddress())
            .put("address", e.address())
            .put("prefix", e.prefix())
            .put("port", e.portId());
        if (e.address6() != null)
        {
            row.put("address6", e.address6().toString()).put("prefix6", e.prefix6());
        }
        return row;
    }

    private static Endpoint endpoint(final JsonNode row)
    {
        return new Endpoint(row.path("id").asText(), row.path("networkId").asText(), row.path("sandbox").asText(),
            row.path("hostInterface").asText(), row.path("sandboxInterface").asText(), row.path("mac").asText(),
            row.path("address").asInt(), row.path("prefix").asInt(), row.path("port").asInt(),
            row.hasNonNull("address6") ? Ipv6Address.parse(row.path("address6").asText()) : null,
            row.path("prefix6").asInt());
    }
}
