package io.jvs.control.network;

import java.util.Map;

/**
 * What {@code network create} asks for; null fields take defaults.
 *
 * @param options      driver options ({@code -o parent=eth0.10}, {@code -o ipvlan_mode=l3}).
 * @param ipRange      where addresses are allocated from, inside the subnet ({@code --ip-range}).
 * @param auxAddresses addresses never handed out, by name ({@code --aux-address NAME=IP}).
 */
public record CreateNetworkRequest(String name, String driver, String subnet, String gateway, boolean internal,
    Map<String, String> options, String ipRange, Map<String, String> auxAddresses)
{
    public CreateNetworkRequest(
        final String name, final String driver, final String subnet, final String gateway, final boolean internal)
    {
        this(name, driver, subnet, gateway, internal, Map.of(), null, Map.of());
    }
}
