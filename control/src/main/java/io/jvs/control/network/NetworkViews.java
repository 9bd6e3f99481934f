package io.jvs.control.network;

import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.state.NetworkStore;
import io.jvs.control.state.Sandbox;
import io.jvs.dataplane.BridgeDomainStats;
import io.jvs.dataplane.LatencySnapshot;
import io.jvs.dataplane.mac.MacEntry;
import io.jvs.dataplane.PortStats;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What {@code inspect}, {@code ls}, {@code stats} and {@code mac} show: the store's records joined with the switch's. */
public final class NetworkViews
{
    private NetworkViews()
    {
    }

    /** A network with its endpoints, as {@code network inspect} shows it. */
    public record NetworkDetails(Network network, List<Endpoint> endpoints)
    {
    }

    /** A sandbox with its endpoints. */
    public record SandboxDetails(Sandbox sandbox, List<Endpoint> endpoints, Map<String, String> networkNames)
    {
    }

    public record PortView(PortStats stats, String network, String sandbox, String sandboxInterface)
    {
    }

    public record NetworkStatsView(BridgeDomainStats stats, String network)
    {
    }

    public record MacView(MacEntry entry, String network, String sandbox, String hostInterface, String sandboxInterface)
    {
    }

    public record Stats(List<NetworkStatsView> networks, List<PortView> ports, Map<String, Long> router,
        LatencySnapshot latency)
    {
    }

    /** Each network's and port's counters, named by the store. */
    static Stats stats(final NetworkStore store, final Fabric fabric)
    {
        final Map<Integer, String> networkByDomain = networksByDomain(store);
        final Map<Integer, Endpoint> endpointByPort = endpointsByPort(store);
        final List<NetworkStatsView> networks = new ArrayList<>();
        for (final BridgeDomainStats stats : fabric.networkStats())
        {
            networks.add(new NetworkStatsView(stats, networkByDomain.getOrDefault(stats.bridgeDomainId(), "?")));
        }
        final List<PortView> ports = new ArrayList<>();
        for (final PortStats stats : fabric.portStats())
        {
            final Endpoint endpoint = endpointByPort.get(stats.portId());
            ports.add(new PortView(stats, networkByDomain.getOrDefault(stats.bridgeDomainId(), "?"),
                endpoint == null ? "" : endpoint.sandbox(), endpoint == null ? "" : endpoint.sandboxInterface()));
        }
        return new Stats(networks, ports, fabric.routerCounters(), fabric.latency());
    }

    /** The switch's MAC table, each entry named by its network and endpoint, sorted by network and MAC. */
    static List<MacView> macTable(final NetworkStore store, final Fabric fabric)
    {
        final Map<Integer, String> networkByDomain = networksByDomain(store);
        final Map<Integer, Endpoint> endpointByPort = endpointsByPort(store);
        final List<MacView> table = new ArrayList<>();
        for (final MacEntry entry : fabric.macTable())
        {
            final Endpoint endpoint = endpointByPort.get(entry.portId());
            table.add(new MacView(entry, networkByDomain.getOrDefault(entry.bridgeDomainId(), "?"),
                endpoint == null ? "" : endpoint.sandbox(),
                endpoint == null ? entry.portName() : endpoint.hostInterface(),
                endpoint == null ? "" : endpoint.sandboxInterface()));
        }
        table.sort(Comparator.comparing(MacView::network).thenComparing(v -> v.entry().mac()));
        return table;
    }

    static NetworkDetails details(final NetworkStore store, final Network network)
    {
        return new NetworkDetails(network, store.endpointsOfNetwork(network.id()));
    }

    static SandboxDetails details(final NetworkStore store, final Sandbox sandbox)
    {
        final List<Endpoint> endpoints = store.endpointsOfSandbox(sandbox.name());
        final Map<String, String> names = new HashMap<>();
        endpoints.forEach(e -> names.put(e.networkId(), store.network(e.networkId()).map(Network::name).orElse("?")));
        return new SandboxDetails(sandbox, endpoints, names);
    }

    private static Map<Integer, String> networksByDomain(final NetworkStore store)
    {
        final Map<Integer, String> byDomain = new HashMap<>();
        store.networks().forEach(n -> byDomain.put(n.bridgeDomainId(), n.name()));
        return byDomain;
    }

    private static Map<Integer, Endpoint> endpointsByPort(final NetworkStore store)
    {
        final Map<Integer, Endpoint> byPort = new HashMap<>();
        store.endpoints().forEach(e -> byPort.put(e.portId(), e));
        return byPort;
    }
}
