package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;

/** An IPv4 subnet: network address and prefix length; the address has no host bits set. */
public record Cidr(int network, int prefix)
{
    public Cidr
    {
        if (prefix < 0 || prefix > 32)
        {
            throw new IllegalArgumentException("prefix=" + prefix);
        }
        if ((network & ~mask(prefix)) != 0)
        {
            throw new IllegalArgumentException("host bits set: " + Ipv4.format(network) + "/" + prefix);
        }
    }

    /**
     * Parses "a.b.c.d/len" as Docker does for --subnet: the address must be the network address itself.
     */
    public static Cidr parse(final String text)
    {
        final int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 0)
        {
            throw JvsException.invalid("invalid CIDR address: " + text);
        }
        final int address = Ipv4.tryParse(text.substring(0, slash));
        final String prefixText = text.substring(slash + 1);
        if ((address == -1 && !text.startsWith("255.255.255.255/")) || !prefixText.matches("[0-9]{1,2}"))
        {
            throw JvsException.invalid("invalid CIDR address: " + text);
        }
        final int prefix = Integer.parseInt(prefixText);
        if (prefix > 32)
        {
            throw JvsException.invalid("invalid CIDR address: " + text);
        }
        final int network = address & mask(prefix);
        if (network != address)
        {
            throw JvsException.invalid("invalid subnet " + text + ": it should be " + Ipv4.format(network) + "/" + prefix);
        }
        return new Cidr(network, prefix);
    }

    /** Like {@link #parse} but masks host bits away ("10.0.0.5/24" gives 10.0.0.0/24); for kernel route output. */
    public static Cidr parseLenient(final String text)
    {
        final int slash = text.indexOf('/');
        final int address = Ipv4.parse(slash < 0 ? text : text.substring(0, slash));
        final int prefix = slash < 0 ? 32 : Integer.parseInt(text.substring(slash + 1));
        if (prefix < 0 || prefix > 32)
        {
            throw JvsException.invalid("invalid CIDR address: " + text);
        }
        return new Cidr(address & mask(prefix), prefix);
    }

    public static int mask(final int prefix)
    {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    /** Number of addresses, network and broadcast included. */
    public long size()
    {
        return 1L << (32 - prefix);
    }

    public int broadcast()
    {
        return network | ~mask(prefix);
    }

    public boolean contains(final int address)
    {
        return (address & mask(prefix)) == network;
    }

    public boolean overlaps(final Cidr other)
    {
        final int shorter = Math.min(prefix, other.prefix);
        return ((network ^ other.network) & mask(shorter)) == 0;
    }

    @Override
    public String toString()
    {
        return Ipv4.format(network) + "/" + prefix;
    }
}
