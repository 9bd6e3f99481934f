package io.jvs.control.network;

import io.jvs.control.fabric.Fabric;
import io.jvs.control.common.JvsException;
import io.jvs.control.publish.HostPortChooser;
import io.jvs.control.publish.PortMapping;
import io.jvs.control.publish.Publication;
import io.jvs.control.publish.PublishScope;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipam;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.ipam.SubnetPool;
import io.jvs.control.lan.LanNetworks;
import io.jvs.control.lan.LanSpec;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.netns.IpTool;
import io.jvs.control.overlay.ClusterState;
import io.jvs.control.overlay.EndpointRecord;
import io.jvs.control.overlay.OverlayControl;
import io.jvs.control.overlay.OverlayNetwork;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.control.state.NetworkStore;
import io.jvs.control.state.Sandbox;
import io.jvs.dataplane.BridgeDomainStats;
import io.jvs.dataplane.MacEntry;
import io.jvs.dataplane.PortStats;
import io.jvs.dataplane.nat.NatEntry;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The control plane: networks, sandboxes and the endpoints between them, kept consistent across the store, the
 * kernel (namespaces, veths, addresses, routes, hosts files) and the switch.
 * <p>
 * Every request is validated completely before anything changes; a kernel or switch step that fails later undoes
 * the steps before it, so a refused request leaves everything as it was. One lock serialises requests: this is the
 * slow path, a few kernel calls per request.
 */
public final class NetworkService implements AutoCloseable
{
    /** Docker's rule for container names, used for networks and sandboxes alike. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");
    private static final String HOST_INTERFACE_PREFIX = "jv";
    private static final String SANDBOX_INTERFACE_PREFIX = "eth";
    private static final int NAME_ATTEMPTS = 16;
    private static final String PREDEFINED_BRIDGE = "bridge";
    /** Docker's ids: 64 hex digits (12 accepted, as Docker shows them). */
    private static final Pattern DOCKER_ID = Pattern.compile("[0-9a-f]{12,64}");
    private static final int DOCKER_SHORT_ID = 12;
    private static final String HOST_ENDPOINT_LABEL = "docker-";
    /** Host endpoints' second veth end: the host end's name plus this (11 characters, inside IFNAMSIZ). */
    private static final String HOST_PEER_SUFFIX = "c";
    /** Sandbox of an overlay address Docker's IPAM handed out that no endpoint took yet. */
    private static final String DOCKER_IPAM_HOLDER = "docker-ipam";

    private final NetworkStore store;
    private final Fabric fabric;
    private final IpTool ip;
    private final HostsFiles hosts;
    private final SubnetPool pool;
    private final Map<String, Ipam> ipams = new HashMap<>();
    private final LanNetworks lan;
    /** Endpoint id -> its published ranges (rules in the fabric). */
    private final Map<String, List<Publication>> publications = new LinkedHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private boolean closed;
    /** Null until {@link #enableOverlay}: then {@code -d overlay} networks span the hosts of the cluster. */
    private OverlayControl overlay;
    /** Overlay network id -> VNI, for the networks installed on this host. */
    private final Map<String, Integer> overlayVnis = new HashMap<>();
    /** Remote endpoints last written into hosts files, to rewrite them only when that changes. */
    private Map<String, List<EndpointRecord>> remoteEndpointsWritten = Map.of();
    private String lastOverlayWarning = "";

    public NetworkService(
        final NetworkStore store, final Fabric fabric, final IpTool ip, final HostsFiles hosts, final SubnetPool pool)
    {
        this.store = store;
        this.fabric = fabric;
        this.ip = ip;
        this.hosts = hosts;
        this.pool = pool;
        this.lan = new LanNetworks(fabric, ip);
    }

    /** Creates the predefined networks {@code bridge}, {@code host} and {@code none} as Docker has them. */
    public synchronized void createPredefinedNetworks()
    {
        final List<Cidr> taken = new ArrayList<>(ip.hostRoutes());
        store.networks().stream().filter(n -> n.subnet() != null).forEach(n -> taken.add(n.subnet()));
        final Cidr subnet = SubnetPool.overlapsAny(SubnetPool.DEFAULT_BRIDGE, taken) ?
            pool.next(taken) : SubnetPool.DEFAULT_BRIDGE;
        final int bridgeDomain = fabric.createNetwork(PREDEFINED_BRIDGE);
        fabric.setGateway(bridgeDomain, Ipam.defaultGateway(subnet), subnet.network(), subnet.prefix(), false);
        final Instant now = Instant.now();
        addNetwork(new Network(newId(), PREDEFINED_BRIDGE, Network.DRIVER_BRIDGE, false, subnet,
            Ipam.defaultGateway(subnet), true, now, bridgeDomain));
        addNetwork(new Network(newId(), "host", Network.DRIVER_HOST, false, null, 0, true, now, 0));
        addNetwork(new Network(newId(), "none", Network.DRIVER_NULL, false, null, 0, true, now, 0));
    }

    /** Takes over namespaces a previous daemon created (their hosts files carry jvs's mark); they have no endpoints. */
    public synchronized List<String> adoptSandboxes()
    {
        final List<String> adopted = new ArrayList<>();
        for (final String name : ip.namespaces())
        {
            if (NAME.matcher(name).matches() && store.sandbox(name).isEmpty() && hosts.isOurs(name))
            {
                store.putSandbox(new Sandbox(name, Instant.now()));
                hosts.write(name, List.of());
                adopted.add(name);
            }
        }
        return adopted;
    }

    // ---------------------------------------------------------------------------------------------------- networks

    public synchronized List<NetworkViews.NetworkDetails> networks()
    {
        return store.networks().stream().map(this::details).toList();
    }

    public synchronized NetworkViews.NetworkDetails network(final String ref)
    {
        return details(resolveNetwork(ref));
    }

    /**
     * Creates a network. The request's driver options ({@code -o key[=value]}) go to its driver: overlay
     * {@code vni=N}, {@code encrypted}; macvlan/ipvlan {@code parent=IFACE[.VLAN]}, {@code macvlan_mode},
     * {@code ipvlan_mode}; the bridge driver takes none.
     */
    public synchronized Network createNetwork(final CreateNetworkRequest request)
    {
        checkOpen();
        checkName("network", request.name());
        final String driver = request.driver() == null || request.driver().isEmpty() ?
            Network.DRIVER_BRIDGE : request.driver();
        final Map<String, String> options = request.options() == null ? Map.of() : request.options();
        if (Network.DRIVER_OVERLAY.equals(driver))
        {
            if ((request.ipRange() != null && !request.ipRange().isEmpty()) ||
                (request.auxAddresses() != null && !request.auxAddresses().isEmpty()))
            {
                // the cluster allocates overlay addresses; it knows no range or auxiliary addresses
                throw JvsException.invalid("--ip-range and --aux-address are not supported by the overlay driver");
            }
            return createOverlayNetwork(request, options);
        }
        if (!Network.DRIVER_BRIDGE.equals(driver) && !LanSpec.isLanDriver(driver))
        {
            throw JvsException.invalid("driver \"" + driver + "\" is not supported: jvs networks use the bridge, " +
                "macvlan, ipvlan or overlay driver");
        }
        if (Network.DRIVER_BRIDGE.equals(driver) && !options.isEmpty())
        {
            throw JvsException.invalid("unknown option \"" + options.keySet().iterator().next() + "\" for driver " +
                driver);
        }
        return create(request, newId(), driver);
    }

    /**
     * A network Docker asked for through the remote driver: Docker's network id, named by its first 12 digits (what
     * {@code docker network ls} shows; Docker does not tell drivers the name), the subnet and gateway Docker's IPAM
     * chose. Only {@link #removeDockerNetwork} removes it.
     */
    public synchronized Network createDockerNetwork(
        final String id, final String subnet, final String gateway, final boolean internal)
    {
        checkOpen();
        if (id == null || !DOCKER_ID.matcher(id).matches())
        {
            throw JvsException.invalid("invalid network id \"" + id + "\": expected 12 to 64 hex digits");
        }
        if (store.network(id).isPresent())
        {
            throw JvsException.conflict("network " + id + " already exists");
        }
        if (subnet == null || subnet.isEmpty())
        {
            throw JvsException.invalid("network " + id + " has no IPv4 subnet: jvs networks need one");
        }
        return create(new CreateNetworkRequest(id.substring(0, DOCKER_SHORT_ID), Network.DRIVER_DOCKER, subnet,
            gateway, internal), id, Network.DRIVER_DOCKER);
    }

