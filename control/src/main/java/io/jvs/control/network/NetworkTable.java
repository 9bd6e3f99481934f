package io.jvs.control.network;

import io.jvs.control.common.Failures;
import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Cidr6;
import io.jvs.control.ipam.Ipam;
import io.jvs.control.ipam.Ipam6;
import io.jvs.control.ipam.Ipv6Subnet;
import io.jvs.control.ipam.SubnetPool;
import io.jvs.control.ipam.SubnetPool6;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.netns.IpTool;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.control.state.NetworkStore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The store's networks with their address allocators (one {@link Ipam} per network with a subnet), and the lookups
 * every request starts with. Not thread safe: {@link NetworkService}'s lock guards it.
 */
final class NetworkTable
{
    private final NetworkStore store;
    private final Map<String, Ipam> ipams = new HashMap<>();
    /** The IPv6 allocators of dual-stack networks. */
    private final Map<String, Ipam6> ipams6 = new HashMap<>();

    NetworkTable(final NetworkStore store)
    {
        this.store = store;
    }

    NetworkStore store()
    {
        return store;
    }

    Ipam ipam(final String networkId)
    {
        return ipams.get(networkId);
    }

    /** The network's IPv6 allocator; null on an IPv4-only network. */
    Ipam6 ipam6(final String networkId)
    {
        return ipams6.get(networkId);
    }

    /** Journals the network with its allocator (null: IPv6-only), and a fresh IPv6 one when it has IPv6. */
    void put(final Network network, final Ipam ipam)
    {
        store.putNetwork(network);
        if (ipam != null)
        {
            ipams.put(network.id(), ipam);
        }
        putIpam6(network);
    }

    private void putIpam6(final Network network)
    {
        if (network.hasIpv6())
        {
            ipams6.put(network.id(), new Ipam6(network.ipv6()));
        }
    }

    /** Journals the network with a fresh allocator over its whole subnet (none without a subnet). */
    void put(final Network network)
    {
        store.putNetwork(network);
        if (network.subnet() != null)
        {
            ipams.put(network.id(), new Ipam(network.subnet(), network.gateway()));
        }
        putIpam6(network);
    }

    /** Forgets the network (its endpoints must be gone). */
    void forget(final Network network)
    {
        store.removeNetwork(network.id());
        ipams.remove(network.id());
        ipams6.remove(network.id());
    }

    Optional<Network> byName(final String name)
    {
        return store.networks().stream().filter(n -> n.name().equals(name)).findFirst();
    }

    /** Docker's order: full id, then full name, then a unique id prefix. */
    Network resolve(final String ref)
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
        final Optional<Network> byName = byName(ref);
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

    /** The host's routes plus the subnets of the networks {@code counted} accepts: where a new subnet must not be. */
    List<Cidr> subnetsTaken(final List<Cidr> hostRoutes, final Predicate<Network> counted)
    {
        final List<Cidr> taken = new ArrayList<>(hostRoutes);
        store.networks().stream().filter(n -> n.subnet() != null && counted.test(n)).forEach(n -> taken.add(n.subnet()));
        return taken;
    }

    /**
     * A request's IPv4 side, checked, with its allocator; all empty (null, 0) on an IPv6-only network.
     *
     * @param aux {@code --aux-address}: reserved in {@code ipam}.
     */
    record Ipv4Side(Cidr subnet, int gateway, Cidr range, Map<String, String> aux, Ipam ipam)
    {
        static final Ipv4Side NONE = new Ipv4Side(null, 0, null, Map.of(), null);
    }

