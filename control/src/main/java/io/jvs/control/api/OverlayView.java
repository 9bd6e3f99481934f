package io.jvs.control.api;

import io.jvs.control.network.NetworkService;
import io.jvs.control.overlay.ClusterState;
import io.jvs.control.overlay.EndpointRecord;
import io.jvs.control.overlay.HostRecord;
import io.jvs.control.overlay.OverlayControl;
import io.jvs.control.overlay.OverlayNetwork;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code GET /overlay}: this host's view of the overlay (cluster members, networks, peers, VTEP counters). */
final class OverlayView
{
    private OverlayView()
    {
    }

    static Map<String, Object> of(final NetworkService service)
    {
        final Map<String, Object> out = new LinkedHashMap<>();
        final OverlayControl control = service.overlay().orElse(null);
        if (control == null)
        {
            out.put("Enabled", false);
            return out;
        }
        final ClusterState state = control.state();
        out.put("Enabled", true);
        out.put("Host", control.hostId());
        out.put("Store", control.storeDescription());
        out.put("LeaseTtlSeconds", control.leaseTtlSeconds());
        out.put("Revision", state.revision());
        out.put("LastError", control.lastError());
        out.put("Vtep", control.tunnels().vtepView());
        final List<Object> hosts = new ArrayList<>();
        for (final HostRecord h : state.hosts().values())
        {
            final Map<String, Object> host = new LinkedHashMap<>();
            host.put("Address", h.address());
            host.put("Hostname", h.hostname());
            host.put("Since", h.since());
            hosts.add(host);
        }
        out.put("Hosts", hosts);
        out.put("Peers", control.tunnels().peers());
        final Map<Integer, Map<String, Object>> ports = control.tunnels().portViews();
        final List<Object> networks = new ArrayList<>();
        for (final OverlayNetwork n : state.networks().values())
        {
            final Map<String, Object> network = new LinkedHashMap<>();
            network.put("Name", n.name());
            network.put("Id", n.id());
            network.put("Vni", n.vni());
            network.put("Encrypted", n.encrypted());
            network.put("Subnet", n.subnet());
            network.put("Gateway", n.gateway());
            final List<Object> endpoints = new ArrayList<>();
            for (final EndpointRecord e : state.endpoints(n.id()))
            {
                final Map<String, Object> endpoint = new LinkedHashMap<>();
                endpoint.put("Sandbox", e.sandbox());
                endpoint.put("Address", e.address());
                endpoint.put("Mac", e.mac());
                endpoint.put("Host", e.host());
                endpoints.add(endpoint);
            }
            network.put("Endpoints", endpoints);
            network.put("TunnelPort", ports.getOrDefault(n.vni(), Map.of()));
            networks.add(network);
        }
        out.put("Networks", networks);
        return out;
    }
}
