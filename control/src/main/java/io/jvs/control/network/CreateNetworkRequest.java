package io.jvs.control.network;

import java.util.Map;

/**
 * What {@code network create} asks for; null fields take defaults.
 *
 * @param options      driver options ({@code -o parent=eth0.10}, {@code -o ipvlan_mode=l3}).
 * @param ipRange      where addresses are allocated from, inside the subnet ({@code --ip-range}).
 * @param auxAddresses addresses never handed out, by name ({@code --aux-address NAME=IP}).
 * @param ipv6         dual-stack ({@code --ipv6}): an IPv6 prefix too, {@code subnet6} or a /64 of the IPv6 pool.
 * @param subnet6      the IPv6 {@code --subnet}; null for one from the pool.
 * @param gateway6     the IPv6 {@code --gateway}; null for the prefix's first address.
 * @param ipRange6     the IPv6 {@code --ip-range}; null for the whole prefix.
 * @param ipv4         false for an IPv6-only network ({@code --ipv4=false}, Docker 28's flag; needs {@code ipv6}).
 */
public record CreateNetworkRequest(String name, String driver, String subnet, String gateway, boolean internal,
    Map<String, String> options, String ipRange, Map<String, String> auxAddresses, boolean ipv6, String subnet6,
    String gateway6, String ipRange6, boolean ipv4)
{
    /** A network with IPv4, dual-stack when {@code ipv6}. */
    public CreateNetworkRequest(final String name, final String driver, final String subnet, final String gateway,
        final boolean internal, final Map<String, String> options, final String ipRange,
        final Map<String, String> auxAddresses, final boolean ipv6, final String subnet6, final String gateway6,
        final String ipRange6)
    {
        this(name, driver, subnet, gateway, internal, options, ipRange, auxAddresses, ipv6, subnet6, gateway6,
            ipRange6, true);
    }

    /** An IPv4-only network. */
    public CreateNetworkRequest(final String name, final String driver, final String subnet, final String gateway,
        final boolean internal, final Map<String, String> options, final String ipRange,
        final Map<String, String> auxAddresses)
    {
        this(name, driver, subnet, gateway, internal, options, ipRange, auxAddresses, false, null, null, null, true);
    }

    /** The same request with another driver name and options (normalised by the service). */
    public CreateNetworkRequest withDriver(final String driverName, final Map<String, String> driverOptions)
    {
        return new CreateNetworkRequest(name, driverName, subnet, gateway, internal, driverOptions, ipRange,
            auxAddresses, ipv6, subnet6, gateway6, ipRange6, ipv4);
    }

    public CreateNetworkRequest(
        final String name, final String driver, final String subnet, final String gateway, final boolean internal)
    {
        this(name, driver, subnet, gateway, internal, Map.of(), null, Map.of());
    }
}
