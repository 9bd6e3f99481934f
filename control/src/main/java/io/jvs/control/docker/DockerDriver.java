package io.jvs.control.docker;

import io.jvs.control.publish.Publication;
import io.jvs.control.publish.PortMapping;
import io.jvs.control.network.NetworkViews;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvs.control.common.JsonFields;
import io.jvs.control.common.JvsException;
import io.jvs.control.network.NetworkService;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.ipam.Ipv6Address;
import io.jvs.control.lan.LanSpec;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.control.state.StateTables;

import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Docker's remote network driver API on top of the {@link NetworkService}: a Docker network is a jvs network
 * (driver {@code jvs(docker)}), a Docker endpoint a veth pair whose host end is a switch port and whose other end
 * Join hands to Docker, which moves it into the container as ethN and configures it.
 * <p>
 * What Docker tells the driver and the service does not keep (each network's MTU, each endpoint's sandbox) is in
 * two state tables of its own. Every request is checked before anything changes.
 */
public final class DockerDriver
{
    static final String NETWORKS = "docker.network";
    static final String ENDPOINTS = "docker.endpoint";
    static final String OPTION_GENERIC = "com.docker.network.generic";
    static final String OPTION_INTERNAL = "com.docker.network.internal";
    static final String OPTION_IPV6 = "com.docker.network.enable_ipv6";
    static final String OPTION_MTU = "com.docker.network.driver.mtu";
    static final String OPTION_TYPE = "type";
    static final String OPTION_PORTMAP = "com.docker.network.portmap";
    static final String BRIDGE_OPTION_PREFIX = "com.docker.network.bridge.";
    /** Inter-container communication on a bridge network (the bridge driver reads it). */
    static final String OPTION_ENABLE_ICC = BRIDGE_OPTION_PREFIX + "enable_icc";
    /** jvs's anti-spoofing option (docs/cli.md): passed on to the bridge driver. */
    static final String OPTION_PORT_SECURITY = "port_security";
    private static final int PROTO_TCP = 6;
    private static final int PROTO_UDP = 17;
    private static final int MAX_PORT = 65535;
    private static final String ANY_ADDRESS = "0.0.0.0";
    static final String TYPE_BRIDGE = "bridge";
    static final String TYPE_OVERLAY = "overlay";
    /** The cluster's name of the overlay network (Docker does not tell drivers the network's own name). */
    static final String OPTION_NAME = "name";
    private static final int MIN_MTU = 68;
    private static final int MAX_MTU = 65535;
    private static final String CONTAINER_INTERFACE_PREFIX = "eth";

    /**
     * A Docker network's own settings.
     *
     * @param target the jvs network its endpoints go on: the same id for a bridge network, the cluster's overlay
     *               network for {@code -o type=overlay}.
     */
    private record DockerNetwork(String id, String type, int mtu, String target)
    {
    }

    private final NetworkService service;
    private final DockerNetworks dockerNetworks;
    private final StateTables tables;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, DockerNetwork> networks = new LinkedHashMap<>();
    /** Endpoint id to the sandbox key Docker joined it to ("" while not joined). */
    private final Map<String, String> sandboxes = new LinkedHashMap<>();

    public DockerDriver(final NetworkService service, final StateTables tables)
    {
        this.service = service;
        this.dockerNetworks = new DockerNetworks(service);
        this.tables = tables;
        for (final JsonNode row : tables.rows(NETWORKS).values())
        {
            final String id = row.path("id").asText();
            networks.put(id, new DockerNetwork(id, row.path("type").asText(), row.path("mtu").asInt(),
                row.path("target").asText(id)));
        }
        tables.rows(ENDPOINTS).values().forEach(row ->
            sandboxes.put(row.path("id").asText(), row.path("sandboxKey").asText()));
        reconcile();
    }

    public ObjectNode capabilities()
    {
        return json.createObjectNode().put("Scope", "local").put("ConnectivityScope", "local");
    }

