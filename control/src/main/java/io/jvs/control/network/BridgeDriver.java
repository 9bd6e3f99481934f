package io.jvs.control.network;

import io.jvs.control.common.Failures;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.state.Network;

import java.util.Map;

/**
 * A bridge network (jvs's own, or one Docker created through the plugin): a bridge domain of this host's switch
 * whose gateway is the dataplane's router, as docker0 is the kernel's.
 */
final class BridgeDriver implements NetworkDriver
{
    private final Fabric fabric;

    BridgeDriver(final Fabric fabric)
    {
        this.fabric = fabric;
    }

    @Override
    public Map<String, String> checkOptions(final CreateNetworkRequest request)
    {
        return NetworkDriver.noOptions(Network.DRIVER_BRIDGE, request.options());
    }

    @Override
    public Network install(final Network network)
    {
        final int bridgeDomain = fabric.createNetwork(network.name());
        try
        {
            if (network.gateway() != 0)
            {
                fabric.setGateway(bridgeDomain, network.gateway(), network.subnet().network(),
                    network.subnet().prefix(), network.internal());
            }
        }
        catch (final RuntimeException ex)
        {
            Failures.runQuietly(() -> fabric.removeNetwork(bridgeDomain), ex);
            throw ex;
        }
        return network.withBridgeDomain(bridgeDomain);
    }

    @Override
    public void uninstall(final Network network)
    {
        fabric.removeNetwork(network.bridgeDomainId());
    }
}