    /** A bridge, Docker or macvlan/ipvlan network: a bridge domain of this host's switch. */
    private Network create(final CreateNetworkRequest request, final String id, final String driver)
    {
        if (findByName(request.name()).isPresent())
        {
            throw JvsException.conflict("network with name " + request.name() + " already exists");
        }
        final boolean lanDriver = LanSpec.isLanDriver(driver);
        final LanSpec lanSpec = lanDriver ? lan.validate(driver, request.options()) : null;
        final boolean hasGateway = request.gateway() != null && !request.gateway().isEmpty();
        final boolean hasSubnet = request.subnet() != null && !request.subnet().isEmpty();
        if (lanDriver && !hasSubnet)
        {
            throw JvsException.invalid(driver + " networks need --subnet: " + (lanSpec.mode() ==
                io.jvs.macvlan.LanMode.IPVLAN_L3 ? "the containers' subnet, routed to the host by the LAN" :
                "the LAN's subnet"));
        }
        final Cidr subnet;
        if (hasSubnet)
        {
            subnet = Cidr.parse(request.subnet());
            Ipam.checkUsable(subnet);
            for (final Network other : store.networks())
            {
                if (other.subnet() != null && other.subnet().overlaps(subnet))
                {
                    throw JvsException.conflict("subnet " + subnet + " overlaps with network " + other.name() +
                        " (" + other.subnet() + ")");
                }
            }
        }
        else
        {
            if (hasGateway)
            {
                throw JvsException.invalid("--gateway needs --subnet: the gateway must be in a subnet you choose");
            }
            final List<Cidr> taken = new ArrayList<>(ip.hostRoutes());
            store.networks().stream().filter(n -> n.subnet() != null).forEach(n -> taken.add(n.subnet()));
            subnet = pool.next(taken);
        }
        final int gateway = hasGateway ? Ipv4.parse(request.gateway()) : Ipam.defaultGateway(subnet);
        final Cidr range = request.ipRange() == null || request.ipRange().isEmpty() ? null :
            Cidr.parse(request.ipRange());
        final Map<String, String> aux = request.auxAddresses() == null ? Map.of() : request.auxAddresses();
        final Ipam ipam = newIpam(subnet, gateway, range, aux);

        final int bridgeDomain = fabric.createNetwork(request.name());
        try
        {
            if (lanSpec == null) // macvlan/ipvlan: the LAN's router is the gateway (ipvlan l3: the LanPort answers)
            {
                fabric.setGateway(bridgeDomain, gateway, subnet.network(), subnet.prefix(), request.internal());
            }
        }
        catch (final RuntimeException ex)
        {
            runQuietly(() -> fabric.removeNetwork(bridgeDomain), ex);
            throw ex;
        }
        final Network network = new Network(id, request.name(), driver, request.internal(), subnet, gateway,
            false, Instant.now(), bridgeDomain, lanSpec == null ? Map.of() : lanSpec.options(), range, aux);
        if (lanSpec != null)
        {
            try
            {
                lan.create(network, lanSpec);
            }
            catch (final RuntimeException ex)
            {
                runQuietly(() -> fabric.removeNetwork(bridgeDomain), ex);
                throw ex;
            }
        }
        store.putNetwork(network);
        ipams.put(network.id(), ipam);
        return network;
    }

    /** The allocator of a network: addresses from {@code range} (null: the subnet), the auxiliary ones reserved. */
    private static Ipam newIpam(final Cidr subnet, final int gateway, final Cidr range, final Map<String, String> aux)
    {
        final Ipam ipam = new Ipam(subnet, gateway, range);
        for (final Map.Entry<String, String> entry : aux.entrySet())
        {
            final int address = Ipv4.parse(entry.getValue());
            if (!subnet.contains(address) || address == gateway || address == subnet.network() ||
                address == subnet.broadcast())
            {
                throw JvsException.invalid("auxiliary address " + entry.getKey() + "=" + entry.getValue() +
                    " is not a host address of subnet " + subnet + " other than the gateway");
            }
            if (ipam.isAllocated(address))
            {
                throw JvsException.invalid("auxiliary address " + entry.getKey() + "=" + entry.getValue() +
                    " is given twice");
            }
            ipam.reserve(address);
        }
        return ipam;
    }

    /** Removes one network; refused for predefined networks and networks with endpoints. */
    public synchronized Network removeNetwork(final String ref)
    {
        checkOpen();
        final Network network = resolveNetwork(ref);
        if (network.predefined())
        {
            throw JvsException.forbidden(network.name() + " is a pre-defined network and cannot be removed");
        }
        if (network.ownedByDocker())
        {
            throw JvsException.forbidden("network " + network.name() + " was created by Docker: remove it with " +
                "`docker network rm`");
        }
        return remove(network);
    }

    /** Removes a network Docker created; refused while it has endpoints. */
    public synchronized Network removeDockerNetwork(final String id)
    {
        checkOpen();
        final Network network = store.network(id).filter(Network::ownedByDocker).orElseThrow(() ->
            JvsException.notFound("network " + id + " not found"));
        return remove(network);
    }

    private Network remove(final Network network)
    {
        final List<Endpoint> endpoints = store.endpointsOfNetwork(network.id());
        if (!endpoints.isEmpty())
        {
            throw JvsException.conflict("error while removing network: network " + network.name() + " id " +
                network.shortId() + " has active endpoints (" + String.join(", ",
                endpoints.stream().map(Endpoint::sandbox).toList()) + ")");
        }
        if (overlayVnis.containsKey(network.id()))
        {
            overlay.undefine(network.id()); // refused while another host has endpoints on it
            uninstallOverlay(network);
            return network;
        }
        lan.remove(network.id());
        fabric.removeNetwork(network.bridgeDomainId());
        store.removeNetwork(network.id());
        ipams.remove(network.id());
        return network;
    }

    /** Removes every user network without endpoints. @return their names. */
    public synchronized List<String> pruneNetworks()
    {
        checkOpen();
        final List<String> removed = new ArrayList<>();
        for (final Network network : store.networks())
        {
            if (!network.predefined() && !network.ownedByDocker() && store.endpointsOfNetwork(network.id()).isEmpty())
            {
                removeNetwork(network.id());
                removed.add(network.name());
            }
        }
        return removed;
    }

    // ------------------------------------------------------------------------------------------------- endpoints

    /**
     * Connects a sandbox: veth pair, peer ethN in the sandbox with the next free address and a Docker-style MAC,
     * default route via the gateway if the sandbox has none (not on internal networks), host end as a switch port.
     */
    public synchronized Endpoint connect(final String networkRef, final String sandboxName)
    {
        return connect(networkRef, sandboxName, List.of());
    }