    public synchronized ObjectNode createNetwork(final JsonNode request)
    {
        final String id = DockerPluginApi.requiredText(request, "NetworkID");
        final JsonNode options = JsonFields.object(request, "", "Options");
        final JsonNode generic = JsonFields.object(options, "Options", OPTION_GENERIC);
        final String genericPath = "Options." + OPTION_GENERIC;
        final String typeOption = JsonFields.text(generic, genericPath, OPTION_TYPE);
        final String type = null == typeOption ? TYPE_BRIDGE : typeOption;
        if (LanSpec.isLanDriver(type) || generic.has(LanSpec.PARENT))
        {
            // LAN networks need their parent link rebuilt with Docker's endpoints on restart: not done yet
            throw JvsException.invalid("macvlan/ipvlan networks are not available through the Docker plugin yet " +
                "(-o type=" + type + (generic.has(LanSpec.PARENT) ? ", -o parent" : "") + "): create them with " +
                "`jvs network create -d macvlan -o parent=IFACE`");
        }
        if (!TYPE_BRIDGE.equals(type) && !TYPE_OVERLAY.equals(type))
        {
            throw JvsException.invalid("unknown network type \"" + type + "\": jvs supports -o type=bridge and " +
                "-o type=overlay");
        }
        final String mtuOption = JsonFields.text(generic, genericPath, OPTION_MTU);
        final int mtu = mtu(null == mtuOption ? "" : mtuOption);
        final List<JsonNode> ipv6 = JsonFields.objects(request, "", "IPv6Data");
        if (ipv6.size() > 1)
        {
            throw JvsException.invalid("a jvs network takes at most one IPv6 subnet, Docker sent " + ipv6.size());
        }
        if (options.path(OPTION_IPV6).asBoolean(false) && ipv6.isEmpty())
        {
            throw JvsException.invalid("--ipv6 without an IPv6 pool: Docker sent no IPv6Data");
        }
        if (!ipv6.isEmpty() && TYPE_OVERLAY.equals(type))
        {
            throw JvsException.invalid("IPv6 is not supported on overlay networks yet");
        }
        final List<JsonNode> ipv4 = JsonFields.objects(request, "", "IPv4Data");
        if (ipv4.size() != 1)
        {
            throw JvsException.invalid("a jvs network needs exactly one IPv4 subnet, Docker sent " + ipv4.size());
        }
        final String pool = DockerPluginApi.requiredText(ipv4.get(0), "Pool");
        final String gateway = addressOnly(DockerPluginApi.optionalText(ipv4.get(0), "Gateway"));
        final boolean internal = options.path(OPTION_INTERNAL).asBoolean(false);
        final String target;
        if (TYPE_OVERLAY.equals(type))
        {
            if (networks.containsKey(id))
            {
                throw JvsException.conflict("network " + id + " already exists");
            }
            target = createOverlay(id, generic, mtu, ipv4.get(0), pool, gateway, internal);
        }
        else
        {
            dockerNetworks.createNetwork(id, pool, gateway, internal, bridgeOptions(generic),
                ipv6.isEmpty() ? null : DockerPluginApi.requiredText(ipv6.get(0), "Pool"),
                ipv6.isEmpty() ? null : prefixLess(DockerPluginApi.optionalText(ipv6.get(0), "Gateway")));
            target = id;
        }
        final DockerNetwork network = new DockerNetwork(id, type, mtu, target);
        tables.put(NETWORKS, id, json.createObjectNode().put("id", id).put("type", type).put("mtu", mtu)
            .put("target", target));
        networks.put(id, network);
        return json.createObjectNode();
    }

    /**
     * {@code -o type=overlay -o name=NAME [-o vni=N] [-o encrypted]}: Docker's network maps to the cluster's overlay
     * network NAME (created or joined). Only with jvs's IPAM: Docker's own allocates per host, so two hosts would
     * hand out the same addresses. @return the overlay network's id.
     */
    private String createOverlay(final String id, final JsonNode generic, final int mtu, final JsonNode ipv4,
        final String pool, final String gateway, final boolean internal)
    {
        final String space = DockerPluginApi.optionalText(ipv4, "AddressSpace");
        if (!DockerIpam.LOCAL_ADDRESS_SPACE.equals(space) && !DockerIpam.GLOBAL_ADDRESS_SPACE.equals(space))
        {
            throw JvsException.invalid("-o type=overlay needs --ipam-driver jvs: Docker's default IPAM hands out " +
                "addresses per host, so containers on different hosts would get the same ones");
        }
        if (mtu != 0)
        {
            throw JvsException.invalid(OPTION_MTU + " is not supported on overlay networks: their MTU is the " +
                "daemon's --overlay-mtu (the underlay's MTU minus the VXLAN headers)");
        }
        final String name = generic.path(OPTION_NAME).asText("");
        if (name.isEmpty())
        {
            throw JvsException.invalid("-o type=overlay needs -o name=NAME, the cluster's name for the network, the " +
                "same on every host (Docker does not tell network drivers the network's name)");
        }
        final Map<String, String> overlayOptions = new LinkedHashMap<>();
        for (final Iterator<Map.Entry<String, JsonNode>> it = generic.fields(); it.hasNext(); )
        {
            final Map.Entry<String, JsonNode> option = it.next();
            if (!OPTION_TYPE.equals(option.getKey()) && !OPTION_NAME.equals(option.getKey()))
            {
                overlayOptions.put(option.getKey(), option.getValue().asText(""));
            }
        }
        return dockerNetworks.attachOverlay(id, name, pool, gateway, internal, overlayOptions).id();
    }

