package io.jvs.control.network;

import io.jvs.control.common.Failures;
import io.jvs.control.common.JvsException;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.publish.HostPortChooser;
import io.jvs.control.publish.PortMapping;
import io.jvs.control.publish.PublishScope;
import io.jvs.control.publish.Publication;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.control.state.NetworkStore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The endpoints' published ports: the fabric's rules for them, and the journal's record (chosen host ports
 * included) from which a restart publishes them again. Not thread safe: {@link NetworkService}'s lock guards it.
 */
final class EndpointPublisher
{
    private final NetworkStore store;
    private final Fabric fabric;
    /** Endpoint id -> its published ranges (rules in the fabric). */
    private final Map<String, List<Publication>> publications = new LinkedHashMap<>();

    EndpointPublisher(final NetworkStore store, final Fabric fabric)
    {
        this.store = store;
        this.fabric = fabric;
    }

    /** Refuses host addresses the fabric does not serve, and internal networks, before anything changes. */
    void check(final Network network, final List<PortMapping> mappings)
    {
        if (!mappings.isEmpty() && network.internal())
        {
            throw JvsException.forbidden("network " + network.name() + " is internal: it has no published ports");
        }
        if (!mappings.isEmpty() && !network.hasIpv4())
        {
            throw JvsException.forbidden("network " + network.name() + " is IPv6-only: published ports need the " +
                "IPv6 router (not there yet)");
        }
        mappings.forEach(m -> fabric.publishScope(m.hostIp()));
    }

    /**
     * Publishes each range to the endpoint (choosing the host ports of those without one) and journals them as
     * published, chosen ports included; on a refusal the ranges published so far go again.
     */
    void publish(final Network network, final Endpoint endpoint, final List<PortMapping> mappings)
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
            published.forEach(p -> Failures.runQuietly(() -> fabric.unpublish(p.ruleId()), ex));
            throw ex;
        }
        store.putPublishedPorts(endpoint.id(), published.stream().map(p -> p.mapping().toString()).toList());
    }

    /**
     * Revokes the endpoint's published ports; failures are added to {@code failure} (or thrown if it is null).
     * Quiet when it publishes none.
     */
    void revoke(final Endpoint endpoint, final RuntimeException failure)
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
                Failures.runQuietly(() -> fabric.unpublish(publication.ruleId()), failure);
            }
        }
    }

    /**
     * After a restart: the journaled published ports of the endpoints that came back; a range the fabric refuses is
     * reported in {@code problems} and kept in the journal, so a later start (with the port free again) publishes it.
     */
    void republish(final Function<String, Optional<Endpoint>> endpoints, final List<String> problems)
    {
        for (final Map.Entry<String, List<String>> entry : store.publishedPorts().entrySet())
        {
            final Optional<Endpoint> endpoint = endpoints.apply(entry.getKey());
            if (endpoint.isEmpty())
            {
                store.putPublishedPorts(entry.getKey(), List.of());
                continue;
            }
            final Network network = store.network(endpoint.get().networkId()).orElseThrow();
            final List<PortMapping> mappings = entry.getValue().stream().map(PortMapping::parse).toList();
            try
            {
                publish(network, endpoint.get(), mappings);
            }
            catch (final RuntimeException ex)
            {
                publications.remove(endpoint.get().id());
                problems.add("published ports " + entry.getValue() + " of endpoint " + endpoint.get().sandbox() +
                    " (not published again: " + ex.getMessage() + ")");
            }
        }
    }

    /** What the endpoint publishes now, host ports chosen by jvs included. */
    List<Publication> of(final String endpointId)
    {
        return List.copyOf(publications.getOrDefault(endpointId, List.of()));
    }

    /** Every published range. */
    List<Publication> all()
    {
        return publications.values().stream().flatMap(List::stream).toList();
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
}