    /**
     * Connects and publishes {@code publish} to the new endpoint's address (destination NAT on the uplink address
     * and the host port; refused on internal networks). Revoked when the endpoint goes.
     */
    public synchronized Endpoint connect(final String networkRef, final String sandboxName,
        final List<PortMapping> publish)
    {
        checkOpen();
        final Network network = resolveNetwork(networkRef);
        final Sandbox sandbox = resolveSandbox(sandboxName);
        checkPublishable(network, publish);
        if (Network.DRIVER_HOST.equals(network.driver()))
        {
            throw JvsException.forbidden("sandbox " + sandbox.name() + " cannot be connected to the host network: " +
                "a sandbox has its own network namespace");
        }
        if (!network.hasBridgeDomain())
        {
            throw JvsException.forbidden("sandbox " + sandbox.name() + " cannot be connected to the " +
                network.name() + " network: it stands for no networking (lo only, which every sandbox has)");
        }
        if (store.endpoint(network.id(), sandbox.name()).isPresent())
        {
            throw JvsException.conflict("endpoint with name " + sandbox.name() + " already exists in network " +
                network.name());
        }
        if (!ip.namespaceExists(sandbox.name()))
        {
            throw JvsException.conflict("the network namespace of sandbox " + sandbox.name() +
                " is gone (deleted outside jvs?): remove the sandbox with `jvs sandbox rm " + sandbox.name() + "`");
        }

        final Ipam ipam = ipams.get(network.id());
        final boolean onOverlay = overlayVnis.containsKey(network.id());
        final int address = onOverlay ? allocateOverlayAddress(network, ipam, sandbox.name()) : ipam.allocate();
        final String hostInterface;
        final String sandboxInterface;
        try
        {
            hostInterface = newHostInterfaceName();
            sandboxInterface = nextSandboxInterface(sandbox.name());
        }
        catch (final RuntimeException ex)
        {
            releaseAddress(network, ipam, address);
            throw ex;
        }
        final String mac = Ipv4.dockerMac(address);
        final int prefix = network.subnet().prefix();
        boolean linkCreated = false;
        int portId = 0;
        Endpoint endpoint = null;
        try
        {
            ip.createVeth(hostInterface, sandboxInterface, mac, sandbox.name());
            linkCreated = true;
            if (onOverlay)
            {
                final int mtu = overlay.tunnels().innerMtuOf(overlayVnis.get(network.id())); // VXLAN headers must fit in the underlay's MTU
                ip.setMtu(sandbox.name(), sandboxInterface, mtu);
                ip.setMtu(null, hostInterface, mtu);
            }
            ip.disableIpv6InNamespace(sandbox.name(), sandboxInterface);
            ip.addAddress(sandbox.name(), sandboxInterface, Ipv4.format(address) + "/" + prefix);
            ip.linkUp(sandbox.name(), sandboxInterface);
            if (!network.internal() && ip.defaultRouteDevice(sandbox.name()).isEmpty())
            {
                ip.addDefaultRoute(sandbox.name(), Ipv4.format(network.gateway()), sandboxInterface);
            }
            ip.disableIpv6OnHost(hostInterface);
            ip.linkUp(null, hostInterface);
            portId = fabric.attach(hostInterface, network.bridgeDomainId());
            endpoint = new Endpoint(newId(), network.id(), sandbox.name(), hostInterface, sandboxInterface, mac,
                address, prefix, portId);
            store.putEndpoint(endpoint);
            lan.onConnect(network.id(), endpoint);
            publishTo(network, endpoint, publish);
            rewriteHostsFiles();
            return endpoint;
        }
        catch (final RuntimeException ex)
        {
            if (endpoint != null)
            {
                final Endpoint added = endpoint;
                runQuietly(() -> lan.onDisconnect(network.id(), added), ex);
                unpublishQuietly(endpoint, ex);
                store.removeEndpoint(network.id(), sandbox.name());
                runQuietly(this::rewriteHostsFiles, ex);
            }
            if (portId > 0)
            {
                final int port = portId;
                runQuietly(() -> fabric.detach(port), ex);
            }
            if (linkCreated)
            {
                runQuietly(() -> ip.deleteLink(hostInterface), ex); // takes the peer, its address and route along
            }
            runQuietly(() -> releaseAddress(network, ipam, address), ex);
            throw ex;
        }
    }

    public synchronized void disconnect(final String networkRef, final String sandboxName)
    {
        checkOpen();
        final Network network = resolveNetwork(networkRef);
        final Sandbox sandbox = resolveSandbox(sandboxName);
        final Endpoint endpoint = store.endpoint(network.id(), sandbox.name()).orElseThrow(() ->
            JvsException.notFound("sandbox " + sandbox.name() + " is not connected to network " + network.name()));
        removeEndpoint(network, endpoint);
        rewriteHostsFiles();
        restoreDefaultRoute(sandbox.name());
    }

    /**
     * An endpoint for a container runtime that moves the interface itself (Docker): a veth pair on the host, the host
     * end a switch port, the other end ({@link Endpoint#sandboxInterface}) left on the host, down and unaddressed,
     * for the runtime to move into its container and configure. The address is one the runtime's IPAM chose (0:
     * take the next free one); the MAC is the runtime's or, when null, derived from the address as Docker does.
     *
     * @param mtu both veth ends' MTU; 0 keeps the kernel default.
     */
    public synchronized Endpoint createHostEndpoint(final String networkId, final String endpointId,
        final int requestedAddress, final String requestedMac, final int mtu)
    {
        checkOpen();
        final Network network = store.network(networkId).orElseThrow(() ->
            JvsException.notFound("network " + networkId + " not found"));
        if (!network.hasBridgeDomain())
        {
            throw JvsException.forbidden("network " + network.name() + " has no switch segment to attach to");
        }
        final String label = hostEndpointLabel(endpointId);
        if (findEndpoint(endpointId).isPresent() || store.endpoint(network.id(), label).isPresent())
        {
            throw JvsException.conflict("endpoint " + endpointId + " already exists");
        }
        final Ipam ipam = ipams.get(network.id());
        final Integer vni = overlayVnis.get(network.id());
        if (vni != null && requestedAddress == 0)
        {
            throw JvsException.invalid("an endpoint on overlay network " + network.name() + " needs its address " +
                "from jvs's IPAM (--ipam-driver jvs)");
        }
        final int address;
        if (requestedAddress == 0)
        {
            address = ipam.allocate();
        }
        else
        {
            ipam.reserve(requestedAddress);
            address = requestedAddress;
        }
        final String mac = requestedMac == null || requestedMac.isEmpty() ? Ipv4.dockerMac(address) : requestedMac;
        if (vni != null)
        {
            // The address is the IPAM's placeholder key: now it names the endpoint and its MAC (remote hosts program
            // MAC -> this VTEP and answer ARP for it); refused if another host holds it.
            final boolean claimed;
            try
            {
                claimed = overlay.reclaim(network.id(), label, address, mac);
            }
            catch (final RuntimeException ex)
            {
                ipam.release(address);
                throw ex;
            }
            if (!claimed)
            {
                ipam.release(address);
                throw JvsException.conflict("address " + Ipv4.format(address) + " on overlay network " +
                    network.name() + " is held by another host");
            }
        }
        final int linkMtu = vni != null ? overlay.tunnels().innerMtuOf(vni) : mtu;
        final String hostInterface;
        final String peerInterface;
        try
        {
            hostInterface = newHostInterfaceName();
            peerInterface = hostInterface + HOST_PEER_SUFFIX;
        }
        catch (final RuntimeException ex)
        {
            releaseAddress(network, ipam, address);
            throw ex;
        }
        boolean linkCreated = false;
        int portId = Endpoint.NO_PORT;
        try
        {
            ip.createHostVeth(hostInterface, peerInterface, mac, linkMtu);
            linkCreated = true;
            ip.disableIpv6OnHost(hostInterface);
            ip.linkUp(null, hostInterface);
            portId = fabric.attach(hostInterface, network.bridgeDomainId());
            final Endpoint endpoint = new Endpoint(endpointId, network.id(), label, hostInterface, peerInterface, mac,
                address, network.subnet().prefix(), portId);
            store.putEndpoint(endpoint);
            return endpoint;
        }
        catch (final RuntimeException ex)
        {
            if (portId != Endpoint.NO_PORT)
            {
                final int port = portId;
                runQuietly(() -> fabric.detach(port), ex);
            }
            if (linkCreated)
            {
                runQuietly(() -> ip.deleteLink(hostInterface), ex);
            }
            runQuietly(() -> releaseAddress(network, ipam, address), ex);
            throw ex;
        }
    }

    /** Removes an endpoint made by {@link #createHostEndpoint}: port, veth pair (wherever its peer is), address. */
    public synchronized Endpoint removeHostEndpoint(final String networkId, final String endpointId)
    {
        checkOpen();
        final Endpoint endpoint = findEndpoint(endpointId).filter(e -> e.networkId().equals(networkId))
            .orElseThrow(() -> JvsException.notFound("endpoint " + endpointId + " not found in network " + networkId));
        removeEndpoint(store.network(networkId).orElseThrow(), endpoint);
        return endpoint;
    }

    /** The endpoint with this id (ids are unique across networks). */
    public synchronized Optional<Endpoint> findEndpoint(final String endpointId)
    {
        return store.endpoints().stream().filter(e -> e.id().equals(endpointId)).findFirst();
    }

