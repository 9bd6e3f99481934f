package io.jvs.control.api;

import io.jvs.control.publish.Publication;
import io.jvs.control.publish.PortMapping;
import io.jvs.control.network.NetworkViews;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.jvs.control.common.JsonFields;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.common.JvsException;
import io.jvs.control.network.NetworkService;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.control.logging.Logs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * jvs's local API, shaped after Docker's network API where one exists (paths, JSON field names, {"message": ...}
 * errors with 400/403/404/409/500):
 * <pre>
 * GET    /_ping                         "OK"
 * GET    /version                       {"Version"}: the daemon's build (the pom's version, as `jvs --version`)
 * GET    /networks                      [network...]
 * POST   /networks/create               {"Name", "Driver", "Internal", "IPAM": {"Config": [{"Subnet", "Gateway"}]}}
 * GET    /networks/{id|name|id-prefix}  network, as docker network inspect
 * DELETE /networks/{ref}                204
 * POST   /networks/{ref}/connect        {"Container": sandbox, "Publish": ["8080:80", "53:53/udp"]}  ("Sandbox" too)
 * POST   /networks/{ref}/disconnect     {"Container": sandbox}
 * POST   /networks/prune                {"NetworksDeleted": [name...]}
 * GET    /sandboxes                     [sandbox...]
 * POST   /sandboxes/create              {"Name"}
 * GET    /sandboxes/{name}              sandbox
 * DELETE /sandboxes/{name}              204
 * GET    /stats                         {"Networks": [...], "Ports": [...]}
 * POST   /stats/clear                   {"Port": id|interface|sandbox|sandbox:iface} -> {"Cleared": [port ids]}
 * GET    /stats/latency                 {"Frames", "Buckets": [{"UpToMicros", "Frames"}...]}
 * GET    /mac                           [mac entry...]
 * GET    /overlay                       {"Host", "Store", "Vtep", "Hosts", "Peers", "Networks": [...]}
 * GET    /log                           {"Levels": {logger: level}}
 * POST   /log                           {"Level", "Logger" (default io.jvs)} -> {"Logger", "Level", "Previous"}
 * POST   /overlay/rotate-key            {"Network"} -> {"Network", "KeyId", "SealingFrom", "PreviousKeyId", ...}
 * GET    /nat                           {"Translations": [...], "Published": [...], "Counters": {...}, "L3": {...}}
 * </pre>
 */
public final class JvsApi implements ApiHandler
{
    private static final byte[] NO_BODY = new byte[0];
    private static final Logger LOG = LoggerFactory.getLogger(JvsApi.class);

    private final NetworkService service;
    private final ObjectMapper json = new ObjectMapper();
    private final StatsBaselines baselines = new StatsBaselines();

    public JvsApi(final NetworkService service)
    {
        this.service = service;
    }

