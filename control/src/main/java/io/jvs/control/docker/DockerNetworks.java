package io.jvs.control.docker;

import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipv6Address;
import io.jvs.control.network.CreateNetworkRequest;
import io.jvs.control.network.NetworkService;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;

import java.util.Map;
import java.util.Optional;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;

/**
 * Docker's side of {@link NetworkService}: Docker's ids and names for networks and endpoints, the networks Docker
 * owns, and Docker networks mapped onto the cluster's overlay networks. Each call holds the service's lock.
 */
public final class DockerNetworks
{
    /** Docker's ids: 64 hex digits (12 accepted, as Docker shows them). */
    private static final Pattern DOCKER_ID = Pattern.compile("[0-9a-f]{12,64}");
    private static final int DOCKER_SHORT_ID = 12;
    private static final String ENDPOINT_LABEL = "docker-";
    /** Holder of an overlay address Docker's IPAM handed out that no endpoint took yet. */
    private static final String IPAM_HOLDER = "docker-ipam";

    private final NetworkService service;

    public DockerNetworks(final NetworkService service)
    {
        this.service = service;
    }

    /**
     * A network Docker asked for through the remote driver: Docker's network id, named by its first 12 digits (what
     * {@code docker network ls} shows; Docker does not tell drivers the name), the subnet and gateway Docker's IPAM
     * chose. Only {@link #removeNetwork} removes it.
     */
    public Network createNetwork(final String id, final String subnet, final String gateway, final boolean internal)
    {
        return createNetwork(id, subnet, gateway, internal, Map.of());
    }

    /** As above, with bridge driver options ({@code com.docker.network.bridge.enable_icc}). */
    public Network createNetwork(final String id, final String subnet, final String gateway, final boolean internal,
        final Map<String, String> options)
    {
        return createNetwork(id, subnet, gateway, internal, options, null, null);
    }

    /** As above, dual-stack when {@code subnet6} (Docker's IPv6Data pool) is not null. */
    public Network createNetwork(final String id, final String subnet, final String gateway, final boolean internal,
        final Map<String, String> options, final String subnet6, final String gateway6)
    {
        if (id == null || !DOCKER_ID.matcher(id).matches())
        {
            throw JvsException.invalid("invalid network id \"" + id + "\": expected 12 to 64 hex digits");
        }
        if (subnet == null || subnet.isEmpty())
        {
            throw JvsException.invalid("network " + id + " has no IPv4 subnet: jvs networks need one");
        }
        return service.createRuntimeNetwork(id, new CreateNetworkRequest(id.substring(0, DOCKER_SHORT_ID),
            Network.DRIVER_DOCKER, subnet, gateway, internal, options, null, Map.of(), subnet6 != null, subnet6,
            gateway6, null));
    }

    /** Removes a network Docker created; refused while it has endpoints. */
    public Network removeNetwork(final String id)
    {
        return service.removeRuntimeNetwork(id);
    }

    /** A veth pair whose peer Docker moves into its container ({@link NetworkService#createRuntimeEndpoint}). */
    public Endpoint createEndpoint(final String networkId, final String endpointId, final int address,
        final String mac, final int mtu)
    {
        return createEndpoint(networkId, endpointId, address, null, mac, mtu);
    }

    /** The same with Docker's IPv6 address ({@code AddressIPv6}; null: the next free one on a dual-stack network). */
    public Endpoint createEndpoint(final String networkId, final String endpointId, final int address,
        final Ipv6Address address6, final String mac, final int mtu)
    {
        return service.createRuntimeEndpoint(networkId, endpointId, endpointLabel(endpointId), address, address6, mac,
            mtu);
    }

    public Endpoint removeEndpoint(final String networkId, final String endpointId)
    {
        return service.removeRuntimeEndpoint(networkId, endpointId);
    }

    /**
     * A Docker network with {@code -o type=overlay -o name=NAME}: this host's Docker network maps to the cluster's
     * overlay network NAME, created with Docker's subnet and gateway (from jvs's IPAM) if the cluster has none of
     * that name, joined if it has one with the same subnet and gateway (and VNI, encryption if given). Docker's
     * endpoints on it are overlay endpoints of that network. @return the overlay network (its id is the cluster's).
     *
     * @param options overlay driver options: {@code vni}, {@code encrypted}.
     */
    public Network attachOverlay(final String dockerNetworkId, final String name, final String subnet,
        final String gateway, final boolean internal, final Map<String, String> options)
    {
        synchronized (service)
        {
            return service.overlayDriver().attachRuntimeNetwork(dockerNetworkId, new CreateNetworkRequest(name,
                Network.DRIVER_OVERLAY, subnet, gateway, internal, options, null, Map.of()));
        }
    }

    /**
     * {@code docker network rm} of a Docker network mapped to an overlay network: this host's mapping goes; the
     * overlay network goes too (from every host) only if it was created through Docker, no host maps a Docker
     * network to it any more and no host has endpoints on it. Other hosts' sandboxes keep it otherwise.
     */
    public void detachOverlay(final String networkId)
    {
        synchronized (service)
        {
            service.overlayDriver().detachRuntimeNetwork(networkId);
        }
    }

    /** The overlay network installed here whose subnet is exactly {@code subnet} (Docker IPAM pools). */
    public Optional<Network> overlayNetworkWithSubnet(final Cidr subnet)
    {
        synchronized (service)
        {
            return service.overlay().isEmpty() ? Optional.empty() : service.overlayDriver().withSubnet(subnet);
        }
    }

    /** Docker's IPAM on an overlay network: an address unique in the cluster, held under a placeholder record. */
    public int allocateOverlayAddress(final String networkId, final int requested, final IntPredicate avoid)
    {
        synchronized (service)
        {
            return service.overlayDriver().allocateHeld(networkId, IPAM_HOLDER, requested, avoid);
        }
    }

    /** Docker's IPAM releases an address: freed in the cluster if no endpoint took it over meanwhile. */
    public void releaseOverlayAddress(final String networkId, final int address)
    {
        synchronized (service)
        {
            service.overlayDriver().releaseHeld(networkId, address, IPAM_HOLDER);
        }
    }

    /** The store's sandbox name for a Docker endpoint: not a jvs sandbox, just a unique, readable key. */
    public static String endpointLabel(final String endpointId)
    {
        return ENDPOINT_LABEL + endpointId.substring(0, Math.min(DOCKER_SHORT_ID, endpointId.length()));
    }
}