    /**
     * Publishes {@code mappings} to an existing endpoint (Docker's ProgramExternalConnectivity), replacing what it
     * published before; refused on internal networks. Journaled with the endpoint, so a restart publishes them again.
     */
    public synchronized List<Publication> publish(final String endpointId, final List<PortMapping> mappings)
    {
        checkOpen();
        final Endpoint endpoint = findEndpoint(endpointId).orElseThrow(() ->
            JvsException.notFound("endpoint " + endpointId + " not found"));
        final Network network = store.network(endpoint.networkId()).orElseThrow();
        checkPublishable(network, mappings);
        unpublishQuietly(endpoint, null);
        publishTo(network, endpoint, mappings);
        return List.copyOf(publications.getOrDefault(endpoint.id(), List.of()));
    }

    /** What the endpoint publishes now, host ports chosen by jvs included. */
    public synchronized List<Publication> publications(final String endpointId)
    {
        return List.copyOf(publications.getOrDefault(endpointId, List.of()));
    }

    /** Revokes every port the endpoint publishes (Docker's RevokeExternalConnectivity); quiet if it has none. */
    public synchronized void unpublish(final String endpointId)
    {
        checkOpen();
        final Endpoint endpoint = findEndpoint(endpointId).orElseThrow(() ->
            JvsException.notFound("endpoint " + endpointId + " not found"));
        unpublishQuietly(endpoint, null);
    }

    /** The store's sandbox name for a host endpoint: not a jvs sandbox, just a unique, readable key. */
    public static String hostEndpointLabel(final String endpointId)
    {
        return HOST_ENDPOINT_LABEL + endpointId.substring(0, Math.min(DOCKER_SHORT_ID, endpointId.length()));
    }

    // --------------------------------------------------------------------------------------------------- restore

    /**
     * Rebuilds the kernel and switch side of a store that survived a restart: every network with a subnet gets a
     * bridge domain again, every endpoint's address is reserved again, and every endpoint whose host-end veth still
     * exists becomes a switch port again, so traffic resumes without anyone re-creating anything. Endpoints of jvs
     * sandboxes whose veth or namespace is gone are dropped (their address freed); host endpoints (Docker's) whose
     * veth is gone stay, detached, until their runtime deletes them, so their addresses are not handed out twice.
     * macvlan/ipvlan networks get their parent link, uplink and host port again from their journaled options (no
     * router gateway: the LAN has one); one whose parent is gone or refused is dropped with its endpoints. Overlay
     * networks and their endpoints stay in the store for {@link #enableOverlay}. Creates the predefined networks if the
     * store has none.
     */
    public synchronized RestoreReport restore()
    {
        checkOpen();
        final List<String> dropped = new ArrayList<>();
        int networks = 0;
        for (final Network stored : store.networks())
        {
            if (Network.DRIVER_OVERLAY.equals(stored.driver()))
            {
                continue; // rebuilt with the cluster's definition once the overlay runs (restoreOverlay)
            }
            if (stored.subnet() == null)
            {
                continue;
            }
            final Network network = stored.withBridgeDomain(fabric.createNetwork(stored.name()));
            if (LanSpec.isLanDriver(network.driver()))
            {
                // The LAN's router is the gateway (not the dataplane's); the uplink, host port and parent link were
                // this daemon's and are made again from the journaled options, or the network goes if they cannot.
                try
                {
                    lan.create(network, lan.validate(network.driver(), network.options()));
                }
                catch (final RuntimeException ex)
                {
                    runQuietly(() -> fabric.removeNetwork(network.bridgeDomainId()), ex);
                    dropNetwork(stored, network.driver() + " network " + stored.name() + " (options " +
                        network.options() + ") cannot be rebuilt: " + ex.getMessage(), dropped);
                    continue;
                }
            }
            else if (network.gateway() != 0)
            {
                // The gateway belongs to the dataplane's router: it answers again as before the restart.
                fabric.setGateway(network.bridgeDomainId(), network.gateway(), network.subnet().network(),
                    network.subnet().prefix(), network.internal());
            }
            store.putNetwork(network);
            ipams.put(network.id(), newIpam(network.subnet(), network.gateway(), network.ipRange(),
                network.auxAddresses()));
            networks++;
        }
        for (final Sandbox sandbox : store.sandboxes())
        {
            if (!ip.namespaceExists(sandbox.name()))
            {
                store.endpointsOfSandbox(sandbox.name()).forEach(e -> store.removeEndpoint(e.networkId(), e.sandbox()));
                store.removeSandbox(sandbox.name());
                runQuietly(() -> hosts.remove(sandbox.name()), null);
                dropped.add("sandbox " + sandbox.name() + " (its namespace is gone)");
            }
        }
        int reattached = 0;
        int detached = 0;
        for (final Endpoint stored : store.endpoints())
        {
            final Optional<Network> network = store.network(stored.networkId());
            if (network.filter(n -> Network.DRIVER_OVERLAY.equals(n.driver())).isPresent())
            {
                continue; // restoreOverlay
            }
            final Ipam ipam = network.map(n -> ipams.get(n.id())).orElse(null);
            if (ipam == null || ipam.isAllocated(stored.address()))
            {
                store.removeEndpoint(stored.networkId(), stored.sandbox());
                dropped.add("endpoint " + stored.sandbox() + " (" + (ipam == null ? "no such network" :
                    "address " + Ipv4.format(stored.address()) + " taken twice") + ")");
                continue;
            }
            final boolean ofSandbox = store.sandbox(stored.sandbox()).isPresent();
            if (!ip.linkExists(stored.hostInterface()))
            {
                if (ofSandbox)
                {
                    store.removeEndpoint(stored.networkId(), stored.sandbox());
                    dropped.add("endpoint " + stored.sandbox() + " on " + network.get().name() + " (its veth is gone)");
                }
                else
                {
                    ipam.reserve(stored.address());
                    store.putEndpoint(stored.withPort(Endpoint.NO_PORT));
                    detached++;
                }
                continue;
            }
            ipam.reserve(stored.address());
            ip.linkUp(null, stored.hostInterface());
            final Endpoint endpoint = stored.withPort(fabric.attach(stored.hostInterface(),
                network.get().bridgeDomainId()));
            store.putEndpoint(endpoint);
            try
            {
                lan.onConnect(endpoint.networkId(), endpoint); // a LAN member again, host route included
            }
            catch (final RuntimeException ex)
            {
                runQuietly(() -> removeEndpoint(network.get(), endpoint), ex);
                dropped.add("endpoint " + stored.sandbox() + " on " + network.get().name() + " (" + ex.getMessage() +
                    ")");
                continue;
            }
            reattached++;
        }
        republish(dropped);
        if (store.networks().stream().noneMatch(Network::predefined))
        {
            createPredefinedNetworks();
        }
        rewriteHostsFiles();
        return new RestoreReport(networks, reattached, detached, dropped);
    }

    /** Forgets a network the restore cannot rebuild, and its endpoints (their veths deleted: they lead nowhere). */
    private void dropNetwork(final Network stored, final String reason, final List<String> dropped)
    {
        final List<String> endpoints = new ArrayList<>();
        for (final Endpoint endpoint : store.endpointsOfNetwork(stored.id()))
        {
            runQuietly(() -> ip.deleteLink(endpoint.hostInterface()), null);
            store.removeEndpoint(endpoint.networkId(), endpoint.sandbox());
            endpoints.add(endpoint.sandbox());
        }
        store.removeNetwork(stored.id());
        dropped.add(reason + (endpoints.isEmpty() ? "" : "; its endpoints are gone too: " +
            String.join(", ", endpoints)) + " (create it again)");
    }

    // ------------------------------------------------------------------------------------------------- sandboxes

    public synchronized List<NetworkViews.SandboxDetails> sandboxes()
    {
        return store.sandboxes().stream().map(this::details).toList();
    }

    public synchronized NetworkViews.SandboxDetails sandbox(final String name)
    {
        return details(resolveSandbox(name));
    }

    /** {@code ip netns add NAME}, lo up, hosts and resolv.conf under /etc/netns/NAME. */
    public synchronized Sandbox createSandbox(final String name)
    {
        checkOpen();
        checkName("sandbox", name);
        if (store.sandbox(name).isPresent())
        {
            throw JvsException.conflict("sandbox " + name + " already exists");
        }
        if (ip.namespaceExists(name))
        {
            throw JvsException.conflict("a network namespace named " + name + " already exists (not created by jvs)");
        }
        boolean created = false;
        try
        {
            ip.addNamespace(name);
            created = true;
            ip.linkUp(name, "lo");
            hosts.create(name);
            final Sandbox sandbox = new Sandbox(name, Instant.now());
            store.putSandbox(sandbox);
            rewriteHostsFiles();
            return sandbox;
        }
        catch (final RuntimeException ex)
        {
            store.removeSandbox(name);
            runQuietly(() -> hosts.remove(name), ex);
            if (created)
            {
                runQuietly(() -> ip.deleteNamespace(name), ex);
            }
            throw ex;
        }
    }

