package io.jvs.control.network;

import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.control.state.Sandbox;
import io.jvs.dataplane.BridgeDomainStats;
import io.jvs.dataplane.LatencySnapshot;
import io.jvs.dataplane.MacEntry;
import io.jvs.dataplane.PortStats;

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
}
