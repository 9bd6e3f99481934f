package io.jvs.control.network;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.jvs.control.common.Failures;
import io.jvs.control.common.JvsException;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipam;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.netns.IpTool;
import io.jvs.control.overlay.ClusterState;
import io.jvs.control.overlay.EndpointRecord;
import io.jvs.control.overlay.NetworkKeys;
import io.jvs.control.overlay.OverlayControl;
import io.jvs.control.overlay.OverlayNetwork;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.control.state.NetworkStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntPredicate;

/**
 * Overlay networks: one VXLAN segment with the same id, subnet and VNI on every host of the cluster
 * ({@link OverlayControl}: definitions and addresses in etcd). Here each is a bridge domain with the VNI's tunnel
 * port and this host's router as the gateway (every host installs the same gateway address and router MAC: an
 * anycast gateway). Addresses are allocated by the cluster, unique across hosts; the local {@link Ipam} mirrors them
 * so local bookkeeping stays uniform. Called with {@link NetworkService}'s lock held.
 */
public final class OverlayDriver implements NetworkDriver
{
    private static final Logger LOG = LoggerFactory.getLogger(OverlayDriver.class);

    private final OverlayControl overlay;
    private final Fabric fabric;
    private final IpTool ip;
    private final NetworkTable table;
    private final Naming naming;
    private final PeerNames peerNames;
    /** Overlay network id -> VNI, for the networks installed on this host. */
    private final Map<String, Integer> vnis = new HashMap<>();
    /** Remote endpoints last written into hosts files, to rewrite them only when that changes. */
    private Map<String, List<EndpointRecord>> remoteEndpointsWritten = Map.of();
    private String lastWarning = "";

    OverlayDriver(final OverlayControl overlay, final Fabric fabric, final IpTool ip, final NetworkTable table,
        final Naming naming, final PeerNames peerNames)
    {
        this.overlay = overlay;
        this.fabric = fabric;
        this.ip = ip;
        this.table = table;
        this.naming = naming;
        this.peerNames = peerNames;
    }

    public OverlayControl control()
    {
        return overlay;
    }

    boolean isInstalled(final String networkId)
    {
        return vnis.containsKey(networkId);
    }

    // -------------------------------------------------------------------------------------------- network kind

    @Override
    public Map<String, String> checkOptions(final CreateNetworkRequest request)
    {
        definition(request, request.options());
        return Map.of(); // the cluster keeps them, with the network's definition
    }

    /** A network the cluster defines (same id: replaces a journaled record). */
    @Override
    public Network install(final Network network)
    {
        return install(overlay.state().network(network.id()).orElseThrow(() ->
            JvsException.notFound("overlay network " + network.name() + " is not defined in " +
                overlay.storeDescription())));
    }

    /** Undefined in the cluster (refused while another host has endpoints on it), then taken out of this host. */
    @Override
    public void uninstall(final Network network)
    {
        overlay.undefine(network.id());
        uninstallHere(network);
    }

    /** Refused: the cluster's store must hand out an address unique across hosts. */
    @Override
    public int allocateAddress(final Network network, final Ipam ipam, final String holder)
    {
        final int address = overlay.allocate(network.id(), holder, Ipv4::dockerMac);
        try
        {
            ipam.reserve(address);
        }
        catch (final RuntimeException ex)
        {
            Failures.runQuietly(() -> overlay.release(network.id(), address), ex);
            throw ex;
        }
        return address;
    }

    /**
     * The address is the cluster's placeholder key ({@link #allocateHeld}): now it names the endpoint and its MAC
     * (remote hosts program MAC -> this VTEP and answer ARP for it); refused if another host holds it.
     */
    @Override
    public int claimAddress(final Network network, final Ipam ipam, final String holder, final int requested,
        final String mac)
    {
        if (requested == 0)
        {
            throw JvsException.invalid("an endpoint on overlay network " + network.name() + " needs its address " +
                "from jvs's IPAM (--ipam-driver jvs)");
        }
        ipam.reserve(requested);
        final boolean claimed;
        try
        {
            claimed = overlay.reclaim(network.id(), holder, requested, mac);
        }
        catch (final RuntimeException ex)
        {
            ipam.release(requested);
            throw ex;
        }
        if (!claimed)
        {
            ipam.release(requested);
            throw JvsException.conflict("address " + Ipv4.format(requested) + " on overlay network " +
                network.name() + " is held by another host");
        }
        return requested;
    }