    /**
     * The bridge options jvs honours ({@code com.docker.network.bridge.enable_icc}, jvs's {@code port_security}); overlay options without
     * {@code -o type=overlay}, and the other {@code com.docker.network.bridge.*} options (which jvs cannot honour),
     * are refused rather than ignored. Other options are ignored.
     */
    private static Map<String, String> bridgeOptions(final JsonNode generic)
    {
        for (final String key : List.of(OPTION_NAME, "vni", "encrypted"))
        {
            if (generic.has(key))
            {
                throw JvsException.invalid("option \"" + key + "\" is for overlay networks: add -o type=overlay");
            }
        }
        final Map<String, String> options = new LinkedHashMap<>();
        for (final Iterator<Map.Entry<String, JsonNode>> it = generic.fields(); it.hasNext(); )
        {
            final Map.Entry<String, JsonNode> option = it.next();
            if (OPTION_ENABLE_ICC.equals(option.getKey()) || OPTION_PORT_SECURITY.equals(option.getKey()))
            {
                options.put(option.getKey(), JsonFields.text(generic, "Options." + OPTION_GENERIC, option.getKey()));
            }
            else if (option.getKey().startsWith(BRIDGE_OPTION_PREFIX))
            {
                throw JvsException.invalid("option " + option.getKey() + " is not supported by jvs networks (of " +
                    BRIDGE_OPTION_PREFIX + "*, jvs honours enable_icc only; docs/docker.md lists them)");
            }
        }
        return options;
    }

    public synchronized ObjectNode deleteNetwork(final JsonNode request)
    {
        final String id = DockerPluginApi.requiredText(request, "NetworkID");
        final DockerNetwork network = network(id);
        if (TYPE_OVERLAY.equals(network.type()))
        {
            final List<String> own = service.network(network.target()).endpoints().stream()
                .filter(e -> sandboxes.containsKey(e.id())).map(e -> e.sandbox()).toList();
            if (!own.isEmpty())
            {
                throw JvsException.conflict("network " + id + " has active endpoints (" + String.join(", ", own) + ")");
            }
            dockerNetworks.detachOverlay(network.target()); // the cluster's network stays while other hosts use it
        }
        else
        {
            dockerNetworks.removeNetwork(id);
        }
        tables.remove(NETWORKS, id);
        networks.remove(id);
        return json.createObjectNode();
    }

