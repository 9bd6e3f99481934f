package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;

/** An IPv6 prefix: network address (no host bits set) and prefix length 0..128. */
public record Cidr6(Ipv6Address network, int prefix)
{
    public Cidr6
    {
        if (prefix < 0 || prefix > Ipv6Address.BITS)
        {
            throw new IllegalArgumentException("prefix=" + prefix);
        }
        if (!network.masked(prefix).equals(network))
        {
            throw new IllegalArgumentException("host bits set: " + network + "/" + prefix);
        }
    }

    /** Whether the text is meant as IPv6 (it has a colon): how a {@code --subnet} given twice is told apart. */
    public static boolean looksLikeIpv6(final String text)
    {
        return text != null && text.indexOf(':') >= 0;
    }

    /** Parses "2001:db8:1::/64" as Docker does for --subnet: the address must be the network address itself. */
    public static Cidr6 parse(final String text)
    {
        final int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 0)
        {
            throw JvsException.invalid("invalid CIDR address: " + text);
        }
        final Ipv6Address address = Ipv6Address.tryParse(text.substring(0, slash));
        final String prefixText = text.substring(slash + 1);
        if (address == null || !prefixText.matches("[0-9]{1,3}") || Integer.parseInt(prefixText) > Ipv6Address.BITS)
        {
            throw JvsException.invalid("invalid CIDR address: " + text);
        }
        final int prefix = Integer.parseInt(prefixText);
        final Ipv6Address network = address.masked(prefix);
        if (!network.equals(address))
        {
            throw JvsException.invalid("invalid subnet " + text + ": it should be " + network + "/" + prefix);
        }
        return new Cidr6(network, prefix);
    }

    /** The last address of the prefix (IPv6 has no broadcast: it is a host address). */
    public Ipv6Address last()
    {
        return network.lastOf(prefix);
    }

    public boolean contains(final Ipv6Address address)
    {
        return address.masked(prefix).equals(network);
    }

    public boolean contains(final Cidr6 other)
    {
        return other.prefix >= prefix && contains(other.network);
    }

    public boolean overlaps(final Cidr6 other)
    {
        final int shorter = Math.min(prefix, other.prefix);
        return network.masked(shorter).equals(other.network.masked(shorter));
    }

    @Override
    public String toString()
    {
        return network + "/" + prefix;
    }
}
