package io.jvs.control.network;

import io.jvs.control.common.Failures;
import io.jvs.control.common.JvsException;
import io.jvs.control.dns.SandboxNames;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipam;
import io.jvs.control.ipam.Ipv6Address;
import io.jvs.control.ipam.Ipv6Subnet;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.ipam.SubnetPool;
import io.jvs.control.ipam.SubnetPool6;
import io.jvs.control.lan.LanNetworks;
import io.jvs.control.lan.LanSpec;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.netns.IpTool;
import io.jvs.control.overlay.EndpointRecord;
import io.jvs.control.overlay.OverlayControl;
import io.jvs.control.publish.PortMapping;
import io.jvs.control.publish.Publication;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.control.state.NetworkStore;
import io.jvs.control.state.Sandbox;
import io.jvs.dataplane.nat.NatEntry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The control plane: networks, sandboxes and the endpoints between them, kept consistent across the store, the
 * kernel (namespaces, veths, addresses, routes, hosts files) and the switch. What differs between kinds of network
 * is in their {@link NetworkDriver}; this class validates, allocates addresses, makes the veths, journals, and undoes.
 * <p>
 * Every request is validated completely before anything changes; a kernel or switch step that fails later undoes
 * the steps before it, so a refused request leaves everything as it was. One lock (this object's monitor) serialises
 * requests: this is the slow path, a few kernel calls per request.
 * <p>
 * Over 800 lines (851) after IPv6 and crash-safe attaches came in on 2026-12-08: what remains is the public entry
 * points and the undo of each multi-step change, which read best beside each other. Where it would split next, along
 * its own sections: the sandboxes section (create, adopt, remove) into a class of its own, as the drivers, the
 * restore ({@link NetworkRestore}) and the attach intents ({@link AttachIntents}) already are.
 */
public final class NetworkService implements AutoCloseable
{
    private static final String PREDEFINED_BRIDGE = "bridge";

    private final NetworkStore store;
    private final NetworkTable table;
    private final Fabric fabric;
    private final IpTool ip;
    private final HostsFiles hosts;
    private final SubnetPool pool;
    /** Where dual-stack networks without an IPv6 subnet get their /64 ({@code jvs daemon --default-ipv6-pool}). */
    private SubnetPool6 pool6 = SubnetPool6.defaults();
    private final LanNetworks lan;
    private final Naming naming;
    private final PeerNames peerNames;
    private final SandboxLink link;
    private final EndpointPublisher publisher;
    private final EndpointAddresses addresses;
    /** Driver name -> its kind of network; overlay joins once {@link #enableOverlay} ran. */
    private final Map<String, NetworkDriver> drivers = new HashMap<>();
    private boolean sandboxesRefused;
    private final AttachIntents intents;
    /** Null until {@link #enableOverlay}: then {@code -d overlay} networks span the hosts of the cluster. */
    private OverlayDriver overlay;
    private AttachProbe probe = AttachProbe.NONE;
    private boolean closed;

    public NetworkService(
        final NetworkStore store, final Fabric fabric, final IpTool ip, final HostsFiles hosts, final SubnetPool pool)
    {
        this(store, fabric, ip, hosts, pool, new SandboxNames());
    }

    /** @param names where the peers' names go for the sandboxes' resolver ({@code SandboxDns}) to answer them. */
    public NetworkService(final NetworkStore store, final Fabric fabric, final IpTool ip, final HostsFiles hosts,
        final SubnetPool pool, final SandboxNames names)
    {
        this.store = store;
        this.table = new NetworkTable(store);
        this.fabric = fabric;
        this.ip = ip;
        this.intents = new AttachIntents(store, ip);
        this.hosts = hosts;
        this.pool = pool;
        this.lan = new LanNetworks(fabric, ip);
        this.naming = new Naming(ip);
        this.peerNames = new PeerNames(store, hosts, names);
        this.link = new SandboxLink(ip, store);
        this.publisher = new EndpointPublisher(store, fabric);
        this.addresses = new EndpointAddresses(table);
        final BridgeDriver bridge = new BridgeDriver(fabric);
        final LanDriver lanDriver = new LanDriver(fabric, lan);
        final NoNetworkDriver none = new NoNetworkDriver();
        drivers.put(Network.DRIVER_BRIDGE, bridge);
        drivers.put(Network.DRIVER_DOCKER, bridge);
        drivers.put(Network.DRIVER_HOST, none);
        drivers.put(Network.DRIVER_NULL, none);
        drivers.put(LanSpec.DRIVER_MACVLAN, lanDriver);
        drivers.put(LanSpec.DRIVER_IPVLAN, lanDriver);
    }

    /** The pool of IPv6 prefixes for {@code --ipv6} networks without an IPv6 subnet, from now on. */
    public synchronized void ipv6Pool(final SubnetPool6 pool)
    {
        this.pool6 = pool;
    }

    /** Where {@code --ipv6} networks without an IPv6 subnet get their /64 (Docker's IPAM plugin too). */
    public synchronized SubnetPool6 ipv6Pool()
    {
        return pool6;
    }

    /** Creates the predefined networks {@code bridge}, {@code host} and {@code none} as Docker has them. */
    public synchronized void createPredefinedNetworks()
    {
        final List<Cidr> taken = table.subnetsTaken(ip.hostRoutes(), n -> true);
        final Cidr subnet = SubnetPool.overlapsAny(SubnetPool.DEFAULT_BRIDGE, taken) ?
            pool.next(taken) : SubnetPool.DEFAULT_BRIDGE;
        final Instant now = Instant.now();
        table.put(driver(Network.DRIVER_BRIDGE).install(new Network(naming.newId(), PREDEFINED_BRIDGE,
            Network.DRIVER_BRIDGE, false, subnet, Ipam.defaultGateway(subnet), true, now, 0)));
        table.put(new Network(naming.newId(), "host", Network.DRIVER_HOST, false, null, 0, true, now, 0));
        table.put(new Network(naming.newId(), "none", Network.DRIVER_NULL, false, null, 0, true, now, 0));
    }

    /** Takes over namespaces a previous daemon created (their hosts files carry jvs's mark); they have no endpoints. */
    public synchronized List<String> adoptSandboxes()
    {
        final List<String> adopted = new ArrayList<>();
        for (final String name : ip.namespaces())
        {
            if (Naming.isValidName(name) && store.sandbox(name).isEmpty() && hosts.isOurs(name))
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
        return store.networks().stream().map(n -> NetworkViews.details(store, n)).toList();
    }

    public synchronized NetworkViews.NetworkDetails network(final String ref)
    {
        return NetworkViews.details(store, table.resolve(ref));
    }

    /**
     * Creates a network. The request's driver options ({@code -o key[=value]}) go to its driver: overlay
     * {@code vni=N}, {@code encrypted}; macvlan/ipvlan {@code parent=IFACE[.VLAN]}, {@code macvlan_mode},
     * {@code ipvlan_mode}; the bridge driver takes none.
     */
    public synchronized Network createNetwork(final CreateNetworkRequest request)
    {
        checkOpen();
        Naming.checkName("network", request.name());
        final String driver = request.driver() == null || request.driver().isEmpty() ?
            Network.DRIVER_BRIDGE : request.driver();
        final CreateNetworkRequest normalized = request.withDriver(driver,
            request.options() == null ? Map.of() : request.options());
        if (Network.DRIVER_OVERLAY.equals(driver))
        {
            NetworkTable.refuseIpv6(normalized);
            return overlayDriver().create(normalized);
        }
        if (Network.DRIVER_DOCKER.equals(driver) || !drivers.containsKey(driver))
        {
            throw JvsException.invalid("driver \"" + driver + "\" is not supported: jvs networks use the bridge, " +
                "macvlan, ipvlan or overlay driver");
        }
        return create(normalized, naming.newId());
    }

    /**
     * A network a container runtime owns (Docker, through the remote driver): its id is the runtime's, and only
     * {@link #removeRuntimeNetwork} removes it.
     */
    public synchronized Network createRuntimeNetwork(final String id, final CreateNetworkRequest request)
    {
        checkOpen();
        if (store.network(id).isPresent())
        {
            throw JvsException.conflict("network " + id + " already exists");
        }
        return create(request, id);
    }

    /** A bridge, runtime or macvlan/ipvlan network: a bridge domain of this host's switch. */
    private Network create(final CreateNetworkRequest request, final String id)
    {
        if (table.byName(request.name()).isPresent())
        {
            throw JvsException.conflict("network with name " + request.name() + " already exists");
        }
        final NetworkDriver driver = driver(request.driver());
        if (!(driver instanceof BridgeDriver))
        {
            NetworkTable.refuseIpv6(request);
        }
        final Map<String, String> options = driver.checkOptions(request);
        final NetworkTable.Ipv4Side v4 = table.ipv4Of(request, pool, ip);
        final Ipv6Subnet ipv6 = table.ipv6Of(request, pool6, ip);
        final Network network = driver.install(new Network(id, request.name(), request.driver(), request.internal(),
            v4.subnet(), v4.gateway(), false, Instant.now(), 0, options, v4.range(), v4.aux(), ipv6));
        try
        {
            table.put(network, v4.ipam());
        }
        catch (final RuntimeException ex)
        {
            // Not journaled (a full state volume, say): a network the state does not know must not stay installed.
            Failures.runQuietly(() -> driver.uninstall(network), ex);
            throw ex;
        }
        return network;
    }

    /** Removes one network; refused for predefined networks, runtime networks and networks with endpoints. */
    public synchronized Network removeNetwork(final String ref)
    {
        checkOpen();
        final Network network = table.resolve(ref);
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

    /** Removes a network a container runtime created; refused while it has endpoints. */
    public synchronized Network removeRuntimeNetwork(final String id)
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
        driverOf(network).uninstall(network);
        table.forget(network);
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

    /** Driver options as {@code network inspect} shows them (overlay: VNI and MTU; macvlan/ipvlan: as given). */
    public synchronized Map<String, String> networkOptions(final Network network)
    {
        return driverOf(network).inspectOptions(network);
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
        final Network network = table.resolve(networkRef);
        final Sandbox sandbox = resolveSandbox(sandboxName);
        publisher.check(network, publish);
        final NetworkDriver driver = driverOf(network);
        driver.checkConnectable(network, sandbox.name());
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
        probe.after(AttachStep.CHECKED);

        final EndpointAddresses.Held held = addresses.allocate(network, driver, sandbox.name());
        final Runnable releaseAddresses = () -> addresses.release(network, driver, held);
        String intent = null;
        final String hostInterface;
        final String sandboxInterface;
        try
        {
            probe.after(AttachStep.ADDRESS);
            hostInterface = naming.newHostInterfaceName();
            sandboxInterface = naming.nextSandboxInterface(sandbox.name());
            probe.after(AttachStep.INTERFACE_NAMES);
            store.putAttachIntent(hostInterface);
            intent = hostInterface;
            probe.after(AttachStep.INTENT);
        }
        catch (final RuntimeException ex)
        {
            releaseAddresses.run();
            if (intent != null)
            {
                intents.forget(intent, ex);
            }
            throw ex;
        }
        final String mac = held.dockerMac();
        boolean linkCreated = false;
        int portId = 0;
        Endpoint endpoint = null;
        try
        {
            ip.createVeth(hostInterface, sandboxInterface, mac, sandbox.name());
            linkCreated = true;
            probe.after(AttachStep.VETH);
            link.configure(network, sandbox.name(), sandboxInterface, hostInterface, driver.linkMtu(network, 0),
                held.address(), held.address6(), probe);
            portId = fabric.attach(hostInterface, network.bridgeDomainId());
            probe.after(AttachStep.PORT);
            endpoint = new Endpoint(naming.newId(), network.id(), sandbox.name(), hostInterface, sandboxInterface, mac,
                held.address(), held.prefix(network), portId, held.address6(), held.prefix6(network));
            driver.onPortAttached(network, endpoint);
            store.putEndpoint(endpoint);
            probe.after(AttachStep.JOURNAL);
            driver.onConnect(network, endpoint);
            probe.after(AttachStep.DRIVER);
            publisher.publish(network, endpoint, publish);
            probe.after(AttachStep.PUBLISH);
            peerNames.joined(endpoint);
            probe.after(AttachStep.PEER_NAMES);
            return endpoint;
        }
        catch (final RuntimeException ex)
        {
            if (endpoint != null)
            {
                final Endpoint added = endpoint;
                Failures.runQuietly(() -> driver.onDisconnect(network, added), ex);
                Failures.runQuietly(() -> publisher.revoke(added, ex), ex);
                Failures.runQuietly(() -> store.removeEndpoint(network.id(), sandbox.name()), ex);
                Failures.runQuietly(() -> peerNames.left(added), ex);
            }
            undoAttach(portId, linkCreated ? hostInterface : null, releaseAddresses, ex);
            intents.forget(hostInterface, ex);
            throw ex;
        }
    }

    public synchronized void disconnect(final String networkRef, final String sandboxName)
    {
        checkOpen();
        final Network network = table.resolve(networkRef);
        final Sandbox sandbox = resolveSandbox(sandboxName);
        final Endpoint endpoint = store.endpoint(network.id(), sandbox.name()).orElseThrow(() ->
            JvsException.notFound("sandbox " + sandbox.name() + " is not connected to network " + network.name()));
        removeEndpoint(network, endpoint);
        link.restoreDefaultRoute(sandbox.name());
        probe.after(AttachStep.ROUTE_RESTORED);
    }

    /** Told after each step of a connect or disconnect from now on ({@link AttachProbe#NONE}: nobody). */
    public synchronized void probe(final AttachProbe attachProbe)
    {
        this.probe = attachProbe;
    }

    /**
     * An endpoint for a container runtime that moves the interface itself (Docker): a veth pair on the host, the host
     * end a switch port, the other end ({@link Endpoint#sandboxInterface}) left on the host, down and unaddressed,
     * for the runtime to move into its container and configure. The address is one the runtime's IPAM chose (0:
     * take the next free one); the MAC is the runtime's or, when null, derived from the address as Docker does.
     *
     * @param label the store's sandbox name for it: not a jvs sandbox, just a unique, readable key.
     * @param mtu   both veth ends' MTU; 0 keeps the kernel default.
     */
    public synchronized Endpoint createRuntimeEndpoint(final String networkId, final String endpointId,
        final String label, final int requestedAddress, final String requestedMac, final int mtu)
    {
        return createRuntimeEndpoint(networkId, endpointId, label, requestedAddress, null, requestedMac, mtu);
    }

    /**
     * The same on a dual-stack network: {@code requestedAddress6} is the runtime's IPv6 choice (null: the next free
     * one; ignored on an IPv4-only network).
     */
    public synchronized Endpoint createRuntimeEndpoint(final String networkId, final String endpointId,
        final String label, final int requestedAddress, final Ipv6Address requestedAddress6, final String requestedMac,
        final int mtu)
    {
        checkOpen();
        final Network network = store.network(networkId).orElseThrow(() ->
            JvsException.notFound("network " + networkId + " not found"));
        if (!network.hasBridgeDomain() || !network.hasIpv4())
        {
            throw JvsException.forbidden("network " + network.name() + (network.hasBridgeDomain() ?
                " is IPv6-only: container runtimes need an IPv4 subnet" : " has no switch segment to attach to"));
        }
        if (findEndpoint(endpointId).isPresent() || store.endpoint(network.id(), label).isPresent())
        {
            throw JvsException.conflict("endpoint " + endpointId + " already exists");
        }
        final NetworkDriver driver = driverOf(network);
        final String givenMac = requestedMac == null || requestedMac.isEmpty() ? null : requestedMac;
        final EndpointAddresses.Held held = addresses.claim(network, driver, label, requestedAddress,
            requestedAddress6, givenMac);
        final String mac = givenMac != null ? givenMac : held.dockerMac();
        final int linkMtu = driver.linkMtu(network, mtu);
        final String hostInterface;
        try
        {
            hostInterface = naming.newHostInterfaceName();
        }
        catch (final RuntimeException ex)
        {
            addresses.release(network, driver, held);
            throw ex;
        }
        final String peerInterface = hostInterface + Naming.HOST_PEER_SUFFIX;
        boolean linkCreated = false;
        int portId = Endpoint.NO_PORT;
        try
        {
            store.putAttachIntent(hostInterface);
            ip.createHostVeth(hostInterface, peerInterface, mac, linkMtu);
            linkCreated = true;
            ip.disableIpv6OnHost(hostInterface);
            ip.linkUp(null, hostInterface);
            portId = fabric.attach(hostInterface, network.bridgeDomainId());
            final Endpoint endpoint = new Endpoint(endpointId, network.id(), label, hostInterface, peerInterface, mac,
                held.address(), held.prefix(network), portId, held.address6(), held.prefix6(network));
            driverOf(network).onPortAttached(network, endpoint);
            store.putEndpoint(endpoint);
            peerNames.joined(endpoint); // jvs sandboxes on the network resolve it by its label (no file: no IO)
            return endpoint;
        }
        catch (final RuntimeException ex)
        {
            undoAttach(portId, linkCreated ? hostInterface : null, () -> addresses.release(network, driver, held), ex);
            intents.forget(hostInterface, ex);
            throw ex;
        }
    }

    /** Removes an endpoint made by {@link #createRuntimeEndpoint}: port, veth pair (wherever its peer is), address. */
    public synchronized Endpoint removeRuntimeEndpoint(final String networkId, final String endpointId)
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
        return store.endpointById(endpointId);
    }

    // --------------------------------------------------------------------------------------------- published ports

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
        publisher.check(network, mappings);
        publisher.revoke(endpoint, null);
        publisher.publish(network, endpoint, mappings);
        return publisher.of(endpoint.id());
    }

    /** What the endpoint publishes now, host ports chosen by jvs included. */
    public synchronized List<Publication> publications(final String endpointId)
    {
        return publisher.of(endpointId);
    }

    /** Revokes every port the endpoint publishes (Docker's RevokeExternalConnectivity); quiet if it has none. */
    public synchronized void unpublish(final String endpointId)
    {
        checkOpen();
        final Endpoint endpoint = findEndpoint(endpointId).orElseThrow(() ->
            JvsException.notFound("endpoint " + endpointId + " not found"));
        publisher.revoke(endpoint, null);
    }

    /** Every published range. */
    public synchronized List<Publication> publications()
    {
        return publisher.all();
    }

    // --------------------------------------------------------------------------------------------------- restore

    /**
     * Rebuilds the kernel and switch side of a store that survived a restart ({@link NetworkRestore}), publishes the
     * journaled ports of the endpoints that came back, and creates the predefined networks if the store has none.
     * Overlay networks and their endpoints stay in the store for {@link #enableOverlay}.
     */
    public synchronized RestoreReport restore()
    {
        checkOpen();
        final List<String> interrupted = intents.undoInterrupted();
        final NetworkRestore restore = new NetworkRestore(table, fabric, ip, hosts, this::driver, this::removeEndpoint);
        restore.noteUndoneAttaches(interrupted);
        restore.rebuildNetworks();
        restore.dropVanishedSandboxes();
        restore.reattachEndpoints();
        publisher.republish(this::findEndpoint, restore.dropped());
        if (store.networks().stream().noneMatch(Network::predefined))
        {
            createPredefinedNetworks();
        }
        peerNames.rebuild();
        return restore.report();
    }

    // ---------------------------------------------------------------------------------------------------- overlay

    /**
     * Lets {@code -d overlay} networks span hosts: this host installs every overlay network of the cluster (a
     * bridge domain plus the VNI's tunnel port) and follows the cluster's changes.
     */
    public synchronized RestoreReport enableOverlay(final OverlayControl control)
    {
        overlay = new OverlayDriver(control, fabric, ip, table, naming, peerNames);
        drivers.put(Network.DRIVER_OVERLAY, overlay);
        final RestoreReport restored = overlay.restore();
        control.setListener(state ->
        {
            synchronized (this)
            {
                if (!closed)
                {
                    overlay.sync(state);
                }
            }
        });
        return restored;
    }

    public synchronized Optional<OverlayControl> overlay()
    {
        return Optional.ofNullable(overlay).map(OverlayDriver::control);
    }

    /** The overlay driver, for the runtime entry points that map their networks onto overlay networks. */
    public synchronized OverlayDriver overlayDriver()
    {
        if (overlay == null)
        {
            throw JvsException.invalid("driver \"overlay\" is not enabled on this daemon");
        }
        return overlay;
    }

    /** {@code jvs overlay rotate-key NET}: a new key for an encrypted overlay network, in the whole cluster. */
    public Map<String, Object> rotateOverlayKey(final String ref)
    {
        final Network network;
        final OverlayDriver driver;
        synchronized (this)
        {
            network = table.resolve(ref);
            if (overlay == null)
            {
                throw JvsException.invalid("network " + network.name() + " is not an overlay network");
            }
            driver = overlay;
        }
        return driver.rotateKey(network); // outside the lock: a round trip to the cluster's store
    }

    /** The overlay network's endpoints on other hosts, as the cluster store lists them; empty for other networks. */
    public synchronized List<EndpointRecord> remoteEndpointsOf(final Network network)
    {
        return remoteEndpoints(network.id());
    }

    private List<EndpointRecord> remoteEndpoints(final String networkId)
    {
        return overlay == null ? List.of() : overlay.remoteEndpoints(networkId);
    }

    // ------------------------------------------------------------------------------------------------- sandboxes

    public synchronized List<NetworkViews.SandboxDetails> sandboxes()
    {
        return store.sandboxes().stream().map(s -> NetworkViews.details(store, s)).toList();
    }

    public synchronized NetworkViews.SandboxDetails sandbox(final String name)
    {
        return NetworkViews.details(store, resolveSandbox(name));
    }

    /** {@code ip netns add NAME}, lo up, hosts and resolv.conf under /etc/netns/NAME. */
    /**
     * From now on jvs sandboxes are refused ({@code jvs daemon --no-sandboxes}): this daemon's mounts do not reach
     * the host, so a namespace it made under /run/netns could not be entered there. Docker's containers still work.
     */
    public synchronized void refuseSandboxes()
    {
        sandboxesRefused = true;
    }

    public synchronized Sandbox createSandbox(final String name)
    {
        checkOpen();
        if (sandboxesRefused)
        {
            throw JvsException.forbidden("this daemon serves Docker only (--no-sandboxes): its mounts do not reach " +
                "the host, so a sandbox made here could not be entered; run `jvs daemon` without it in the host's " +
                "mount namespace for sandboxes");
        }
        Naming.checkName("sandbox", name);
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
            return sandbox;
        }
        catch (final RuntimeException ex)
        {
            store.removeSandbox(name);
            Failures.runQuietly(() -> hosts.remove(name), ex);
            if (created)
            {
                Failures.runQuietly(() -> ip.deleteNamespace(name), ex);
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
        return NetworkViews.stats(store, fabric);
    }

    /** A copy of the switch's RX-to-TX latency histogram (ns); null when the fabric does not measure it. */
    public org.HdrHistogram.Histogram latencyHistogram()
    {
        return fabric.latencyHistogram();
    }

    public synchronized List<NetworkViews.MacView> macTable()
    {
        return NetworkViews.macTable(store, fabric);
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

    /** The macvlan/ipvlan networks' ports and host ports (tests, diagnostics). */
    public LanNetworks lanNetworks()
    {
        return lan;
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
        final List<Runnable> steps = new ArrayList<>();
        for (final Endpoint endpoint : store.endpoints())
        {
            if (endpoint.portId() != Endpoint.NO_PORT)
            {
                steps.add(() -> fabric.detach(endpoint.portId()));
            }
        }
        steps.add(lan::close); // the LAN networks' uplinks, host ports and parent links are this process's
        Failures.runAll(steps);
    }

    // --------------------------------------------------------------------------------------------------- helpers

    private void removeEndpoint(final Network network, final Endpoint endpoint)
    {
        final NetworkDriver driver = driverOf(network);
        driver.onDisconnect(network, endpoint);
        publisher.revoke(endpoint, null);
        probe.after(AttachStep.UNPUBLISHED);
        if (endpoint.portId() != Endpoint.NO_PORT)
        {
            fabric.detach(endpoint.portId());
        }
        probe.after(AttachStep.PORT_DETACHED);
        ip.deleteLink(endpoint.hostInterface());
        probe.after(AttachStep.LINK_DELETED);
        store.removeEndpoint(network.id(), endpoint.sandbox());
        addresses.release(network, driver, new EndpointAddresses.Held(endpoint.address(), endpoint.address6()));
        probe.after(AttachStep.FORGOTTEN);
        peerNames.left(endpoint);
        probe.after(AttachStep.NAMES_LEFT);
    }

    /** Undoes what an attach did so far: the switch port, the veth (its peer, address and route go along), the address. */
    private void undoAttach(final int portId, final String hostInterface, final Runnable releaseAddress,
        final RuntimeException failure)
    {
        if (portId > 0)
        {
            Failures.runQuietly(() -> fabric.detach(portId), failure);
        }
        if (hostInterface != null)
        {
            Failures.runQuietly(() -> ip.deleteLink(hostInterface), failure);
        }
        Failures.runQuietly(releaseAddress, failure);
    }

    private NetworkDriver driverOf(final Network network)
    {
        return driver(network.driver());
    }

    private NetworkDriver driver(final String name)
    {
        final NetworkDriver driver = drivers.get(name);
        if (driver == null)
        {
            throw JvsException.invalid(Network.DRIVER_OVERLAY.equals(name) ?
                "driver \"overlay\" is not enabled on this daemon" : "driver \"" + name + "\" is not supported");
        }
        return driver;
    }

    private Sandbox resolveSandbox(final String name)
    {
        return store.sandbox(name).orElseThrow(() -> JvsException.notFound("no such sandbox: " + name));
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new JvsException(JvsException.Kind.INTERNAL, "the daemon is shutting down");
        }
    }
}