    /** CreateEndpoint: the veth pair and switch port; answers the MAC when Docker did not choose one. */
    public synchronized ObjectNode createEndpoint(final JsonNode request)
    {
        final DockerNetwork network = network(DockerPluginApi.requiredText(request, "NetworkID"));
        final String endpointId = DockerPluginApi.requiredText(request, "EndpointID");
        if (service.findEndpoint(endpointId).isPresent())
        {
            throw JvsException.conflict("endpoint " + endpointId + " already exists");
        }
        final JsonNode iface = request.path("Interface");
        final String cidr6 = DockerPluginApi.optionalText(iface, "AddressIPv6");
        final Ipv6Address address6 = cidr6 == null || cidr6.isEmpty() ? null : Ipv6Address.parse(prefixLess(cidr6));
        final String cidr = DockerPluginApi.optionalText(iface, "Address");
        final int address = cidr == null || cidr.isEmpty() ? 0 : Ipv4.parse(addressOnly(cidr));
        final String mac = DockerPluginApi.optionalText(iface, "MacAddress");
        final boolean macGiven = mac != null && !mac.isEmpty();
        if (macGiven && !mac.matches("(?i)([0-9a-f]{2}:){5}[0-9a-f]{2}"))
        {
            throw JvsException.invalid("invalid MAC address \"" + mac + "\"");
        }
        final Endpoint endpoint = dockerNetworks.createEndpoint(network.target(), endpointId, address, address6,
            macGiven ? mac.toLowerCase() : null, network.mtu());
        saveEndpoint(endpointId, "");
        final ObjectNode response = json.createObjectNode();
        final ObjectNode answer = json.createObjectNode();
        if (!macGiven)
        {
            answer.put("MacAddress", endpoint.macAddress());
        }
        if (address == 0)
        {
            answer.put("Address", Ipv4.format(endpoint.address()) + "/" + endpoint.prefix());
        }
        if (address6 == null && endpoint.address6() != null)
        {
            answer.put("AddressIPv6", endpoint.ipv6Cidr());
        }
        if (!answer.isEmpty())
        {
            response.set("Interface", answer);
        }
        return response;
    }

    public synchronized ObjectNode endpointOperInfo(final JsonNode request)
    {
        final Endpoint endpoint = endpoint(request);
        final ObjectNode response = json.createObjectNode();
        response.putObject("Value")
            .put("jvs.host_interface", endpoint.hostInterface())
            .put("jvs.port", endpoint.portId())
            .put("jvs.address", Ipv4.format(endpoint.address()) + "/" + endpoint.prefix())
            .put("jvs.sandbox_key", sandboxes.getOrDefault(endpoint.id(), ""))
            .set(OPTION_PORTMAP, portBindings(endpoint.id()));
        return response;
    }

    public synchronized ObjectNode deleteEndpoint(final JsonNode request)
    {
        final Endpoint endpoint = endpoint(request);
        dockerNetworks.removeEndpoint(endpoint.networkId(), endpoint.id());
        tables.remove(ENDPOINTS, endpoint.id());
        sandboxes.remove(endpoint.id());
        return json.createObjectNode();
    }

    /** Join: the interface for Docker to move into the sandbox, and the gateway (none on internal networks). */
    public synchronized ObjectNode join(final JsonNode request)
    {
        final Endpoint endpoint = endpoint(request);
        final String sandboxKey = DockerPluginApi.requiredText(request, "SandboxKey");
        final String joined = sandboxes.getOrDefault(endpoint.id(), "");
        if (!joined.isEmpty() && !joined.equals(sandboxKey))
        {
            throw JvsException.conflict("endpoint " + endpoint.id() + " is already joined to sandbox " + joined);
        }
        if (endpoint.portId() == Endpoint.NO_PORT)
        {
            throw JvsException.conflict("endpoint " + endpoint.id() + " lost its interface " +
                endpoint.hostInterface() + " (host restarted?): remove and re-create it");
        }
        final Network network = service.network(endpoint.networkId()).network();
        saveEndpoint(endpoint.id(), sandboxKey);
        final ObjectNode response = json.createObjectNode();
        response.putObject("InterfaceName")
            .put("SrcName", endpoint.sandboxInterface())
            .put("DstPrefix", CONTAINER_INTERFACE_PREFIX);
        if (!network.internal())
        {
            // Owning the gateway keeps Docker from adding a docker_gwbridge interface for the default route.
            response.put("Gateway", Ipv4.format(network.gateway()));
            if (network.hasIpv6())
            {
                response.put("GatewayIPv6", network.ipv6().gateway().toString());
            }
        }
        response.putArray("StaticRoutes");
        response.put("DisableGatewayService", false);
        return response;
    }

    public synchronized ObjectNode leave(final JsonNode request)
    {
        final Endpoint endpoint = endpoint(request);
        saveEndpoint(endpoint.id(), "");
        return json.createObjectNode();
    }