    /** Checks a request's IPv4 side and picks its subnet (the user's, or a free one of {@code pool}). */
    Ipv4Side ipv4Of(final CreateNetworkRequest request, final SubnetPool pool, final IpTool ip)
    {
        final boolean hasGateway = given(request.gateway());
        if (!request.ipv4())
        {
            if (!request.ipv6())
            {
                throw JvsException.invalid("an IPv6-only network (--ipv4=false) needs --ipv6");
            }
            if (given(request.subnet()) || hasGateway || given(request.ipRange()) ||
                (request.auxAddresses() != null && !request.auxAddresses().isEmpty()))
            {
                throw JvsException.invalid("an IPv6-only network (--ipv4=false) takes no IPv4 subnet, gateway, " +
                    "ip-range or aux-address");
            }
            return Ipv4Side.NONE;
        }
        final Cidr subnet;
        if (given(request.subnet()))
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
            subnet = pool.next(subnetsTaken(ip.hostRoutes(), n -> true));
        }
        final int gateway = hasGateway ? Ipv4.parse(request.gateway()) : Ipam.defaultGateway(subnet);
        final Cidr range = given(request.ipRange()) ? Cidr.parse(request.ipRange()) : null;
        final Map<String, String> aux = request.auxAddresses() == null ? Map.of() : request.auxAddresses();
        return new Ipv4Side(subnet, gateway, range, aux, newIpam(subnet, gateway, range, aux));
    }

    /** IPv6 is the bridge driver's for now (jvs's own and Docker's networks); overlay and LAN networks refuse it. */
    static void refuseIpv6(final CreateNetworkRequest request)
    {
        if (request.ipv6() || !request.ipv4() || (request.subnet6() != null && !request.subnet6().isEmpty()))
        {
            throw JvsException.invalid("driver \"" + request.driver() + "\" does not support IPv6 yet: --ipv6 " +
                "works on bridge networks");
        }
    }

    /** The IPv6 prefixes of every network: where a new one must not be. */
    List<Cidr6> ipv6SubnetsTaken()
    {
        return store.networks().stream().filter(Network::hasIpv6).map(n -> n.ipv6().subnet()).toList();
    }

    /**
     * Checks a dual-stack request's IPv6 side and picks its prefix (the user's, or a /64 of {@code pool} that
     * overlaps no network and no route of the host, as {@link #ipv4Of} for IPv4).
     * @return null when the request is IPv4-only.
     */
    Ipv6Subnet ipv6Of(final CreateNetworkRequest request, final SubnetPool6 pool, final IpTool ip)
    {
        final boolean hasSubnet = given(request.subnet6());
        if (!request.ipv6())
        {
            if (hasSubnet || given(request.gateway6()) || given(request.ipRange6()))
            {
                throw JvsException.invalid("an IPv6 subnet, gateway or ip-range needs --ipv6");
            }
            return null;
        }
        if (!hasSubnet)
        {
            if (given(request.gateway6()) || given(request.ipRange6()))
            {
                throw JvsException.invalid("an IPv6 --gateway or --ip-range needs an IPv6 --subnet");
            }
            final List<Cidr6> taken = new ArrayList<>(ipv6SubnetsTaken());
            taken.addAll(ip.hostRoutes6());
            final Cidr6 prefix = pool.next(taken);
            return new Ipv6Subnet(prefix, Ipam6.defaultGateway(prefix), null);
        }
        final Ipv6Subnet ipv6 = Ipv6Subnet.parse(request.subnet6(), request.gateway6(), request.ipRange6());
        for (final Network other : store.networks())
        {
            if (other.hasIpv6() && other.ipv6().subnet().overlaps(ipv6.subnet()))
            {
                throw JvsException.conflict("subnet " + ipv6.subnet() + " overlaps with network " + other.name() +
                    " (" + other.ipv6().subnet() + ")");
            }
        }
        new Ipam6(ipv6); // a range without a host address is refused here, before anything is made
        return ipv6;
    }

    private static boolean given(final String text)
    {
        return text != null && !text.isEmpty();
    }

    /**
     * Forgets a network a restart cannot rebuild, and its endpoints (their veths deleted: they lead nowhere);
     * {@code dropped} gets why.
     */
    void drop(final Network stored, final String reason, final List<String> dropped, final IpTool ip)
    {
        final List<String> endpoints = new ArrayList<>();
        for (final Endpoint endpoint : store.endpointsOfNetwork(stored.id()))
        {
            Failures.runQuietly(() -> ip.deleteLink(endpoint.hostInterface()), null);
            store.removeEndpoint(endpoint.networkId(), endpoint.sandbox());
            endpoints.add(endpoint.sandbox());
        }
        forget(stored);
        dropped.add(reason + (endpoints.isEmpty() ? "" : "; its endpoints are gone too: " +
            String.join(", ", endpoints)) + " (create it again)");
    }

    /** The allocator of a network: addresses from {@code range} (null: the subnet), the auxiliary ones reserved. */
    static Ipam newIpam(final Cidr subnet, final int gateway, final Cidr range, final Map<String, String> aux)
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
}
