package io.jvs.control.network;

import io.jvs.control.ipam.Ipv4;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.overlay.EndpointRecord;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.NetworkStore;
import io.jvs.control.state.Sandbox;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Name resolution between sandboxes: each sandbox's hosts file names itself, then each peer sharing a network with
 * it (at its address there), including the peers behind other hosts' VTEPs on overlay networks.
 */
final class PeerNames
{
    private final NetworkStore store;
    private final HostsFiles hosts;
    private final Function<String, List<EndpointRecord>> remoteEndpoints;

    /** @param remoteEndpoints network id -> its endpoints on other hosts (empty for local networks). */
    PeerNames(final NetworkStore store, final HostsFiles hosts,
        final Function<String, List<EndpointRecord>> remoteEndpoints)
    {
        this.store = store;
        this.hosts = hosts;
        this.remoteEndpoints = remoteEndpoints;
    }

    /** Rewrites every sandbox's hosts file from the store. */
    void rewrite()
    {
        final List<Endpoint> all = store.endpoints();
        for (final Sandbox sandbox : store.sandboxes())
        {
            final Map<String, String> names = new LinkedHashMap<>();
            all.stream().filter(e -> e.sandbox().equals(sandbox.name()))
                .min(Comparator.comparing(Endpoint::sandboxInterface)) // eth0 names the sandbox itself
                .ifPresent(own -> names.put(sandbox.name(), Ipv4.format(own.address())));
            for (final Endpoint own : all)
            {
                if (!own.sandbox().equals(sandbox.name()))
                {
                    continue;
                }
                for (final Endpoint peer : all)
                {
                    if (peer.networkId().equals(own.networkId()) && !peer.sandbox().equals(sandbox.name()))
                    {
                        names.putIfAbsent(peer.sandbox(), Ipv4.format(peer.address()));
                    }
                }
                for (final EndpointRecord remote : remoteEndpoints.apply(own.networkId()))
                {
                    names.putIfAbsent(remote.sandbox(), remote.address());
                }
            }
            final List<HostsFiles.HostEntry> entries = new ArrayList<>();
            names.forEach((name, address) -> entries.add(new HostsFiles.HostEntry(address, name)));
            hosts.write(sandbox.name(), entries);
        }
    }
}
