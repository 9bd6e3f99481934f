package io.jvs.control.state;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The store for now: maps in memory, lost when the daemon stops. */
public final class InMemoryNetworkStore implements NetworkStore
{
    private final Map<String, Network> networksById = new HashMap<>();
    private final Map<String, Sandbox> sandboxesByName = new TreeMap<>();
    /** Keyed by networkId + '/' + sandbox. */
    private final Map<String, Endpoint> endpoints = new HashMap<>();
    private final Map<String, List<String>> published = new TreeMap<>();

    public List<Network> networks()
    {
        final List<Network> list = new ArrayList<>(networksById.values());
        list.sort(Comparator.comparing(Network::name));
        return list;
    }

    public Optional<Network> network(final String id)
    {
        return Optional.ofNullable(networksById.get(id));
    }

    public void putNetwork(final Network network)
    {
        networksById.put(network.id(), network);
    }

    public void removeNetwork(final String id)
    {
        networksById.remove(id);
    }

    public List<Sandbox> sandboxes()
    {
        return List.copyOf(sandboxesByName.values());
    }

    public Optional<Sandbox> sandbox(final String name)
    {
        return Optional.ofNullable(sandboxesByName.get(name));
    }

    public void putSandbox(final Sandbox sandbox)
    {
        sandboxesByName.put(sandbox.name(), sandbox);
    }

    public void removeSandbox(final String name)
    {
        sandboxesByName.remove(name);
    }

    public List<Endpoint> endpoints()
    {
        final List<Endpoint> list = new ArrayList<>(endpoints.values());
        list.sort(Comparator.comparing((Endpoint e) -> networksById.containsKey(e.networkId()) ?
            networksById.get(e.networkId()).name() : e.networkId()).thenComparing(Endpoint::sandbox));
        return list;
    }

    public Optional<Endpoint> endpoint(final String networkId, final String sandbox)
    {
        return Optional.ofNullable(endpoints.get(networkId + '/' + sandbox));
    }

    public void putEndpoint(final Endpoint endpoint)
    {
        endpoints.put(endpoint.networkId() + '/' + endpoint.sandbox(), endpoint);
    }

    public void removeEndpoint(final String networkId, final String sandbox)
    {
        endpoints.remove(networkId + '/' + sandbox);
    }

    public Map<String, List<String>> publishedPorts()
    {
        return Map.copyOf(published);
    }

    public void putPublishedPorts(final String endpointId, final List<String> ranges)
    {
        if (ranges.isEmpty())
        {
            published.remove(endpointId);
        }
        else
        {
            published.put(endpointId, List.copyOf(ranges));
        }
    }
}
