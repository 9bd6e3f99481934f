package io.jvs.control.network;

import io.jvs.control.common.Failures;
import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipam;
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

    /** Journals the network with its allocator. */
    void put(final Network network, final Ipam ipam)
    {
        store.putNetwork(network);
        ipams.put(network.id(), ipam);
    }

    /** Journals the network with a fresh allocator over its whole subnet (none without a subnet). */
    void put(final Network network)
    {
        store.putNetwork(network);
        if (network.subnet() != null)
        {
            ipams.put(network.id(), new Ipam(network.subnet(), network.gateway()));
        }
    }

    /** Forgets the network (its endpoints must be gone). */
    void forget(final Network network)
    {
        store.removeNetwork(network.id());
        ipams.remove(network.id());
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
