package io.jvs.control.it;

import io.jvs.control.fabric.Fabric;
import io.jvs.control.netns.Command;
import io.jvs.dataplane.BridgeDomainStats;
import io.jvs.dataplane.mac.MacEntry;
import io.jvs.dataplane.PortStats;
import io.jvs.tap.counters.CountersRegistry;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Linux bridge per network: a reference fabric to tell control-plane faults from switch faults
 * ({@code -Djvs.test.fabric=kernel}). It has no counters or MAC table to report.
 */
final class KernelBridgeFabric implements Fabric
{
    private final String prefix;
    private final Map<Integer, String> bridges = new HashMap<>();
    private final Map<Integer, String> ports = new HashMap<>();
    /** The kernel bridge counts its own; this holds what the control plane registers (the resolver's). */
    private final CountersRegistry counters = new CountersRegistry(16, 4096);
    private int nextId = 1;

    KernelBridgeFabric(final String prefix)
    {
        this.prefix = prefix;
    }

    public synchronized int createNetwork(final String name)
    {
        final int id = nextId++;
        final String bridge = prefix + "b" + id;
        Command.run("ip", "link", "add", bridge, "type", "bridge");
        Command.run("ip", "link", "set", bridge, "up");
        bridges.put(id, bridge);
        return id;
    }

    public synchronized void removeNetwork(final int networkId)
    {
        Command.run("ip", "link", "delete", bridges.remove(networkId));
    }

    public synchronized int attach(final String hostInterface, final int networkId)
    {
        Command.run("ip", "link", "set", hostInterface, "master", bridges.get(networkId));
        final int id = nextId++;
        ports.put(id, hostInterface);
        return id;
    }

    public synchronized void detach(final int portId)
    {
        Command.exec(Command.DEFAULT_TIMEOUT, "ip", "link", "set", ports.remove(portId), "nomaster");
    }

    @Override
    public CountersRegistry counters()
    {
        return counters;
    }

    public List<PortStats> portStats()
    {
        return List.of();
    }

    public List<BridgeDomainStats> networkStats()
    {
        return List.of();
    }

    public List<MacEntry> macTable()
    {
        return List.of();
    }

    public synchronized void close()
    {
        bridges.values().forEach(b -> Command.exec(Command.DEFAULT_TIMEOUT, "ip", "link", "delete", b));
        bridges.clear();
    }
}
