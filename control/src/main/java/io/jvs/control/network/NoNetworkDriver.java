package io.jvs.control.network;

import io.jvs.control.common.JvsException;
import io.jvs.control.state.Network;

import java.util.Map;

/**
 * Docker's predefined {@code host} and {@code null} networks: names only, nothing in the switch. A sandbox cannot
 * join either (it has its own namespace; {@code none} stands for lo only, which every sandbox has).
 */
final class NoNetworkDriver implements NetworkDriver
{
    @Override
    public Map<String, String> checkOptions(final CreateNetworkRequest request)
    {
        throw JvsException.invalid("driver \"" + request.driver() + "\" is not supported: jvs networks use the " +
            "bridge, macvlan, ipvlan or overlay driver");
    }

    @Override
    public Network install(final Network network)
    {
        return network;
    }

    @Override
    public void uninstall(final Network network)
    {
    }

    @Override
    public void checkConnectable(final Network network, final String sandbox)
    {
        if (Network.DRIVER_HOST.equals(network.driver()))
        {
            throw JvsException.forbidden("sandbox " + sandbox + " cannot be connected to the host network: " +
                "a sandbox has its own network namespace");
        }
        throw JvsException.forbidden("sandbox " + sandbox + " cannot be connected to the " + network.name() +
            " network: it stands for no networking (lo only, which every sandbox has)");
    }
}
