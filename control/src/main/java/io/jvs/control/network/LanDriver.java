package io.jvs.control.network;

import io.jvs.control.common.Failures;
import io.jvs.control.common.JvsException;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.lan.LanNetworks;
import io.jvs.control.lan.LanSpec;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.macvlan.LanMode;

import java.util.Map;

/**
 * A macvlan or ipvlan network: a bridge domain joined to a LAN through a parent link ({@link LanNetworks}); the
 * LAN's router is the gateway, not the dataplane's (ipvlan l3: the LAN port answers for it).
 */
final class LanDriver implements NetworkDriver
{
    private final Fabric fabric;
    private final LanNetworks lan;

    LanDriver(final Fabric fabric, final LanNetworks lan)
    {
        this.fabric = fabric;
        this.lan = lan;
    }

    @Override
    public Map<String, String> checkOptions(final CreateNetworkRequest request)
    {
        final LanSpec spec = lan.validate(request.driver(), request.options());
        if (request.subnet() == null || request.subnet().isEmpty())
        {
            throw JvsException.invalid(request.driver() + " networks need --subnet: " +
                (spec.mode() == LanMode.IPVLAN_L3 ? "the containers' subnet, routed to the host by the LAN" :
                "the LAN's subnet"));
        }
        return spec.options();
    }

    /** The parent link, uplink and host port are this daemon's: made again from the journaled options. */
    @Override
    public Network install(final Network network)
    {
        final LanSpec spec = lan.validate(network.driver(), network.options());
        final Network installed = network.withBridgeDomain(fabric.createNetwork(network.name()));
        try
        {
            lan.create(installed, spec);
        }
        catch (final RuntimeException ex)
        {
            Failures.runQuietly(() -> fabric.removeNetwork(installed.bridgeDomainId()), ex);
            throw ex;
        }
        return installed;
    }

    @Override
    public void uninstall(final Network network)
    {
        lan.remove(network.id());
        fabric.removeNetwork(network.bridgeDomainId());
    }

    /** A LAN member: its host route included. */
    @Override
    public void onConnect(final Network network, final Endpoint endpoint)
    {
        lan.onConnect(network.id(), endpoint);
    }

    @Override
    public void onDisconnect(final Network network, final Endpoint endpoint)
    {
        lan.onDisconnect(network.id(), endpoint);
    }
}
