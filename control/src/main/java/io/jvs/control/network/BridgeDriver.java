package io.jvs.control.network;

import io.jvs.control.common.Failures;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.ipam.Ipv6Address;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;

import io.jvs.control.common.JvsException;

import java.util.LinkedHashMap;
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

    /** Docker's option for inter-container communication. */
    public static final String OPTION_ENABLE_ICC = "com.docker.network.bridge.enable_icc";
    /** jvs's own: each container port sends only from the MAC and address jvs gave it (anti-spoofing). */
    public static final String OPTION_PORT_SECURITY = "port_security";

    @Override
    public Map<String, String> checkOptions(final CreateNetworkRequest request)
    {
        final Map<String, String> options = new LinkedHashMap<>(request.options());
        final String icc = options.remove(OPTION_ENABLE_ICC);
        final String portSecurity = options.remove(OPTION_PORT_SECURITY);
        NetworkDriver.noOptions(Network.DRIVER_BRIDGE, options);
        final Map<String, String> kept = new LinkedHashMap<>();
        if (null != icc)
        {
            kept.put(OPTION_ENABLE_ICC, Boolean.toString(parseBoolean(OPTION_ENABLE_ICC, icc)));
        }
        if (null != portSecurity)
        {
            kept.put(OPTION_PORT_SECURITY, Boolean.toString(parseBoolean(OPTION_PORT_SECURITY, portSecurity)));
        }
        return kept;
    }

    /** Docker's spellings of a boolean option (strconv.ParseBool); anything else is refused. */
    static boolean parseBoolean(final String option, final String value)
    {
        return switch (value)
        {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw JvsException.invalid("option " + option + " takes true or false, not \"" + value + "\"");
        };
    }

    /** Whether the network's containers reach each other (on unless {@code enable_icc=false}). */
    static boolean interContainer(final Network network)
    {
        return !"false".equals(network.options().get(OPTION_ENABLE_ICC));
    }

    /** Whether the network's container ports are held to their own MAC and address ({@code port_security=true}). */
    static boolean portSecurity(final Network network)
    {
        return "true".equals(network.options().get(OPTION_PORT_SECURITY));
    }

    @Override
    public void onPortAttached(final Network network, final Endpoint endpoint)
    {
        if (portSecurity(network))
        {
            final Ipv6Address ipv6 = endpoint.address6();
            fabric.securePort(endpoint.portId(), endpoint.macAddress(), endpoint.address(),
                null == ipv6 ? 0 : ipv6.high(), null == ipv6 ? 0 : ipv6.low());
        }
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
            if (network.hasIpv6())
            {
                fabric.setIpv6Gateway(bridgeDomain, network.ipv6().gateway().toString(),
                    network.ipv6().subnet().prefix());
            }
            if (!interContainer(network))
            {
                fabric.setInterContainer(bridgeDomain, false);
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
        if (network.hasIpv6())
        {
            fabric.removeIpv6Gateway(network.bridgeDomainId());
        }
        fabric.removeNetwork(network.bridgeDomainId());
    }
}