    /**
     * {@code docker run -p}: the port bindings in {@code com.docker.network.portmap} become published ports of the
     * endpoint, the same rules {@code jvs network connect --publish} makes (DNAT on the uplink address and the host
     * link, and the loopback proxy; HostIP narrows that to one of them, see {@link io.jvs.control.publish.PublishScope});
     * host port 0 gets a port chosen by jvs, which EndpointOperInfo reports. Outbound NAT needs nothing here: the
     * router masquerades every network.
     */
    public synchronized ObjectNode programExternalConnectivity(final JsonNode request)
    {
        final Endpoint endpoint = endpoint(request);
        final List<PortMapping> mappings = portMappings(request.path("Options").path(OPTION_PORTMAP));
        if (!mappings.isEmpty())
        {
            service.publish(endpoint.id(), mappings);
        }
        return json.createObjectNode();
    }

    public synchronized ObjectNode revokeExternalConnectivity(final JsonNode request)
    {
        service.unpublish(endpoint(request).id());
        return json.createObjectNode();
    }

    /**
     * Docker's port bindings, {@code [{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":8080,"HostPortEnd":8080}]}.
     * Bindings to an IPv6 host address (Docker adds "::" twins of 0.0.0.0 ones) are left out, duplicates folded;
     * host port 0 ({@code -P}, {@code -p 80}) asks jvs to choose one; the host address is checked by the service.
     */
    static List<PortMapping> portMappings(final JsonNode portmap)
    {
        final Set<PortMapping> mappings = new LinkedHashSet<>();
        if (portmap.isMissingNode() || portmap.isNull())
        {
            return List.of();
        }
        if (!portmap.isArray())
        {
            throw JvsException.invalid(OPTION_PORTMAP + " is not a list");
        }
        for (final JsonNode binding : portmap)
        {
            final String hostIp = binding.path("HostIP").asText("");
            if (hostIp.contains(":"))
            {
                continue;
            }
            final int proto = binding.path("Proto").asInt(-1);
            final String protocol = proto == PROTO_TCP ? "tcp" : proto == PROTO_UDP ? "udp" : null;
            if (protocol == null)
            {
                throw JvsException.invalid("published port protocol " + proto + " is not supported (tcp, udp)");
            }
            final int port = binding.path("Port").asInt(0);
            final int hostPort = binding.path("HostPort").asInt(0);
            final int hostPortEnd = Math.max(hostPort, binding.path("HostPortEnd").asInt(0));
            if (port < 1 || port > MAX_PORT || hostPortEnd > MAX_PORT)
            {
                throw JvsException.invalid("invalid port binding " + binding + ": ports in 1-" + MAX_PORT);
            }
            if (hostPortEnd != hostPort)
            {
                // Docker gives a host range for one container port when it lets the driver pick one of them.
                throw JvsException.invalid("host port range " + hostPort + "-" + hostPortEnd + " for port " + port +
                    ": jvs publishes one host port per container port (give one, or none for jvs to choose)");
            }
            mappings.add(new PortMapping(protocol, hostIp.isEmpty() ? "" :
                Ipv4.format(Ipv4.parse(hostIp)), hostPort, hostPort, port));
        }
        return List.copyOf(mappings);
    }

    /** What the endpoint publishes, as Docker's port bindings: the host ports jvs chose are in them. */
    private ArrayNode portBindings(final String endpointId)
    {
        final ArrayNode list = json.createArrayNode();
        for (final Publication p : service.publications(endpointId))
        {
            final PortMapping m = p.mapping();
            list.addObject()
                .put("Proto", "udp".equals(m.protocol()) ? PROTO_UDP : PROTO_TCP)
                .put("IP", "")
                .put("Port", m.containerFirst())
                .put("HostIP", m.hostIp().isEmpty() ? ANY_ADDRESS : m.hostIp())
                .put("HostPort", m.hostFirst())
                .put("HostPortEnd", m.hostLast());
        }
        return list;
    }

    /** The sandbox key each endpoint is joined to ("" while not joined), for tests and inspection. */
    public synchronized Map<String, String> joinedSandboxes()
    {
        return Map.copyOf(sandboxes);
    }

    // --------------------------------------------------------------------------------------------------- helpers