    @Override
    public void releaseAddress(final Network network, final Ipam ipam, final int address)
    {
        ipam.release(address);
        releaseInCluster(network.id(), address);
    }

    /** VXLAN headers must fit in the underlay's MTU. */
    @Override
    public int linkMtu(final Network network, final int requested)
    {
        return overlay.tunnels().innerMtuOf(vnis.get(network.id()));
    }

    /** VNI and MTU (and encryption) rather than options as given. */
    @Override
    public Map<String, String> inspectOptions(final Network network)
    {
        final Integer vni = vnis.get(network.id());
        final Map<String, String> options = new LinkedHashMap<>();
        options.put("vni", Integer.toString(vni));
        options.put("mtu", Integer.toString(overlay.tunnels().innerMtuOf(vni)));
        if (overlay.tunnels().isEncrypted(vni))
        {
            options.put("encrypted", "true");
        }
        return options;
    }

    // ------------------------------------------------------------------------------------------------ requests

    /** {@code jvs network create -d overlay}: defined in the cluster, then installed here. */
    Network create(final CreateNetworkRequest request)
    {
        final OverlayControl.Definition definition = definition(request, request.options());
        final OverlayNetwork defined = overlay.define(definition, naming.newId(), localTaken());
        try
        {
            return install(defined);
        }
        catch (final RuntimeException ex)
        {
            Failures.runQuietly(() -> overlay.undefine(defined.id()), ex);
            throw ex;
        }
    }

