package io.jvs.control.fabric;

import io.jvs.dataplane.BridgeDomainStats;
import io.jvs.dataplane.MacEntry;
import io.jvs.dataplane.PortStats;
import io.jvs.tap.PacketPort;

import java.util.List;

/**
 * What the control plane needs from the forwarding layer: one isolated L2 segment per network and ports in them,
 * each port being the host end of a veth. {@link JvsFabric} is the real one (the jvs switch).
 */
public interface Fabric extends AutoCloseable
{
    /** @return id of the new segment (> 0). */
    int createNetwork(String name);

    void removeNetwork(int networkId);

    /** Attaches the (existing, up) host interface as a port. @return port id (> 0). */
    int attach(String hostInterface, int networkId);

    /**
     * Attaches a port jvs opened itself (an overlay's VXLAN tunnel port). On success the fabric owns the port and
     * closes it on {@link #detach}; on failure the caller still owns it. @return port id (> 0).
     */
    default int attachPort(final PacketPort port, final int networkId)
    {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot attach " + port);
    }

    /** Detaches a port; after this returns the interface is no longer used and may be deleted. */
    void detach(int portId);

    List<PortStats> portStats();

    List<BridgeDomainStats> networkStats();

    List<MacEntry> macTable();

    @Override
    void close();
}
