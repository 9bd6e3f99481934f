package io.jvs.control.network;

import io.jvs.control.dns.SandboxNames;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.overlay.EndpointRecord;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.control.state.NetworkStore;
import io.jvs.control.state.Sandbox;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Name resolution between sandboxes, as Docker's on user-defined networks: the resolver at 127.0.0.11 answers the
 * peers' names from {@link SandboxNames} (each network's members, overlay members behind other hosts included), and a
 * sandbox's hosts file names only itself. So an endpoint coming or going costs O(1): one entry in the table and the
 * attaching sandbox's own hosts file, never every sandbox's.
 */
final class PeerNames
{
    private final NetworkStore store;
    private final HostsFiles hosts;
    private final SandboxNames names;

    PeerNames(final NetworkStore store, final HostsFiles hosts, final SandboxNames names)
    {
        this.store = store;
        this.hosts = hosts;
        this.names = names;
    }

    /** The endpoint is on its network: its peers resolve its name there, and (a jvs sandbox) its hosts file says so. */
    void joined(final Endpoint endpoint)
    {
        names.join(endpoint.networkId(), endpoint.sandbox(), endpoint.sandboxInterface(), endpoint.address(),
                    endpoint.address6());
        writeOwn(endpoint.sandbox());
    }

    /** The endpoint left its network; quiet if it was never in the table. */
    void left(final Endpoint endpoint)
    {
        names.leave(endpoint.networkId(), endpoint.sandbox());
        writeOwn(endpoint.sandbox());
    }

    /** The overlay network's members on other hosts now; replaces the last ones. */
    void remoteChanged(final String networkId, final List<EndpointRecord> remote)
    {
        final Map<String, Integer> byName = new HashMap<>();
        for (final EndpointRecord record : remote)
        {
            byName.putIfAbsent(record.sandbox(), Ipv4.parse(record.address()));
        }
        names.setRemote(networkId, byName);
    }

    /**
     * After a restart: the table from the store's endpoints (overlay ones excepted: {@link OverlayDriver#restore}
     * joins those it brings back) and every sandbox's hosts file once. O(endpoints + sandboxes).
     */
    void rebuild()
    {
        names.clear();
        for (final Endpoint endpoint : store.endpoints())
        {
            final boolean overlay = store.network(endpoint.networkId())
                .map(n -> Network.DRIVER_OVERLAY.equals(n.driver())).orElse(true);
            if (!overlay)
            {
                names.join(endpoint.networkId(), endpoint.sandbox(), endpoint.sandboxInterface(), endpoint.address(),
                    endpoint.address6());
            }
        }
        for (final Sandbox sandbox : store.sandboxes())
        {
            writeOwn(sandbox.name());
        }
    }

    /**
     * The sandbox's hosts file: localhost and its own name at its first interface's address (none: no network), and
     * at its first IPv6 address when it is on a dual-stack network.
     */
    private void writeOwn(final String sandbox)
    {
        if (store.sandbox(sandbox).isEmpty())
        {
            return; // a runtime's endpoint (Docker's): its files are the runtime's
        }
        final List<HostsFiles.HostEntry> entries = new ArrayList<>();
        names.ownAddress(sandbox).ifPresent(a -> entries.add(new HostsFiles.HostEntry(Ipv4.format(a), sandbox)));
        names.ownAddress6(sandbox).ifPresent(a -> entries.add(new HostsFiles.HostEntry(a.toString(), sandbox)));
        hosts.write(sandbox, entries);
    }
}
