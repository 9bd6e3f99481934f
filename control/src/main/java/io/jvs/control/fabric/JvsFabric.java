package io.jvs.control.fabric;

import io.jvs.dataplane.BridgeDomainStats;
import io.jvs.dataplane.MacEntry;
import io.jvs.dataplane.PortStats;
import io.jvs.dataplane.Switch;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.tap.PacketPort;
import io.jvs.tap.PacketSocketPort;

import java.util.List;

/** The jvs userspace switch: a network is a bridge domain, a port an AF_PACKET socket on the veth's host end. */
public final class JvsFabric implements Fabric
{
    private final Switch sw;

    private JvsFabric(final Switch sw)
    {
        this.sw = sw;
    }

    public static JvsFabric start(final SwitchConfig config)
    {
        return new JvsFabric(Switch.start(config));
    }

    public int createNetwork(final String name)
    {
        return sw.createBridgeDomain(name);
    }

    public void removeNetwork(final int networkId)
    {
        sw.removeBridgeDomain(networkId);
    }

    public int attach(final String hostInterface, final int networkId)
    {
        final PacketPort port = PacketSocketPort.open(hostInterface);
        try
        {
            return sw.addPort(port, networkId);
        }
        catch (final RuntimeException ex)
        {
            port.close(); // a refused addPort leaves the port ours to close
            throw ex;
        }
    }

    @Override
    public int attachPort(final PacketPort port, final int networkId)
    {
        return sw.addPort(port, networkId);
    }

    public void detach(final int portId)
    {
        sw.removePort(portId);
    }

    public List<PortStats> portStats()
    {
        return sw.portStats();
    }

    public List<BridgeDomainStats> networkStats()
    {
        return sw.bridgeDomainStats();
    }

    public List<MacEntry> macTable()
    {
        return sw.macTable();
    }

    public void close()
    {
        sw.close();
    }
}
