package io.jvs.control.overlay;

/**
 * The overlay's key layout in the cluster store (values are JSON):
 * <pre>
 * /jvs/v1/catalog                         bumped by every network create/remove; those compare its revision,
 *                                         so names, VNIs and subnets stay unique across hosts
 * /jvs/v1/networks/{network id}           {@link OverlayNetwork}; rewritten (same value) by every endpoint
 *                                         allocation, so a remove racing a connect fails its compare
 * /jvs/v1/hosts/{underlay IPv4}           {@link HostRecord}, under the host's lease: VTEP membership
 * /jvs/v1/endpoints/{network id}/{IPv4}   {@link EndpointRecord}, under the owning host's lease: the address
 *                                         allocation (created only if absent) and MAC/IP -> VTEP in one key
 * /jvs/v1/keys/{network id}               {@link NetworkKeys} of an encrypted network (AES-256-GCM keys in clear:
 *                                         whoever reads etcd can read the overlay's traffic)
 * /jvs/v1/docker/{network id}             present if the network was created through the Docker plugin: it goes
 *                                         with the last Docker network mapped to it (when no host has endpoints)
 * /jvs/v1/docker/{network id}/{host}      the Docker network id mapped to it on that host (no lease: a host that
 *                                         is down still has its Docker network)
 * </pre>
 */
public final class ClusterKeys
{
    public static final String ROOT = "/jvs/v1/";
    public static final String CATALOG = ROOT + "catalog";
    public static final String NETWORKS = ROOT + "networks/";
    public static final String HOSTS = ROOT + "hosts/";
    public static final String ENDPOINTS = ROOT + "endpoints/";
    public static final String KEYS = ROOT + "keys/";
    public static final String DOCKER = ROOT + "docker/";

    private ClusterKeys()
    {
    }

    public static String network(final String networkId)
    {
        return NETWORKS + networkId;
    }

    public static String host(final String underlayIp)
    {
        return HOSTS + underlayIp;
    }

    public static String endpoints(final String networkId)
    {
        return ENDPOINTS + networkId + "/";
    }

    public static String keys(final String networkId)
    {
        return KEYS + networkId;
    }

    public static String endpoint(final String networkId, final String address)
    {
        return endpoints(networkId) + address;
    }

    /** Marks a network created through the Docker plugin. */
    public static String dockerOrigin(final String networkId)
    {
        return DOCKER + networkId;
    }

    /** One host's Docker network mapped to the overlay network. */
    public static String dockerAttachment(final String networkId, final String hostId)
    {
        return DOCKER + networkId + "/" + hostId;
    }
}