    /** Disconnects the sandbox from every network, then deletes its namespace and files. */
    public synchronized Sandbox removeSandbox(final String name)
    {
        checkOpen();
        final Sandbox sandbox = resolveSandbox(name);
        for (final Endpoint endpoint : store.endpointsOfSandbox(name))
        {
            removeEndpoint(store.network(endpoint.networkId()).orElseThrow(), endpoint);
        }
        store.removeSandbox(name);
        rewriteHostsFiles();
        if (ip.namespaceExists(name))
        {
            ip.deleteNamespace(name);
        }
        hosts.remove(name);
        return sandbox;
    }

    // ------------------------------------------------------------------------------------------------ visibility

    public synchronized NetworkViews.Stats stats()
    {
        final Map<Integer, String> networkByDomain = new HashMap<>();
        store.networks().forEach(n -> networkByDomain.put(n.bridgeDomainId(), n.name()));
        final Map<Integer, Endpoint> endpointByPort = endpointsByPort();
        final List<NetworkViews.NetworkStatsView> networks = new ArrayList<>();
        for (final BridgeDomainStats stats : fabric.networkStats())
        {
            networks.add(new NetworkViews.NetworkStatsView(stats, networkByDomain.getOrDefault(stats.bridgeDomainId(), "?")));
        }
        final List<NetworkViews.PortView> ports = new ArrayList<>();
        for (final PortStats stats : fabric.portStats())
        {
            final Endpoint endpoint = endpointByPort.get(stats.portId());
            ports.add(new NetworkViews.PortView(stats, networkByDomain.getOrDefault(stats.bridgeDomainId(), "?"),
                endpoint == null ? "" : endpoint.sandbox(), endpoint == null ? "" : endpoint.sandboxInterface()));
        }
        return new NetworkViews.Stats(networks, ports, fabric.routerCounters(), fabric.latency());
    }

    public synchronized List<NetworkViews.MacView> macTable()
    {
        final Map<Integer, String> networkByDomain = new HashMap<>();
        store.networks().forEach(n -> networkByDomain.put(n.bridgeDomainId(), n.name()));
        final Map<Integer, Endpoint> endpointByPort = endpointsByPort();
        final List<NetworkViews.MacView> table = new ArrayList<>();
        for (final MacEntry entry : fabric.macTable())
        {
            final Endpoint endpoint = endpointByPort.get(entry.portId());
            table.add(new NetworkViews.MacView(entry, networkByDomain.getOrDefault(entry.bridgeDomainId(), "?"),
                endpoint == null ? "" : endpoint.sandbox(),
                endpoint == null ? entry.portName() : endpoint.hostInterface(),
                endpoint == null ? "" : endpoint.sandboxInterface()));
        }
        table.sort(java.util.Comparator.comparing(NetworkViews.MacView::network).thenComparing(v -> v.entry().mac()));
        return table;
    }

    /**
     * Detaches every endpoint from the switch and leaves everything else as it is: veths, addresses, routes, hosts
     * files and the store stay, so containers keep their interfaces and a daemon started later on the same state
     * directory re-attaches them ({@link #restore}). The macvlan/ipvlan networks' uplinks, host ports and parent
     * links are removed: {@link #restore} makes them again. Does not close the fabric: its owner does.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (final Endpoint endpoint : store.endpoints())
        {
            try
            {
                if (endpoint.portId() != Endpoint.NO_PORT)
                {
                    fabric.detach(endpoint.portId());
                }
            }
            catch (final RuntimeException ex)
            {
                if (failure == null)
                {
                    failure = ex;
                }
                else
                {
                    failure.addSuppressed(ex);
                }
            }
        }
        try
        {
            lan.close(); // the LAN networks' uplinks, host ports and parent links are this process's
        }
        catch (final RuntimeException ex)
        {
            if (failure == null)
            {
                failure = ex;
            }
            else
            {
                failure.addSuppressed(ex);
            }
        }
        if (failure != null)
        {
            throw failure;
        }
    }

    /** The macvlan/ipvlan networks' ports and host ports (tests, diagnostics). */
    public LanNetworks lanNetworks()
    {
        return lan;
    }

    // ---------------------------------------------------------------------------------------------------- overlay

    /**
     * Lets {@code -d overlay} networks span hosts: this host installs every overlay network of the cluster (a
     * bridge domain plus the VNI's tunnel port) and follows the cluster's changes.
     */
    public synchronized RestoreReport enableOverlay(final OverlayControl control)
    {
        this.overlay = control;
        final RestoreReport restored = restoreOverlay();
        control.setListener(this::syncOverlay);
        return restored;
    }

    /**
     * The overlay half of {@link #restore}: each journaled overlay network the cluster still defines is installed
     * again (bridge domain, gateway, tunnel port) and each of its endpoints whose sandbox and veth survived claims its
     * address back in the cluster ({@link OverlayControl#reclaim}: same address and MAC, under this daemon's lease)
     * and becomes a switch port again. Addresses the previous daemon held that nothing claimed are released.
     */
    private RestoreReport restoreOverlay()
    {
        final List<String> dropped = new ArrayList<>();
        int networks = 0;
        int reattached = 0;
        for (final Network stored : store.networks())
        {
            if (!Network.DRIVER_OVERLAY.equals(stored.driver()))
            {
                continue;
            }
            final Optional<OverlayNetwork> defined = overlay.state().network(stored.id());
            if (defined.isEmpty())
            {
                dropNetwork(stored, "overlay network " + stored.name() + " (no longer defined in " +
                    overlay.storeDescription() + ")", dropped);
                continue;
            }
            final List<Endpoint> endpoints = store.endpointsOfNetwork(stored.id());
            final Network network;
            try
            {
                network = installOverlay(defined.get()); // same id: replaces the journaled record
            }
            catch (final RuntimeException ex)
            {
                dropNetwork(stored, "overlay network " + stored.name() + " (" + ex.getMessage() + ")", dropped);
                continue;
            }
            networks++;
            for (final Endpoint endpoint : endpoints)
            {
                final String problem = reattachOverlayEndpoint(network, endpoint);
                if (problem == null)
                {
                    reattached++;
                }
                else
                {
                    dropped.add("endpoint " + endpoint.sandbox() + " on overlay " + network.name() + " (" + problem +
                        ")");
                }
            }
        }
        overlay.releaseUnclaimed();
        if (reattached > 0 || !dropped.isEmpty())
        {
            rewriteHostsFiles();
        }
        return new RestoreReport(networks, reattached, 0, dropped);
    }

    /** @return null when the endpoint is back (address claimed, switch port), else why it was dropped. */
    private String reattachOverlayEndpoint(final Network network, final Endpoint stored)
    {
        final boolean hostEndpoint = hostEndpointLabel(stored.id()).equals(stored.sandbox()); // Docker's
        if ((store.sandbox(stored.sandbox()).isEmpty() && !hostEndpoint) || !ip.linkExists(stored.hostInterface()))
        {
            store.removeEndpoint(stored.networkId(), stored.sandbox());
            runQuietly(() -> ip.deleteLink(stored.hostInterface()), null);
            return "its veth or sandbox is gone";
        }
        final Ipam ipam = ipams.get(network.id());
        final int address = stored.address();
        boolean claimed = false;
        try
        {
            if (ipam.isAllocated(address))
            {
                throw JvsException.conflict("address " + Ipv4.format(address) + " is journaled twice");
            }
            if (!overlay.reclaim(network.id(), stored.sandbox(), address, stored.macAddress()))
            {
                throw JvsException.conflict("address " + Ipv4.format(address) + " is held by another host now");
            }
            claimed = true;
            ipam.reserve(address);
            ip.linkUp(null, stored.hostInterface());
            final Endpoint endpoint = stored.withPort(fabric.attach(stored.hostInterface(), network.bridgeDomainId()));
            store.putEndpoint(endpoint);
            return null;
        }
        catch (final RuntimeException ex)
        {
            // The sandbox keeps no interface with an address the cluster may hand to someone else.
            store.removeEndpoint(stored.networkId(), stored.sandbox());
            runQuietly(() -> ip.deleteLink(stored.hostInterface()), ex);
            if (claimed)
            {
                runQuietly(() -> releaseAddress(network, ipam, address), ex);
            }
            return ex.getMessage();
        }
    }