    /** {@code jvs overlay rotate-key NET}: a new key for an encrypted overlay network, in the whole cluster. */
    Map<String, Object> rotateKey(final Network network)
    {
        if (!vnis.containsKey(network.id()))
        {
            throw JvsException.invalid("network " + network.name() + " is not an overlay network");
        }
        final NetworkKeys keys = overlay.rotateKey(network.id(), 0);
        final NetworkKeys.Key newest = keys.keys().get(keys.keys().size() - 1);
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

    /**
     * A container runtime's network mapped to the cluster's overlay network {@code name}: created with the runtime's
     * subnet and gateway if the cluster has none of that name, joined if it has one with the same subnet and gateway
     * (and VNI, encryption if given). @return the overlay network (its id is the cluster's).
     */
    public Network attachRuntimeNetwork(final String runtimeNetworkId, final CreateNetworkRequest request)
    {
        Naming.checkName("network", request.name());
        final OverlayControl.Definition definition = definition(request, request.options());
        final Optional<Network> local = table.byName(request.name());
        if (local.isPresent() && !vnis.containsKey(local.get().id()))
        {
            throw JvsException.conflict("network with name " + request.name() + " already exists on this host and " +
                "is not an overlay network");
        }
        final String id = local.map(Network::id).orElseGet(naming::newId);
        final List<Cidr> taken = localTaken();
        taken.removeIf(c -> c.equals(Cidr.parse(request.subnet()))); // the runtime's pool for this very network
        final OverlayNetwork defined = overlay.attachDocker(definition, id, taken, runtimeNetworkId);
        if (vnis.containsKey(defined.id()))
        {
            return table.store().network(defined.id()).orElseThrow();
        }
        try
        {
            return install(defined);
        }
        catch (final RuntimeException ex)
        {
            Failures.runQuietly(() -> detachRuntimeNetwork(defined.id()), ex);
            throw ex;
        }
    }

    /**
     * The runtime's network goes: this host's mapping goes; the overlay network goes too (from every host) only if
     * it was created through the runtime, no host maps a runtime network to it any more and no host has endpoints
     * on it. Other hosts' sandboxes keep it otherwise.
     */
    public void detachRuntimeNetwork(final String networkId)
    {
        if (!overlay.detachDocker(networkId))
        {
            return;
        }
        final NetworkStore store = table.store();
        final Optional<Network> network = store.network(networkId);
        try
        {
            if (network.isPresent() && store.endpointsOfNetwork(networkId).isEmpty())
            {
                uninstall(network.get());
                table.forget(network.get());
            }
            else
            {
                overlay.undefine(networkId);
            }
        }
        catch (final JvsException ex)
        {
            // An endpoint or a runtime network appeared meanwhile: the network stays, which is what they need.
            warnOnce("overlay network " + networkId + " kept: " + ex.getMessage());
        }
    }

    /** The overlay network installed here whose subnet is exactly {@code subnet} (a runtime's IPAM pools). */
    public Optional<Network> withSubnet(final Cidr subnet)
    {
        return vnis.keySet().stream().map(id -> table.store().network(id).orElseThrow())
            .filter(n -> n.subnet().equals(subnet)).findFirst();
    }

    /** An address unique in the cluster, held under {@code holder} until an endpoint claims it. */
    public int allocateHeld(final String networkId, final String holder, final int requested,
        final IntPredicate avoid)
    {
        return overlay.allocate(networkId, holder, Ipv4::dockerMac, requested, avoid);
    }

    /** Frees an address in the cluster if {@code holder} still holds it (no endpoint took it over meanwhile). */
    public void releaseHeld(final String networkId, final int address, final String holder)
    {
        overlay.releaseIfHeld(networkId, address, holder);
    }

    /** The overlay network's endpoints on other hosts, as the cluster store lists them; empty for other networks. */
    List<EndpointRecord> remoteEndpoints(final String networkId)
    {
        if (!vnis.containsKey(networkId))
        {
            return List.of();
        }
        return overlay.state().endpoints(networkId).stream().filter(e -> !e.host().equals(overlay.hostId())).toList();
    }

    // ------------------------------------------------------------------------------------------------- restore

    /**
     * The overlay half of {@link NetworkService#restore}: each journaled overlay network the cluster still defines is
     * installed again (bridge domain, gateway, tunnel port) and each of its endpoints whose sandbox and veth survived
     * claims its address back in the cluster ({@link OverlayControl#reclaim}: same address and MAC, under this
     * daemon's lease) and becomes a switch port again. Addresses the previous daemon held that nothing claimed are
     * released.
     */
    RestoreReport restore()
    {
        final NetworkStore store = table.store();
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
                table.drop(stored, "overlay network " + stored.name() + " (no longer defined in " +
                    overlay.storeDescription() + ")", dropped, ip);
                continue;
            }
            final List<Endpoint> endpoints = store.endpointsOfNetwork(stored.id());
            final Network network;
            try
            {
                network = install(defined.get()); // same id: replaces the journaled record
            }
            catch (final RuntimeException ex)
            {
                table.drop(stored, "overlay network " + stored.name() + " (" + ex.getMessage() + ")", dropped, ip);
                continue;
            }
            networks++;
            for (final Endpoint endpoint : endpoints)
            {
                final String problem = reattach(network, endpoint);
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
        return new RestoreReport(networks, reattached, 0, dropped);
    }

    /** @return null when the endpoint is back (address claimed, switch port), else why it was dropped. */
    private String reattach(final Network network, final Endpoint stored)
    {
        final NetworkStore store = table.store();
        // Endpoints of sandboxes whose namespace is gone were dropped by NetworkService.restore already.
        if (!ip.linkExists(stored.hostInterface()))
        {
            store.removeEndpoint(stored.networkId(), stored.sandbox());
            Failures.runQuietly(() -> ip.deleteLink(stored.hostInterface()), null);
            return "its veth or sandbox is gone";
        }
        final Ipam ipam = table.ipam(network.id());
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
            peerNames.joined(endpoint);
            return null;
        }
        catch (final RuntimeException ex)
        {
            // The sandbox keeps no interface with an address the cluster may hand to someone else.
            store.removeEndpoint(stored.networkId(), stored.sandbox());
            Failures.runQuietly(() -> peerNames.left(stored), ex);
            Failures.runQuietly(() -> ip.deleteLink(stored.hostInterface()), ex);
            if (claimed)
            {
                Failures.runQuietly(() -> releaseAddress(network, ipam, address), ex);
            }
            return ex.getMessage();
        }
    }

    // ---------------------------------------------------------------------------------------------------- sync

