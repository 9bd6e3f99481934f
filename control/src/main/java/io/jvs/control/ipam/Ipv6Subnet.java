package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;

/**
 * A network's IPv6 side: its prefix, the gateway address in it and where sandbox addresses come from.
 *
 * @param range {@code --ip-range} for IPv6, inside the subnet; null for the whole subnet.
 */
public record Ipv6Subnet(Cidr6 subnet, Ipv6Address gateway, Cidr6 range)
{
    public Ipv6Subnet
    {
        Ipam6.checkUsable(subnet);
        Ipam6.checkGateway(subnet, gateway);
        if (range != null && !subnet.contains(range))
        {
            throw JvsException.invalid("ip range " + range + " is not inside subnet " + subnet);
        }
    }

    /** From the user's text: gateway and range may be null (the first address; the whole subnet). */
    public static Ipv6Subnet parse(final String subnet, final String gateway, final String range)
    {
        final Cidr6 prefix = Cidr6.parse(subnet);
        return new Ipv6Subnet(prefix, gateway == null || gateway.isEmpty() ? Ipam6.defaultGateway(prefix) :
            Ipv6Address.parse(gateway), range == null || range.isEmpty() ? null : Cidr6.parse(range));
    }
}