    /**
     * A crash can fall between the service's write and ours: rows for networks or endpoints the service no longer
     * has are dropped; the service's Docker networks and endpoints without a row get a default one.
     */
    private void reconcile()
    {
        final Set<String> serviceNetworks = new HashSet<>();
        final Set<String> serviceEndpoints = new HashSet<>();
        final Set<String> overlayTargets = new HashSet<>();
        networks.values().stream().filter(n -> TYPE_OVERLAY.equals(n.type()))
            .forEach(n -> overlayTargets.add(n.target()));
        for (final NetworkViews.NetworkDetails details : service.networks())
        {
            if (overlayTargets.contains(details.network().id()))
            {
                serviceNetworks.add(details.network().id());
                details.endpoints().stream().filter(e -> DockerNetworks.endpointLabel(e.id()).equals(e.sandbox()))
                    .forEach(e -> serviceEndpoints.add(e.id()));
                continue;
            }
            if (!details.network().ownedByDocker())
            {
                continue;
            }
            serviceNetworks.add(details.network().id());
            if (!networks.containsKey(details.network().id()))
            {
                final String id = details.network().id();
                tables.put(NETWORKS, id, json.createObjectNode().put("id", id).put("type", TYPE_BRIDGE).put("mtu", 0));
                networks.put(id, new DockerNetwork(id, TYPE_BRIDGE, 0, id));
            }
            for (final Endpoint endpoint : details.endpoints())
            {
                if (DockerNetworks.endpointLabel(endpoint.id()).equals(endpoint.sandbox()))
                {
                    serviceEndpoints.add(endpoint.id());
                    if (!sandboxes.containsKey(endpoint.id()))
                    {
                        saveEndpoint(endpoint.id(), "");
                    }
                }
            }
        }
        for (final Iterator<String> it = networks.keySet().iterator(); it.hasNext(); )
        {
            final String id = it.next();
            if (!serviceNetworks.contains(networks.get(id).target()))
            {
                tables.remove(NETWORKS, id);
                it.remove();
            }
        }
        for (final Iterator<String> it = sandboxes.keySet().iterator(); it.hasNext(); )
        {
            final String id = it.next();
            if (!serviceEndpoints.contains(id))
            {
                tables.remove(ENDPOINTS, id);
                it.remove();
            }
        }
    }

    private DockerNetwork network(final String id)
    {
        final DockerNetwork network = networks.get(id);
        if (network == null)
        {
            throw JvsException.notFound("network " + id + " not found");
        }
        return network;
    }

    private Endpoint endpoint(final JsonNode request)
    {
        final String networkId = DockerPluginApi.requiredText(request, "NetworkID");
        final String endpointId = DockerPluginApi.requiredText(request, "EndpointID");
        final String target = network(networkId).target();
        return service.findEndpoint(endpointId).filter(e -> e.networkId().equals(target))
            .orElseThrow(() -> JvsException.notFound("endpoint " + endpointId + " not found in network " + networkId));
    }

    private void saveEndpoint(final String id, final String sandboxKey)
    {
        tables.put(ENDPOINTS, id, json.createObjectNode().put("id", id).put("sandboxKey", sandboxKey));
        sandboxes.put(id, sandboxKey);
    }

    private static int mtu(final String text)
    {
        if (text.isEmpty())
        {
            return 0;
        }
        final int mtu;
        try
        {
            mtu = Integer.parseInt(text);
        }
        catch (final NumberFormatException ex)
        {
            throw JvsException.invalid("invalid " + OPTION_MTU + " \"" + text + "\": not a number");
        }
        if (mtu < MIN_MTU || mtu > MAX_MTU)
        {
            throw JvsException.invalid("invalid " + OPTION_MTU + " " + mtu + ": must be " + MIN_MTU + ".." + MAX_MTU);
        }
        return mtu;
    }

    /** "fd00::1/64" -> "fd00::1" (Docker sends IPv6 gateways and addresses with their prefix length). */
    private static String prefixLess(final String cidr)
    {
        if (cidr == null)
        {
            return null;
        }
        final int slash = cidr.indexOf('/');
        return slash < 0 ? cidr : cidr.substring(0, slash);
    }

    /** "10.0.0.1/24" to "10.0.0.1" (Docker sends gateways and addresses with the pool's prefix). */
    private static String addressOnly(final String cidr)
    {
        if (cidr == null || cidr.isEmpty())
        {
            return cidr;
        }
        final int slash = cidr.indexOf('/');
        final String address = slash < 0 ? cidr : cidr.substring(0, slash);
        Ipv4.parse(address);
        if (slash >= 0)
        {
            Cidr.parseLenient(cidr);
        }
        return address;
    }
}
