package io.jvs.control.state;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Maps in memory, lost when the daemon stops ({@link JournaledNetworkStore} keeps one as its view). Endpoints are
 * indexed by network, by sandbox and by id, so the lookups of a connect or disconnect do not grow with the number of
 * endpoints; only the full, sorted lists do.
 */
public final class InMemoryNetworkStore implements NetworkStore
{
    private final Map<String, Network> networksById = new HashMap<>();
    private final Map<String, Sandbox> sandboxesByName = new TreeMap<>();
    /** Keyed by networkId + '/' + sandbox. */
    private final Map<String, Endpoint> endpoints = new HashMap<>();
    /** networkId -> sandbox -> endpoint. */
    private final Map<String, Map<String, Endpoint>> byNetwork = new HashMap<>();
    /** sandbox -> networkId -> endpoint. */
    private final Map<String, Map<String, Endpoint>> bySandbox = new HashMap<>();
    private final Map<String, Endpoint> byId = new HashMap<>();
    private final Map<String, List<String>> published = new TreeMap<>();
    private final Set<String> attachIntents = new TreeSet<>();

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

    public List<String> attachIntents()
    {
        return List.copyOf(attachIntents);
    }

    public void putAttachIntent(final String hostInterface)
    {
        attachIntents.add(hostInterface);
    }

    public void removeAttachIntent(final String hostInterface)
    {
        attachIntents.remove(hostInterface);
    }

    public void putEndpoint(final Endpoint endpoint)
    {
        attachIntents.remove(endpoint.hostInterface());
        final Endpoint old = endpoints.put(endpoint.networkId() + '/' + endpoint.sandbox(), endpoint);
        if (old != null)
        {
            byId.remove(old.id());
        }
        byNetwork.computeIfAbsent(endpoint.networkId(), k -> new HashMap<>()).put(endpoint.sandbox(), endpoint);
        bySandbox.computeIfAbsent(endpoint.sandbox(), k -> new HashMap<>()).put(endpoint.networkId(), endpoint);
        byId.put(endpoint.id(), endpoint);
    }

    public void removeEndpoint(final String networkId, final String sandbox)
    {
        final Endpoint old = endpoints.remove(networkId + '/' + sandbox);
        if (old == null)
        {
            return;
        }
        byId.remove(old.id());
        removeFrom(byNetwork, networkId, sandbox);
        removeFrom(bySandbox, sandbox, networkId);
    }

    public List<Endpoint> endpointsOfNetwork(final String networkId)
    {
        final List<Endpoint> list = new ArrayList<>(byNetwork.getOrDefault(networkId, Map.of()).values());
        list.sort(Comparator.comparing(Endpoint::sandbox));
        return list;
    }

    public List<Endpoint> endpointsOfSandbox(final String sandbox)
    {
        final List<Endpoint> list = new ArrayList<>(bySandbox.getOrDefault(sandbox, Map.of()).values());
        list.sort(Comparator.comparing(e -> networksById.containsKey(e.networkId()) ?
            networksById.get(e.networkId()).name() : e.networkId()));
        return list;
    }

    public Optional<Endpoint> endpointById(final String id)
    {
        return Optional.ofNullable(byId.get(id));
    }

    private static void removeFrom(final Map<String, Map<String, Endpoint>> index, final String outer,
        final String inner)
    {
        final Map<String, Endpoint> map = index.get(outer);
        if (map != null)
        {
            map.remove(inner);
            if (map.isEmpty())
            {
                index.remove(outer);
            }
        }
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