    public synchronized Optional<OverlayControl> overlay()
    {
        return Optional.ofNullable(overlay);
    }

    /** {@code jvs overlay rotate-key NET}: a new key for an encrypted overlay network, in the whole cluster. */
    public Map<String, Object> rotateOverlayKey(final String ref)
    {
        final OverlayControl control;
        final Network network;
        synchronized (this)
        {
            network = resolveNetwork(ref);
            if (overlay == null || !overlayVnis.containsKey(network.id()))
            {
                throw JvsException.invalid("network " + network.name() + " is not an overlay network");
            }
            control = overlay;
        }
        final io.jvs.control.overlay.NetworkKeys keys = control.rotateKey(network.id(), 0);
        final io.jvs.control.overlay.NetworkKeys.Key newest = keys.keys().get(keys.keys().size() - 1);
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("Network", network.name());
        out.put("KeyId", newest.id());
        out.put("SealingFrom", Instant.ofEpochMilli(newest.activeFrom()).toString());
        keys.keys().stream().filter(k -> k.retireAt() != 0).findFirst().ifPresent(k ->
        {
            out.put("PreviousKeyId", k.id());
            out.put("PreviousRetiredAt", Instant.ofEpochMilli(k.retireAt()).toString());
        });
        return out;
    }

    /** Driver options as {@code network inspect} shows them (overlay: VNI and MTU; macvlan/ipvlan: as given). */
    public synchronized Map<String, String> networkOptions(final Network network)
    {
        final Integer vni = overlayVnis.get(network.id());
        if (vni == null)
        {
            return network.options(); // macvlan/ipvlan: as given (journaled with the network); others: none
        }
        final Map<String, String> options = new LinkedHashMap<>();
        options.put("vni", Integer.toString(vni));
        options.put("mtu", Integer.toString(overlay.tunnels().innerMtuOf(vni)));
        if (overlay.tunnels().isEncrypted(vni))
        {
            options.put("encrypted", "true");
        }
        return options;
    }

    private Network createOverlayNetwork(final CreateNetworkRequest request, final Map<String, String> options)
    {
        final OverlayControl.Definition definition = overlayDefinition(request, options);
        final OverlayNetwork defined = overlay.define(definition, newId(), overlayLocalTaken());
        try
        {
            return installOverlay(defined);
        }
        catch (final RuntimeException ex)
        {
            runQuietly(() -> overlay.undefine(defined.id()), ex);
            throw ex;
        }
    }

    /**
     * A Docker network with {@code -o type=overlay -o name=NAME}: this host's Docker network maps to the cluster's
     * overlay network NAME, created with Docker's subnet and gateway (from jvs's IPAM) if the cluster has none of
     * that name, joined if it has one with the same subnet and gateway (and VNI, encryption if given). Docker's
     * endpoints on it are overlay endpoints of that network. @return the overlay network (its id is the cluster's).
     *
     * @param options overlay driver options: {@code vni}, {@code encrypted}.
     */
    public synchronized Network attachDockerOverlay(final String dockerNetworkId, final String name,
        final String subnet, final String gateway, final boolean internal, final Map<String, String> options)
    {
        checkOpen();
        checkName("network", name);
        final OverlayControl.Definition definition = overlayDefinition(
            new CreateNetworkRequest(name, Network.DRIVER_OVERLAY, subnet, gateway, internal), options);
        final Optional<Network> local = findByName(name);
        if (local.isPresent() && !overlayVnis.containsKey(local.get().id()))
        {
            throw JvsException.conflict("network with name " + name + " already exists on this host and is not an " +
                "overlay network");
        }
        final String id = local.map(Network::id).orElseGet(this::newId);
        final List<Cidr> taken = overlayLocalTaken();
        taken.removeIf(c -> c.equals(Cidr.parse(subnet))); // Docker's pool for this very network (jvs's IPAM)
        final OverlayNetwork defined = overlay.attachDocker(definition, id, taken, dockerNetworkId);
        if (overlayVnis.containsKey(defined.id()))
        {
            return store.network(defined.id()).orElseThrow();
        }
        try
        {
            return installOverlay(defined);
        }
        catch (final RuntimeException ex)
        {
            runQuietly(() -> detachDockerOverlay(defined.id()), ex);
            throw ex;
        }
    }

    /**
     * {@code docker network rm} of a Docker network mapped to an overlay network: this host's mapping goes; the
     * overlay network goes too (from every host) only if it was created through Docker, no host maps a Docker
     * network to it any more and no host has endpoints on it. Other hosts' sandboxes keep it otherwise.
     */
    public synchronized void detachDockerOverlay(final String networkId)
    {
        checkOpen();
        if (overlay.detachDocker(networkId))
        {
            final Optional<Network> network = store.network(networkId);
            try
            {
                if (network.isPresent() && store.endpointsOfNetwork(networkId).isEmpty())
                {
                    remove(network.get());
                }
                else
                {
                    overlay.undefine(networkId);
                }
            }
            catch (final JvsException ex)
            {
                // An endpoint or a Docker network appeared meanwhile: the network stays, which is what they need.
                warnOnce("overlay network " + networkId + " kept: " + ex.getMessage());
            }
        }
    }

    /** The overlay network installed here whose subnet is exactly {@code subnet} (Docker IPAM pools). */
    public synchronized Optional<Network> overlayNetworkWithSubnet(final Cidr subnet)
    {
        return overlayVnis.keySet().stream().map(id -> store.network(id).orElseThrow())
            .filter(n -> n.subnet().equals(subnet)).findFirst();
    }

    /** Docker's IPAM on an overlay network: an address unique in the cluster, held under a placeholder record. */
    public synchronized int allocateDockerOverlayAddress(final String networkId, final int requested,
        final java.util.function.IntPredicate avoid)
    {
        checkOpen();
        return overlay.allocate(networkId, DOCKER_IPAM_HOLDER, Ipv4::dockerMac, requested, avoid);
    }

    /** Docker's IPAM releases an address: freed in the cluster if no endpoint took it over meanwhile. */
    public synchronized void releaseDockerOverlayAddress(final String networkId, final int address)
    {
        checkOpen();
        overlay.releaseIfHeld(networkId, address, DOCKER_IPAM_HOLDER);
    }

    private List<Cidr> overlayLocalTaken()
    {
        final List<Cidr> taken = new ArrayList<>(ip.hostRoutes());
        store.networks().stream().filter(n -> n.subnet() != null && !overlayVnis.containsKey(n.id()))
            .forEach(n -> taken.add(n.subnet()));
        return taken;
    }

    private OverlayControl.Definition overlayDefinition(final CreateNetworkRequest request,
        final Map<String, String> options)
    {
        if (overlay == null)
        {
            throw JvsException.invalid("driver \"overlay\" is not enabled on this daemon");
        }
        Integer vni = null;
        boolean encrypted = false;
        for (final Map.Entry<String, String> option : options.entrySet())
        {
            switch (option.getKey())
            {
                case "vni" ->
                {
                    try
                    {
                        vni = Integer.parseInt(option.getValue());
                    }
                    catch (final NumberFormatException ex)
                    {
                        throw JvsException.invalid("invalid vni \"" + option.getValue() + "\": a number 1.." +
                            OverlayControl.MAX_VNI + " is expected");
                    }
                }
                case "encrypted" -> encrypted = option.getValue() == null || option.getValue().isEmpty() ||
                    Boolean.parseBoolean(option.getValue());
                default -> throw JvsException.invalid("unknown option \"" + option.getKey() +
                    "\" for driver overlay (known: vni, encrypted)");
            }
        }
        return new OverlayControl.Definition(request.name(), request.subnet(), request.gateway(), vni,
            request.internal(), encrypted);
    }