    @Override
    public ApiResponse handle(final ApiRequest request)
    {
        LOG.debug("api: {} {}", request.method(), request.path());
        try
        {
            return route(request);
        }
        catch (final JvsException ex)
        {
            final int status = ex.kind().httpStatus();
            if (status >= 500 || ex.getCause() != null)
            {
                LOG.warn("api: {} {} -> {}: {}", request.method(), request.path(), status, ex.getMessage(), ex);
            }
            else
            {
                LOG.info("api: {} {} -> {}: {}", request.method(), request.path(), status, ex.getMessage());
            }
            return error(status, ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            LOG.error("api: {} {} -> 500", request.method(), request.path(), ex);
            return error(500, ex.getClass().getSimpleName() + ": " + ex.getMessage());
        }
    }

    private ApiResponse route(final ApiRequest request)
    {
        final String[] parts = request.path().replaceAll("^/+|/+$", "").split("/");
        final String method = request.method();
        final String resource = parts[0];
        final String ref = parts.length > 1 ? parts[1] : null;
        final String action = parts.length > 2 ? parts[2] : null;
        if (parts.length > 3)
        {
            return notFound(request);
        }
        switch (resource)
        {
            case "_ping":
                return new ApiResponse(200, "text/plain", "OK".getBytes(StandardCharsets.UTF_8));
            case "version":
                return ref == null && "GET".equals(method) ?
                    ok(Map.of("Version", io.jvs.control.common.JvsVersion.version())) : notFound(request);
            case "networks":
                return networks(request, method, ref, action);
            case "sandboxes":
                return sandboxes(request, method, ref, action);
            case "stats":
                return stats(request, method, ref);
            case "mac":
                return ref == null && "GET".equals(method) ? ok(macTable()) : notFound(request);
            case "overlay":
                if (ref == null && "GET".equals(method))
                {
                    return ok(OverlayView.of(service));
                }
                return "rotate-key".equals(ref) && "POST".equals(method) ?
                    ok(service.rotateOverlayKey(text(body(request), "Network"))) : notFound(request);
            case "log":
                return ref == null ? log(request, method) : notFound(request);
            case "nat":
                return ref == null && "GET".equals(method) ? ok(nat()) : notFound(request);
            default:
                return notFound(request);
        }
    }

    /** The daemon's log levels; a POST sets one ({@code jvs log set}). */
    private ApiResponse log(final ApiRequest request, final String method)
    {
        if ("GET".equals(method))
        {
            return ok(Map.of("Levels", Logs.levels()));
        }
        if (!"POST".equals(method))
        {
            return notFound(request);
        }
        final JsonNode body = body(request);
        final String logger = JsonFields.text(body, "", "Logger");
        final String name = logger == null || logger.isEmpty() ? Logs.JVS : logger;
        final String level = text(body, "Level");
        final String previous = Logs.set(name, level);
        LOG.info("log level of {} set to {} (was {})", name, level, previous);
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("Logger", name);
        out.put("Level", level.toLowerCase(java.util.Locale.ROOT));
        out.put("Previous", previous);
        return ok(out);
    }

    private ApiResponse networks(final ApiRequest request, final String method, final String ref, final String action)
    {
        if (ref == null)
        {
            return "GET".equals(method) ? ok(service.networks().stream().map(this::network).toList()) :
                notFound(request);
        }
        if (action == null)
        {
            if ("create".equals(ref) && "POST".equals(method))
            {
                final Network network = service.createNetwork(NetworkCreateBody.parse(body(request)));
                final Map<String, Object> created = new LinkedHashMap<>();
                created.put("Id", network.id());
                created.put("Warning", "");
                return respond(201, created);
            }
            if ("prune".equals(ref) && "POST".equals(method))
            {
                return ok(Map.of("NetworksDeleted", service.pruneNetworks()));
            }
            if ("GET".equals(method))
            {
                return ok(network(service.network(ref)));
            }
            if ("DELETE".equals(method))
            {
                service.removeNetwork(ref);
                return new ApiResponse(204, ApiResponse.JSON, NO_BODY);
            }
            return notFound(request);
        }
        if (!"POST".equals(method))
        {
            return notFound(request);
        }
        final JsonNode body = body(request);
        final String container = text(body, "Container");
        final String sandbox = container != null ? container : text(body, "Sandbox");
        if (sandbox == null || sandbox.isEmpty())
        {
            throw JvsException.invalid("the request names no sandbox (\"Container\")");
        }
        switch (action)
        {
            case "connect":
                final List<PortMapping> publish = new ArrayList<>();
                JsonFields.texts(body, "", "Publish").forEach(p -> publish.add(PortMapping.parse(p)));
                return ok(endpoint(service.connect(ref, sandbox, publish)));
            case "disconnect":
                service.disconnect(ref, sandbox);
                return ok(Map.of());
            default:
                return notFound(request);
        }
    }

    private ApiResponse sandboxes(final ApiRequest request, final String method, final String ref, final String action)
    {
        if (action != null)
        {
            return notFound(request);
        }
        if (ref == null)
        {
            return "GET".equals(method) ? ok(service.sandboxes().stream().map(JvsApi::sandbox).toList()) :
                notFound(request);
        }
        if ("create".equals(ref) && "POST".equals(method))
        {
            final String name = text(body(request), "Name");
            service.createSandbox(name);
            return respond(201, sandbox(service.sandbox(name)));
        }
        if ("GET".equals(method))
        {
            return ok(sandbox(service.sandbox(ref)));
        }
        if ("DELETE".equals(method))
        {
            service.removeSandbox(ref);
            return new ApiResponse(204, ApiResponse.JSON, NO_BODY);
        }
        return notFound(request);
    }

    // ------------------------------------------------------------------------------------------------ rendering

    private Map<String, Object> network(final NetworkViews.NetworkDetails details)
    {
        final Network n = details.network();
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("Name", n.name());
        out.put("Id", n.id());
        out.put("Created", n.created().toString());
        out.put("Scope", Network.DRIVER_OVERLAY.equals(n.driver()) ? "global" : Network.SCOPE);
        out.put("Driver", n.driver());
        out.put("EnableIPv4", n.hasIpv4() || !n.hasIpv6());
        out.put("EnableIPv6", n.hasIpv6());
        final Map<String, Object> ipam = new LinkedHashMap<>();
        ipam.put("Driver", "default");
        ipam.put("Options", null);
        final List<Object> config = new ArrayList<>();
        if (n.subnet() != null)
        {
            final Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("Subnet", n.subnet().toString());
            entry.put("Gateway", Ipv4.format(n.gateway()));
            if (n.ipRange() != null)
            {
                entry.put("IPRange", n.ipRange().toString());
            }
            if (!n.auxAddresses().isEmpty())
            {
                entry.put("AuxiliaryAddresses", n.auxAddresses());
            }
            config.add(entry);
        }
        if (n.hasIpv6())
        {
            final Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("Subnet", n.ipv6().subnet().toString());
            entry.put("Gateway", n.ipv6().gateway().toString());
            if (n.ipv6().range() != null)
            {
                entry.put("IPRange", n.ipv6().range().toString());
            }
            config.add(entry);
        }
        ipam.put("Config", config);
        out.put("IPAM", ipam);
        out.put("Internal", n.internal());
        out.put("Attachable", false);
        final Map<String, Object> containers = new LinkedHashMap<>();
        for (final Endpoint e : details.endpoints())
        {
            containers.put(e.sandbox(), endpoint(e));
        }
        out.put("Containers", containers);
        if (Network.DRIVER_OVERLAY.equals(n.driver()))
        {
            final List<Object> remote = new ArrayList<>();
            for (final io.jvs.control.overlay.EndpointRecord e : service.remoteEndpointsOf(n))
            {
                final Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("Name", e.sandbox());
                entry.put("MacAddress", e.mac());
                entry.put("IPv4Address", e.address() + "/" + n.subnet().prefix());
                entry.put("Host", e.host());
                remote.add(entry);
            }
            out.put("RemoteContainers", remote); // behind other hosts' VTEPs
        }
        out.put("Options", service.networkOptions(n));
        out.put("Labels", Map.of());
        out.put("Predefined", n.predefined());
        return out;
    }

    private static Map<String, Object> endpoint(final Endpoint e)
    {
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("Name", e.sandbox());
        out.put("EndpointID", e.id());
        out.put("MacAddress", e.macAddress());
        out.put("IPv4Address", e.ipv4Cidr());
        out.put("IPv6Address", e.ipv6Cidr());
        out.put("Interface", e.sandboxInterface());
        out.put("HostInterface", e.hostInterface());
        out.put("PortId", e.portId());
        return out;
    }

    private static Map<String, Object> sandbox(final NetworkViews.SandboxDetails details)
    {
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("Name", details.sandbox().name());
        out.put("Created", details.sandbox().created().toString());
        final Map<String, Object> networks = new LinkedHashMap<>();
        for (final Endpoint e : details.endpoints())
        {
            networks.put(details.networkNames().get(e.networkId()), endpoint(e));
        }
        out.put("Networks", networks);
        return out;
    }

    /** {@code GET /stats}, {@code POST /stats/clear {"Port"}}, {@code GET /stats/latency}. */
    private ApiResponse stats(final ApiRequest request, final String method, final String ref)
    {
        if (ref == null && "GET".equals(method))
        {
            return ok(stats());
        }
        if ("clear".equals(ref) && "POST".equals(method))
        {
            final String port = text(body(request), "Port");
            if (port == null || port.isEmpty())
            {
                throw JvsException.invalid("Port is missing: a port id, interface, sandbox or SANDBOX:IFACE");
            }
            return ok(Map.of("Cleared", baselines.clear(port, service.stats().ports())));
        }
        if ("latency".equals(ref) && "GET".equals(method))
        {
            return ok(LatencyView.of(service.latencyHistogram()));
        }
        return notFound(request);
    }

    private Map<String, Object> stats()
    {
        final NetworkViews.Stats stats = service.stats();
        baselines.retain(stats.ports());
        final List<Object> networks = new ArrayList<>();
        for (final NetworkViews.NetworkStatsView view : stats.networks())
        {
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("Network", view.network());
            out.put("BridgeDomain", view.stats().bridgeDomainId());
            out.put("Ports", view.stats().ports());
            out.put("MacEntries", view.stats().macEntries());
            out.put("Forwarded", view.stats().forwardedPackets());
            out.put("Flooded", view.stats().floodedPackets());
            out.put("Learned", view.stats().learned());
            out.put("Moves", view.stats().moves());
            out.put("Aged", view.stats().aged());
            out.put("Drops", view.stats().drops());
            networks.add(out);
        }
        final List<Object> ports = new ArrayList<>();
        for (final NetworkViews.PortView raw : stats.ports())
        {
            final NetworkViews.PortView view = new NetworkViews.PortView(baselines.since(raw.stats()), raw.network(),
                raw.sandbox(), raw.sandboxInterface());
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("Port", view.stats().portId());
            out.put("Interface", view.stats().name());
            out.put("Network", view.network());
            out.put("Sandbox", view.sandbox());
            out.put("SandboxInterface", view.sandboxInterface());
            out.put("RxPackets", view.stats().rxPackets());
            out.put("RxBytes", view.stats().rxBytes());
            out.put("TxPackets", view.stats().txPackets());
            out.put("TxBytes", view.stats().txBytes());
            out.put("Drops", view.stats().drops());
            out.put("RingBytes", view.stats().ringBytes());
            out.put("Lane", view.stats().lane());
            final java.time.Instant cleared = baselines.clearedAt(view.stats().portId());
            if (cleared != null)
            {
                out.put("ClearedAt", cleared.toString());
            }
            ports.add(out);
        }
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("Networks", networks);
        out.put("Ports", ports);
        out.put("Router", stats.router());
        if (stats.latency() != null)
        {
            final Map<String, Object> latency = new LinkedHashMap<>();
            latency.put("Frames", stats.latency().count());
            latency.put("P50Micros", stats.latency().p50Micros());
            latency.put("P99Micros", stats.latency().p99Micros());
            latency.put("P999Micros", stats.latency().p999Micros());
            latency.put("MaxMicros", stats.latency().maxMicros());
            out.put("Latency", latency);
        }
        return out;
    }

    private Map<String, Object> nat()
    {
        final List<Object> translations = new ArrayList<>();
        for (final io.jvs.dataplane.nat.NatEntry e : service.natTable())
        {
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("Protocol", e.protocol());
            out.put("Kind", e.kind());
            out.put("State", e.state());
            out.put("Original", e.original());
            out.put("Reply", e.reply());
            out.put("ExpiresInSeconds", e.expiresInSeconds());
            out.put("PacketsOriginal", e.packetsOriginal());
            out.put("PacketsReply", e.packetsReply());
            translations.add(out);
        }
        final List<Object> published = new ArrayList<>();
        for (final Publication p : service.publications())
        {
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("Network", p.network());
            out.put("Sandbox", p.sandbox());
            out.put("Address", p.address());
            out.put("Publish", p.mapping().toString());
            out.put("Rule", p.ruleId());
            published.add(out);
        }
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("Translations", translations);
        out.put("Published", published);
        out.put("Counters", service.routerCounters());
        out.put("L3", service.l3Summary());
        return out;
    }

    private List<Object> macTable()
    {
        final List<Object> table = new ArrayList<>();
        for (final NetworkViews.MacView view : service.macTable())
        {
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("Network", view.network());
            out.put("Mac", view.entry().mac());
            out.put("Port", view.entry().portId());
            out.put("Interface", view.hostInterface());
            out.put("Sandbox", view.sandbox());
            out.put("SandboxInterface", view.sandboxInterface());
            out.put("AgeSeconds", view.entry().ageSeconds());
            out.put("Static", view.entry().isStatic());
            table.add(out);
        }
        return table;
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    private JsonNode body(final ApiRequest request)
    {
        if (request.body().length == 0)
        {
            return json.createObjectNode();
        }
        try
        {
            final JsonNode node = json.readTree(request.body());
            if (!node.isObject())
            {
                throw JvsException.invalid("the request body must be a JSON object");
            }
            return node;
        }
        catch (final IOException ex)
        {
            throw JvsException.invalid("the request body is not valid JSON: " + ex.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** A top-level string field of the body: null if absent, refused (400, naming it) if not a string. */
    private static String text(final JsonNode node, final String field)
    {
        return JsonFields.text(node, "", field);
    }

    private ApiResponse ok(final Object body)
    {
        return respond(200, body);
    }

    private ApiResponse respond(final int status, final Object body)
    {
        try
        {
            return ApiResponse.json(status, json.writeValueAsBytes(body));
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private ApiResponse error(final int status, final String message)
    {
        return respond(status, Map.of("message", message));
    }

    private ApiResponse notFound(final ApiRequest request)
    {
        return error(404, "page not found: " + request.method() + " " + request.path());
    }
}
