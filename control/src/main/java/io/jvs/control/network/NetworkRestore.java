package io.jvs.control.network;

import io.jvs.control.common.Failures;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.ipam.Ipam;
import io.jvs.control.ipam.Ipam6;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.netns.HostsFiles;
import io.jvs.control.netns.IpTool;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.control.state.NetworkStore;
import io.jvs.control.state.Sandbox;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One restart's rebuild of the kernel and switch side of a store that survived it: every network with a subnet gets
 * a bridge domain again (its driver installs it), every endpoint's address is reserved again, and every endpoint
 * whose host-end veth still exists becomes a switch port again, so traffic resumes without anyone re-creating
 * anything. Endpoints of jvs sandboxes whose veth or namespace is gone are dropped (their address freed); runtime
 * endpoints (Docker's) whose veth is gone stay, detached, until their runtime deletes them, so their addresses are
 * not handed out twice. A network its driver cannot rebuild (a macvlan parent gone) is dropped with its endpoints.
 * Overlay networks are left to {@link OverlayDriver#restore}.
 */
final class NetworkRestore
{
    private final NetworkTable table;
    private final NetworkStore store;
    private final Fabric fabric;
    private final IpTool ip;
    private final HostsFiles hosts;
    private final Function<String, NetworkDriver> drivers;
    private final BiConsumer<Network, Endpoint> removeEndpoint;
    private final List<String> dropped = new ArrayList<>();
    private int networks;
    private int reattached;
    private int detached;

    NetworkRestore(final NetworkTable table, final Fabric fabric, final IpTool ip, final HostsFiles hosts,
        final Function<String, NetworkDriver> drivers, final BiConsumer<Network, Endpoint> removeEndpoint)
    {
        this.table = table;
        this.store = table.store();
        this.fabric = fabric;
        this.ip = ip;
        this.hosts = hosts;
        this.drivers = drivers;
        this.removeEndpoint = removeEndpoint;
    }

    void rebuildNetworks()
    {
        for (final Network stored : store.networks())
        {
            if (Network.DRIVER_OVERLAY.equals(stored.driver()) || (!stored.hasIpv4() && !stored.hasIpv6()))
            {
                continue; // overlay: rebuilt with the cluster's definition once the overlay runs
            }
            final Network network;
            try
            {
                network = drivers.apply(stored.driver()).install(stored);
            }
            catch (final RuntimeException ex)
            {
                table.drop(stored, stored.driver() + " network " + stored.name() + (stored.options().isEmpty() ? "" :
                    " (options " + stored.options() + ")") + " cannot be rebuilt: " + ex.getMessage(), dropped, ip);
                continue;
            }
            table.put(network, network.hasIpv4() ? NetworkTable.newIpam(network.subnet(), network.gateway(),
                network.ipRange(), network.auxAddresses()) : null); // IPv6-only: its IPv6 allocator only
            networks++;
        }
    }

    void dropVanishedSandboxes()
    {
        for (final Sandbox sandbox : store.sandboxes())
        {
            if (!ip.namespaceExists(sandbox.name()))
            {
                store.endpointsOfSandbox(sandbox.name()).forEach(e -> store.removeEndpoint(e.networkId(), e.sandbox()));
                store.removeSandbox(sandbox.name());
                Failures.runQuietly(() -> hosts.remove(sandbox.name()), null);
                dropped.add("sandbox " + sandbox.name() + " (its namespace is gone)");
            }
        }
    }

    void reattachEndpoints()
    {
        for (final Endpoint stored : store.endpoints())
        {
            final Optional<Network> network = store.network(stored.networkId());
            if (network.filter(n -> Network.DRIVER_OVERLAY.equals(n.driver())).isPresent())
            {
                continue; // OverlayDriver.restore
            }
            final Ipam ipam = network.map(n -> table.ipam(n.id())).orElse(null);
            final Ipam6 ipam6 = network.map(n -> table.ipam6(n.id())).orElse(null);
            final boolean known = ipam != null || ipam6 != null;
            final String twice = ipam != null && ipam.isAllocated(stored.address()) ? Ipv4.format(stored.address()) :
                stored.address6() != null && ipam6 != null && ipam6.isAllocated(stored.address6()) ?
                stored.address6().toString() : null;
            if (!known || twice != null)
            {
                store.removeEndpoint(stored.networkId(), stored.sandbox());
                dropped.add("endpoint " + stored.sandbox() + " (" + (!known ? "no such network" :
                    "address " + twice + " taken twice") + ")");
                continue;
            }
            if (!ip.linkExists(stored.hostInterface()))
            {
                if (store.sandbox(stored.sandbox()).isPresent())
                {
                    store.removeEndpoint(stored.networkId(), stored.sandbox());
                    dropped.add("endpoint " + stored.sandbox() + " on " + network.get().name() + " (its veth is gone)");
                }
                else
                {
                    reserve(ipam, ipam6, stored);
                    store.putEndpoint(stored.withPort(Endpoint.NO_PORT));
                    detached++;
                }
                continue;
            }
            reattach(network.get(), ipam, ipam6, stored);
        }
    }

    /** The endpoint's addresses are taken again (IPv4 unless the network is IPv6-only; IPv6 if it has IPv6). */
    private static void reserve(final Ipam ipam, final Ipam6 ipam6, final Endpoint stored)
    {
        if (ipam != null)
        {
            ipam.reserve(stored.address());
        }
        if (ipam6 != null && stored.address6() != null)
        {
            ipam6.reserve(stored.address6());
        }
    }

    private void reattach(final Network network, final Ipam ipam, final Ipam6 ipam6, final Endpoint stored)
    {
        reserve(ipam, ipam6, stored);
        ip.linkUp(null, stored.hostInterface());
        final Endpoint endpoint = stored.withPort(fabric.attach(stored.hostInterface(), network.bridgeDomainId()));
        drivers.apply(network.driver()).onPortAttached(network, endpoint);
        store.putEndpoint(endpoint);
        try
        {
            drivers.apply(network.driver()).onConnect(network, endpoint); // a LAN member again, host route included
        }
        catch (final RuntimeException ex)
        {
            Failures.runQuietly(() -> removeEndpoint.accept(network, endpoint), ex);
            dropped.add("endpoint " + stored.sandbox() + " on " + network.name() + " (" + ex.getMessage() + ")");
            return;
        }
        reattached++;
    }

    /** Where the steps add what they dropped, and why. */
    List<String> dropped()
    {
        return dropped;
    }

    /** Connects a crash cut short, undone before the rebuild: reported among the dropped. */
    void noteUndoneAttaches(final List<String> hostInterfaces)
    {
        for (final String hostInterface : hostInterfaces)
        {
            dropped.add("a connect cut short by a crash (its veth " + hostInterface + " deleted)");
        }
    }

    RestoreReport report()
    {
        return new RestoreReport(networks, reattached, detached, List.copyOf(dropped));
    }
}