    /**
     * Follows the cluster (on the overlay thread, under the service's lock): installs overlay networks defined
     * elsewhere, removes those removed elsewhere (unless sandboxes here still use them), and tells the peers' names
     * ({@link PeerNames}) the remote endpoints of each network whose list changed.
     */
    void sync(final ClusterState state)
    {
        final NetworkStore store = table.store();
        for (final OverlayNetwork defined : state.networks().values())
        {
            if (vnis.containsKey(defined.id()) || store.network(defined.id()).isPresent())
            {
                continue;
            }
            if (table.byName(defined.name()).isPresent())
            {
                warnOnce("overlay network " + defined.name() + " (vni " + defined.vni() + ") is not installed here: " +
                    "this host has a local network of that name");
                continue;
            }
            try
            {
                install(defined);
            }
            catch (final RuntimeException ex)
            {
                warnOnce("overlay network " + defined.name() + " could not be installed: " + ex.getMessage());
            }
        }
        for (final String id : List.copyOf(vnis.keySet()))
        {
            if (state.network(id).isEmpty())
            {
                final Network network = store.network(id).orElseThrow();
                if (store.endpointsOfNetwork(id).isEmpty())
                {
                    uninstallHere(network);
                    table.forget(network);
                }
                else
                {
                    warnOnce("overlay network " + network.name() + " was removed from the cluster but sandboxes " +
                        "here still use it");
                }
            }
        }
        final Map<String, List<EndpointRecord>> remote = new HashMap<>();
        for (final String id : vnis.keySet())
        {
            remote.put(id, remoteEndpoints(id));
        }
        if (!remote.equals(remoteEndpointsWritten))
        {
            for (final String id : remoteEndpointsWritten.keySet())
            {
                if (!remote.containsKey(id))
                {
                    peerNames.remoteChanged(id, List.of());
                }
            }
            remote.forEach((id, records) ->
            {
                if (!records.equals(remoteEndpointsWritten.get(id)))
                {
                    peerNames.remoteChanged(id, records);
                }
            });
            remoteEndpointsWritten = remote;
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    /** Bridge domain, gateway and the VNI's tunnel port; the network journaled. */
    private Network install(final OverlayNetwork defined)
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
            Failures.runQuietly(() -> fabric.removeNetwork(bridgeDomain), ex);
            throw ex;
        }
        final Network network = new Network(defined.id(), defined.name(), Network.DRIVER_OVERLAY, defined.internal(),
            subnet, gateway, false, Instant.parse(defined.created()), bridgeDomain);
        table.put(network);
        vnis.put(network.id(), defined.vni());
        return network;
    }

    private void uninstallHere(final Network network)
    {
        final Integer vni = vnis.remove(network.id());
        if (vni != null)
        {
            overlay.tunnels().detach(vni);
        }
        fabric.removeNetwork(network.bridgeDomainId());
    }

    /**
     * The local endpoint is gone already; if the store cannot be told (etcd unreachable), the key stays under this
     * host's lease until the lease goes, which is reported rather than failing the disconnect half-way.
     */
    private void releaseInCluster(final String networkId, final int address)
    {
        try
        {
            overlay.release(networkId, address);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("overlay address {} not released in {} (it goes with this host's lease)", Ipv4.format(address),
                overlay.storeDescription(), ex);
        }
    }

    /** Where this host's other networks and routes are: a new overlay subnet must not overlap them. */
    private List<Cidr> localTaken()
    {
        return table.subnetsTaken(ip.hostRoutes(), n -> !vnis.containsKey(n.id()));
    }

    private static OverlayControl.Definition definition(final CreateNetworkRequest request,
        final Map<String, String> options)
    {
        if ((request.ipRange() != null && !request.ipRange().isEmpty()) ||
            (request.auxAddresses() != null && !request.auxAddresses().isEmpty()))
        {
            // the cluster allocates overlay addresses; it knows no range or auxiliary addresses
            throw JvsException.invalid("--ip-range and --aux-address are not supported by the overlay driver");
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

    private void warnOnce(final String message)
    {
        if (!message.equals(lastWarning))
        {
            LOG.warn(message);
            lastWarning = message;
        }
    }
}
