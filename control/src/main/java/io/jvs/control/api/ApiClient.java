package io.jvs.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvs.control.common.JvsException;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The CLI's view of the daemon: one method per API call, answers as JSON trees. A refusal comes back as a
 * {@link JvsException} carrying the daemon's message; an unreachable daemon as
 * {@link UnixHttpClient.UnreachableException}.
 */
public final class ApiClient
{
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final UnixHttpClient http;
    private final ObjectMapper json = new ObjectMapper();

    public ApiClient(final Path socket)
    {
        this(new UnixHttpClient(socket, DEFAULT_TIMEOUT));
    }

    public ApiClient(final UnixHttpClient http)
    {
        this.http = http;
    }

    public Path socket()
    {
        return http.socket();
    }

    public boolean ping()
    {
        try
        {
            return http.send("GET", "/_ping", null).status() == 200;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    public JsonNode networks() throws IOException
    {
        return call("GET", "/networks", null);
    }

    public JsonNode network(final String ref) throws IOException
    {
        return call("GET", "/networks/" + encode(ref), null);
    }

    public String createNetwork(
        final String name, final String driver, final String subnet, final String gateway, final boolean internal)
        throws IOException
    {
        return createNetwork(name, driver, subnet, gateway, internal, java.util.Map.of(), null, java.util.Map.of());
    }

    /**
     * @param options driver options, as {@code -o key=value} (a bare {@code -o key} maps to "").
     * @param ipRange {@code --ip-range}, or null.
     * @param aux     {@code --aux-address} NAME=IP pairs.
     */
    public String createNetwork(
        final String name, final String driver, final String subnet, final String gateway, final boolean internal,
        final java.util.Map<String, String> options, final String ipRange, final java.util.Map<String, String> aux)
        throws IOException
    {
        return createNetwork(name, driver, internal, options, aux, false, true, listOf(subnet), listOf(gateway),
            listOf(ipRange));
    }

    private static List<String> listOf(final String text)
    {
        return text == null ? List.of() : List.of(text);
    }

    /**
     * A network with at most one subnet, gateway and ip-range per address family ({@code --subnet} given twice for
     * dual-stack, as with Docker): each goes to the IPAM config entry of its family, the auxiliary addresses to the
     * IPv4 one.
     *
     * @param ipv6 {@code --ipv6}: an IPv6 subnet too (a /64 of the daemon's IPv6 pool when none is given).
     * @param ipv4 {@code --ipv4}: false for an IPv6-only network.
     */
    public String createNetwork(
        final String name, final String driver, final boolean internal, final java.util.Map<String, String> options,
        final java.util.Map<String, String> aux, final boolean ipv6, final boolean ipv4, final List<String> subnets,
        final List<String> gateways, final List<String> ipRanges) throws IOException
    {
        final ObjectNode body = json.createObjectNode();
        if (options != null && !options.isEmpty())
        {
            final ObjectNode opts = body.putObject("Options");
            options.forEach(opts::put);
        }
        body.put("Name", name);
        if (driver != null)
        {
            body.put("Driver", driver);
        }
        body.put("Internal", internal);
        if (ipv6)
        {
            body.put("EnableIPv6", true);
        }
        if (!ipv4)
        {
            body.put("EnableIPv4", false);
        }
        final List<ObjectNode> configs = new ArrayList<>();
        subnets.forEach(subnet -> configs.add(json.createObjectNode().put("Subnet", subnet)));
        gateways.forEach(gateway -> configOf(configs, gateway, "Gateway").put("Gateway", gateway));
        ipRanges.forEach(range -> configOf(configs, range, "IPRange").put("IPRange", range));
        if (aux != null && !aux.isEmpty())
        {
            final ObjectNode auxNode = configOf(configs, "0.0.0.0", "AuxiliaryAddresses").putObject(
                "AuxiliaryAddresses");
            aux.forEach(auxNode::put);
        }
        if (!configs.isEmpty())
        {
            configs.forEach(body.putObject("IPAM").putArray("Config")::add);
        }
        return call("POST", "/networks/create", body).path("Id").asText();
    }

    /**
     * The first IPAM config entry of {@code address}'s family without {@code field}; a new one when there is none
     * (the daemon refuses a second subnet of one family, so a second one is sent as given).
     */
    private ObjectNode configOf(final List<ObjectNode> configs, final String address, final String field)
    {
        final boolean ipv6 = address.indexOf(':') >= 0;
        for (final ObjectNode config : configs)
        {
            final String family = config.path("Subnet").asText(config.path("Gateway").asText(
                config.path("IPRange").asText("0.0.0.0")));
            if ((family.indexOf(':') >= 0) == ipv6 && !config.has(field))
            {
                return config;
            }
        }
        final ObjectNode config = json.createObjectNode();
        configs.add(config);
        return config;
    }

    public void removeNetwork(final String ref) throws IOException
    {
        call("DELETE", "/networks/" + encode(ref), null);
    }

    public List<String> pruneNetworks() throws IOException
    {
        final List<String> names = new ArrayList<>();
        call("POST", "/networks/prune", null).path("NetworksDeleted").forEach(n -> names.add(n.asText()));
        return names;
    }

    public JsonNode connect(final String network, final String sandbox) throws IOException
    {
        return connect(network, sandbox, List.of());
    }

    /** @param publish "HOSTPORT[-END]:PORT[-END][/udp]" each. */
    public JsonNode connect(final String network, final String sandbox, final List<String> publish) throws IOException
    {
        final ObjectNode body = json.createObjectNode().put("Container", sandbox);
        if (!publish.isEmpty())
        {
            final com.fasterxml.jackson.databind.node.ArrayNode list = body.putArray("Publish");
            publish.forEach(list::add);
        }
        return call("POST", "/networks/" + encode(network) + "/connect", body);
    }

    public JsonNode nat() throws IOException
    {
        return call("GET", "/nat", null);
    }

    public void disconnect(final String network, final String sandbox) throws IOException
    {
        call("POST", "/networks/" + encode(network) + "/disconnect", json.createObjectNode().put("Container", sandbox));
    }

    public JsonNode sandboxes() throws IOException
    {
        return call("GET", "/sandboxes", null);
    }

    public JsonNode sandbox(final String name) throws IOException
    {
        return call("GET", "/sandboxes/" + encode(name), null);
    }

    public JsonNode createSandbox(final String name) throws IOException
    {
        return call("POST", "/sandboxes/create", json.createObjectNode().put("Name", name));
    }

    public void removeSandbox(final String name) throws IOException
    {
        call("DELETE", "/sandboxes/" + encode(name), null);
    }

    public JsonNode stats() throws IOException
    {
        return call("GET", "/stats", null);
    }

    public JsonNode macTable() throws IOException
    {
        return call("GET", "/mac", null);
    }

    public JsonNode overlay() throws IOException
    {
        return call("GET", "/overlay", null);
    }

    public JsonNode rotateOverlayKey(final String network) throws IOException
    {
        return call("POST", "/overlay/rotate-key", json.createObjectNode().put("Network", network));
    }

    /** @param port a port id, interface, sandbox or SANDBOX:IFACE. @return {"Cleared": [port ids]}. */
    public JsonNode clearStats(final String port) throws IOException
    {
        return call("POST", "/stats/clear", json.createObjectNode().put("Port", port));
    }

    public JsonNode latency() throws IOException
    {
        return call("GET", "/stats/latency", null);
    }

    public JsonNode logLevels() throws IOException
    {
        return call("GET", "/log", null);
    }

    /** @param logger null: jvs's own loggers. */
    public JsonNode setLogLevel(final String level, final String logger) throws IOException
    {
        final var body = json.createObjectNode().put("Level", level);
        if (logger != null)
        {
            body.put("Logger", logger);
        }
        return call("POST", "/log", body);
    }

    private JsonNode call(final String method, final String path, final JsonNode body) throws IOException
    {
        final ApiResponse response = http.send(method, path, body == null ? null : json.writeValueAsBytes(body));
        final JsonNode answer = response.body().length == 0 ? json.createObjectNode() : parse(response);
        if (response.status() >= 300)
        {
            final String message = answer.path("message").asText(response.bodyText());
            throw new JvsException(JvsException.Kind.ofHttpStatus(response.status()), message);
        }
        return answer;
    }

    private JsonNode parse(final ApiResponse response) throws IOException
    {
        try
        {
            return json.readTree(response.body());
        }
        catch (final IOException ex)
        {
            if (response.status() >= 300)
            {
                return json.createObjectNode().put("message", "HTTP " + response.status() + ": " +
                    response.bodyText().strip());
            }
            throw new IOException("the daemon answered with invalid JSON: " + ex.getMessage(), ex);
        }
    }

    private static String encode(final String segment)
    {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