    /**
     * A bridge domain with the VNI's tunnel port in it, and the network in the store. Its gateway is this host's
     * router, as on a bridge network: every host installs the same gateway address and router MAC (an anycast
     * gateway), and the tunnel port keeps frames to and from that MAC, and ARP for that address, on this host.
     */
    private Network installOverlay(final OverlayNetwork defined)
    {
        final Cidr subnet = Cidr.parse(defined.subnet());
        final int gateway = Ipv4.parse(defined.gateway());
        final int bridgeDomain = fabric.createNetwork(defined.name());
        try
        {
            fabric.setGateway(bridgeDomain, gateway, subnet.network(), subnet.prefix(), defined.internal());
            overlay.tunnels().attach(defined.vni(), bridgeDomain, gateway, defined.encrypted());
        }
        catch (final RuntimeException ex)
        {
            runQuietly(() -> fabric.removeNetwork(bridgeDomain), ex);
            throw ex;
        }
        final Network network = new Network(defined.id(), defined.name(), Network.DRIVER_OVERLAY, defined.internal(),
            subnet, gateway, false, Instant.parse(defined.created()), bridgeDomain);
        addNetwork(network);
        overlayVnis.put(network.id(), defined.vni());
        return network;
    }

    private void uninstallOverlay(final Network network)
    {
        final Integer vni = overlayVnis.remove(network.id());
        if (vni != null)
        {
            overlay.tunnels().detach(vni);
        }
        fabric.removeNetwork(network.bridgeDomainId());
        store.removeNetwork(network.id());
        ipams.remove(network.id());
    }

    /** The cluster allocates (unique across hosts); the local Ipam mirrors it so local bookkeeping stays uniform. */
    private int allocateOverlayAddress(final Network network, final Ipam ipam, final String sandbox)
    {
        final int address = overlay.allocate(network.id(), sandbox, Ipv4::dockerMac);
        try
        {
            ipam.reserve(address);
        }
        catch (final RuntimeException ex)
        {
            runQuietly(() -> overlay.release(network.id(), address), ex);
            throw ex;
        }
        return address;
    }

    private void releaseAddress(final Network network, final Ipam ipam, final int address)
    {
        ipam.release(address);
        if (overlayVnis.containsKey(network.id()))
        {
            releaseOverlayAddress(network.id(), address);
        }
    }

    /**
     * The local endpoint is gone already; if the store cannot be told (etcd unreachable), the key stays under this
     * host's lease until the lease goes, which is reported rather than failing the disconnect half-way.
     */
    private void releaseOverlayAddress(final String networkId, final int address)
    {
        try
        {
            overlay.release(networkId, address);
        }
        catch (final RuntimeException ex)
        {
            System.err.println("jvs: overlay address " + Ipv4.format(address) + " not released in " +
                overlay.storeDescription() + " (it goes with this host's lease): " + ex.getMessage());
        }
    }

    /** The overlay network's endpoints on other hosts, as the cluster store lists them; empty for other networks. */
    public synchronized List<EndpointRecord> remoteEndpointsOf(final Network network)
    {
        return remoteEndpoints(network.id());
    }

    private List<EndpointRecord> remoteEndpoints(final String networkId)
    {
        if (overlay == null || !overlayVnis.containsKey(networkId))
        {
            return List.of();
        }
        return overlay.state().endpoints(networkId).stream().filter(e -> !e.host().equals(overlay.hostId())).toList();
    }

    /**
     * Follows the cluster (called on the overlay thread): installs overlay networks defined elsewhere, removes those
     * removed elsewhere (unless sandboxes here still use them), rewrites hosts files when remote endpoints changed.
     */
    private synchronized void syncOverlay(final ClusterState state)
    {
        if (closed || overlay == null)
        {
            return;
        }
        for (final OverlayNetwork defined : state.networks().values())
        {
            if (overlayVnis.containsKey(defined.id()) || store.network(defined.id()).isPresent())
            {
                continue;
            }
            final Optional<Network> clash = findByName(defined.name());
            if (clash.isPresent())
            {
                warnOnce("overlay network " + defined.name() + " (vni " + defined.vni() + ") is not installed here: " +
                    "this host has a local network of that name");
                continue;
            }
            try
            {
                installOverlay(defined);
            }
            catch (final RuntimeException ex)
            {
                warnOnce("overlay network " + defined.name() + " could not be installed: " + ex.getMessage());
            }
        }
        for (final String id : List.copyOf(overlayVnis.keySet()))
        {
            if (state.network(id).isEmpty())
            {
                final Network network = store.network(id).orElseThrow();
                if (store.endpointsOfNetwork(id).isEmpty())
                {
                    uninstallOverlay(network);
                }
                else
                {
                    warnOnce("overlay network " + network.name() + " was removed from the cluster but sandboxes " +
                        "here still use it");
                }
            }
        }
        final Map<String, List<EndpointRecord>> remote = new HashMap<>();
        for (final String id : overlayVnis.keySet())
        {
            remote.put(id, remoteEndpoints(id));
        }
        if (!remote.equals(remoteEndpointsWritten))
        {
            remoteEndpointsWritten = remote;
            rewriteHostsFiles();
        }
    }

    private void warnOnce(final String message)
    {
        if (!message.equals(lastOverlayWarning))
        {
            System.err.println("jvs: " + message);
            lastOverlayWarning = message;
        }
    }

    // --------------------------------------------------------------------------------------------------- helpers

    private void addNetwork(final Network network)
    {
        store.putNetwork(network);
        if (network.subnet() != null)
        {
            ipams.put(network.id(), new Ipam(network.subnet(), network.gateway()));
        }
    }

    private void removeEndpoint(final Network network, final Endpoint endpoint)
    {
        lan.onDisconnect(network.id(), endpoint);
        unpublishQuietly(endpoint, null);
        if (endpoint.portId() != Endpoint.NO_PORT)
        {
            fabric.detach(endpoint.portId());
        }
        ip.deleteLink(endpoint.hostInterface());
        ipams.get(network.id()).release(endpoint.address());
        store.removeEndpoint(network.id(), endpoint.sandbox());
        if (overlayVnis.containsKey(network.id()))
        {
            releaseOverlayAddress(network.id(), endpoint.address());
        }
    }

    /** After a disconnect took the default route away, Docker-like: route via another (non-internal) network. */
    private void restoreDefaultRoute(final String sandbox)
    {
        if (ip.defaultRouteDevice(sandbox).isPresent())
        {
            return;
        }
        for (final Endpoint endpoint : store.endpointsOfSandbox(sandbox))
        {
            final Network network = store.network(endpoint.networkId()).orElseThrow();
            if (!network.internal())
            {
                ip.addDefaultRoute(sandbox, Ipv4.format(network.gateway()), endpoint.sandboxInterface());
                return;
            }
        }
    }

    /** Each sandbox's hosts file: itself, then each peer sharing a network with it (at its address there). */
    private void rewriteHostsFiles()
    {
        final List<Endpoint> all = store.endpoints();
        for (final Sandbox sandbox : store.sandboxes())
        {
            final Map<String, String> names = new LinkedHashMap<>();
            all.stream().filter(e -> e.sandbox().equals(sandbox.name()))
                .min(java.util.Comparator.comparing(Endpoint::sandboxInterface)) // eth0 names the sandbox itself
                .ifPresent(own -> names.put(sandbox.name(), Ipv4.format(own.address())));
            for (final Endpoint own : all)
            {
                if (!own.sandbox().equals(sandbox.name()))
                {
                    continue;
                }
                for (final Endpoint peer : all)
                {
                    if (peer.networkId().equals(own.networkId()) && !peer.sandbox().equals(sandbox.name()))
                    {
                        names.putIfAbsent(peer.sandbox(), Ipv4.format(peer.address()));
                    }
                }
                for (final EndpointRecord remote : remoteEndpoints(own.networkId()))
                {
                    names.putIfAbsent(remote.sandbox(), remote.address()); // sandboxes behind other hosts' VTEPs
                }
            }
            final List<HostsFiles.HostEntry> entries = new ArrayList<>();
            names.forEach((name, address) -> entries.add(new HostsFiles.HostEntry(address, name)));
            hosts.write(sandbox.name(), entries);
        }
    }

    /** The journaled published ports of the endpoints that came back; a range the fabric refuses is reported. */
    private void republish(final List<String> problems)
    {
        for (final Map.Entry<String, List<String>> entry : store.publishedPorts().entrySet())
        {
            final Optional<Endpoint> endpoint = findEndpoint(entry.getKey());
            if (endpoint.isEmpty())
            {
                store.putPublishedPorts(entry.getKey(), List.of());
                continue;
            }
            final Network network = store.network(endpoint.get().networkId()).orElseThrow();
            final List<PortMapping> mappings = entry.getValue().stream().map(PortMapping::parse).toList();
            try
            {
                publishTo(network, endpoint.get(), mappings);
            }
            catch (final RuntimeException ex)
            {
                // Kept in the journal: a later start (with the port free again) publishes them.
                publications.remove(endpoint.get().id());
                problems.add("published ports " + entry.getValue() + " of endpoint " + endpoint.get().sandbox() +
                    " (not published again: " + ex.getMessage() + ")");
            }
        }
    }

    /**
     * Publishes each range to the endpoint (choosing the host ports of those without one) and journals them as
     * published, chosen ports included; on a refusal the ranges published so far go again.
     */
    private void publishTo(final Network network, final Endpoint endpoint, final List<PortMapping> mappings)
    {
        if (mappings.isEmpty())
        {
            return;
        }
        final List<PublishScope> scopes = mappings.stream().map(m -> fabric.publishScope(m.hostIp())).toList();
        final List<Publication> published = new ArrayList<>();
        publications.put(endpoint.id(), published); // ports chosen below count as taken for the next ones
        try
        {
            for (int i = 0; i < mappings.size(); i++)
            {
                final PortMapping mapping = mappings.get(i);
                final PublishScope scope = scopes.get(i);
                published.add(mapping.choosesHostPort() ?
                    HostPortChooser.choose(mapping.containerFirst() + "/" + mapping.protocol(),
                        port -> isPublished(mapping.protocol(), port),
                        port -> publishOne(network, endpoint, mapping.onHostPort(port), scope)) :
                    publishOne(network, endpoint, mapping, scope));
            }
        }
        catch (final RuntimeException ex)
        {
            publications.remove(endpoint.id());
            published.forEach(p -> runQuietly(() -> fabric.unpublish(p.ruleId()), ex));
            throw ex;
        }
        store.putPublishedPorts(endpoint.id(), published.stream().map(p -> p.mapping().toString()).toList());
    }

    private Publication publishOne(final Network network, final Endpoint endpoint, final PortMapping mapping,
        final PublishScope scope)
    {
        final int rule = fabric.publish(mapping.protocol(), scope, mapping.hostFirst(), mapping.hostLast(),
            endpoint.address(), mapping.containerFirst());
        return new Publication(network.name(), endpoint.sandbox(), Ipv4.format(endpoint.address()), mapping, rule);
    }

    /** Whether any endpoint publishes {@code port} of {@code protocol}, on any host address. */
    private boolean isPublished(final String protocol, final int port)
    {
        for (final List<Publication> list : publications.values())
        {
            for (final Publication p : list)
            {
                if (p.mapping().protocol().equals(protocol) && port >= p.mapping().hostFirst() &&
                    port <= p.mapping().hostLast())
                {
                    return true;
                }
            }
        }
        return false;
    }

    /** Refuses host addresses the fabric does not serve before anything changes. */
    private void checkPublishable(final Network network, final List<PortMapping> mappings)
    {
        if (!mappings.isEmpty() && network.internal())
        {
            throw JvsException.forbidden("network " + network.name() + " is internal: it has no published ports");
        }
        mappings.forEach(m -> fabric.publishScope(m.hostIp()));
    }

    /** Revokes the endpoint's published ports; failures are added to {@code failure} (or thrown if it is null). */
    private void unpublishQuietly(final Endpoint endpoint, final RuntimeException failure)
    {
        store.putPublishedPorts(endpoint.id(), List.of());
        final List<Publication> published = publications.remove(endpoint.id());
        if (published == null)
        {
            return;
        }
        for (final Publication publication : published)
        {
            if (failure == null)
            {
                fabric.unpublish(publication.ruleId());
            }
            else
            {
                runQuietly(() -> fabric.unpublish(publication.ruleId()), failure);
            }
        }
    }

    /** Every published range. */
    public synchronized List<Publication> publications()
    {
        return publications.values().stream().flatMap(List::stream).toList();
    }

    /** Live NAT translations. */
    public synchronized List<NatEntry> natTable()
    {
        return fabric.natTable();
    }

    public synchronized Map<String, Long> routerCounters()
    {
        return fabric.routerCounters();
    }

    public synchronized Map<String, String> l3Summary()
    {
        return fabric.l3Summary();
    }

    private Map<Integer, Endpoint> endpointsByPort()
    {
        final Map<Integer, Endpoint> byPort = new HashMap<>();
        store.endpoints().forEach(e -> byPort.put(e.portId(), e));
        return byPort;
    }

    private NetworkViews.NetworkDetails details(final Network network)
    {
        return new NetworkViews.NetworkDetails(network, store.endpointsOfNetwork(network.id()));
    }

    private NetworkViews.SandboxDetails details(final Sandbox sandbox)
    {
        final List<Endpoint> endpoints = store.endpointsOfSandbox(sandbox.name());
        final Map<String, String> names = new HashMap<>();
        endpoints.forEach(e -> names.put(e.networkId(), store.network(e.networkId()).map(Network::name).orElse("?")));
        return new NetworkViews.SandboxDetails(sandbox, endpoints, names);
    }

    /** Docker's order: full id, then full name, then a unique id prefix. */
    private Network resolveNetwork(final String ref)
    {
        if (ref == null || ref.isEmpty())
        {
            throw JvsException.invalid("network name or id is empty");
        }
        final Optional<Network> byId = store.network(ref);
        if (byId.isPresent())
        {
            return byId.get();
        }
        final Optional<Network> byName = findByName(ref);
        if (byName.isPresent())
        {
            return byName.get();
        }
        final List<Network> matches = store.networks().stream().filter(n -> n.id().startsWith(ref)).toList();
        if (matches.size() > 1)
        {
            throw JvsException.conflict("network " + ref + " is ambiguous (" + matches.size() +
                " matches found based on ID prefix)");
        }
        if (matches.isEmpty())
        {
            throw JvsException.notFound("network " + ref + " not found");
        }
        return matches.get(0);
    }

    private Optional<Network> findByName(final String name)
    {
        return store.networks().stream().filter(n -> n.name().equals(name)).findFirst();
    }

    private Sandbox resolveSandbox(final String name)
    {
        return store.sandbox(name).orElseThrow(() -> JvsException.notFound("no such sandbox: " + name));
    }

    private static void checkName(final String what, final String name)
    {
        if (name == null || !NAME.matcher(name).matches())
        {
            throw JvsException.invalid("invalid " + what + " name \"" + name + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] " +
                "are allowed, up to 63 characters");
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new JvsException(JvsException.Kind.INTERNAL, "the daemon is shutting down");
        }
    }

    private String newId()
    {
        final byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** "jv" + 8 hex digits: 10 characters, well inside IFNAMSIZ, and unlikely to clash with anything else. */
    private String newHostInterfaceName()
    {
        for (int i = 0; i < NAME_ATTEMPTS; i++)
        {
            final String name = HOST_INTERFACE_PREFIX + HexFormat.of().toHexDigits(random.nextInt());
            if (!ip.linkExists(name) && !ip.linkExists(name + HOST_PEER_SUFFIX))
            {
                return name;
            }
        }
        throw new JvsException(JvsException.Kind.INTERNAL, "no free host interface name after " + NAME_ATTEMPTS +
            " attempts");
    }

    private String nextSandboxInterface(final String sandbox)
    {
        final List<String> existing = ip.linkNames(sandbox);
        for (int i = 0; i < 1000; i++)
        {
            if (!existing.contains(SANDBOX_INTERFACE_PREFIX + i))
            {
                return SANDBOX_INTERFACE_PREFIX + i;
            }
        }
        throw JvsException.conflict("sandbox " + sandbox + " has no free ethN name");
    }

    private static void runQuietly(final Runnable undo, final RuntimeException primary)
    {
        try
        {
            undo.run();
        }
        catch (final RuntimeException ex)
        {
            if (primary != null)
            {
                primary.addSuppressed(ex);
            }
        }
    }
}
