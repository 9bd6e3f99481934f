package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;

import java.util.TreeSet;

/**
 * Address allocation within one network's IPv6 prefix, as {@link Ipam} does for IPv4: the lowest free address of
 * the range, never the prefix's own address (the subnet-router anycast address) nor the gateway. IPv6 has no
 * broadcast, so the prefix's last address is a host address. Not thread safe: the owning service serialises calls.
 */
public final class Ipam6
{
    /** Smallest prefix with a gateway and at least one address to hand out (::1 gateway, ::2 and ::3). */
    public static final int MAX_PREFIX = 126;

    private final Ipv6Subnet config;
    private final Ipv6Address first;
    private final Ipv6Address last;
    private final TreeSet<Ipv6Address> allocated = new TreeSet<>();

    public Ipam6(final Ipv6Subnet config)
    {
        this.config = config;
        final Cidr6 subnet = config.subnet();
        final Cidr6 range = config.range();
        final Ipv6Address lowest = subnet.network().plus(1);
        if (range == null)
        {
            first = lowest;
            last = subnet.last();
        }
        else
        {
            first = range.network().compareTo(lowest) < 0 ? lowest : range.network();
            last = range.last();
            if (first.compareTo(last) > 0 || (first.equals(last) && first.equals(config.gateway())))
            {
                throw JvsException.invalid("ip range " + range + " holds no host address of subnet " + subnet);
            }
        }
    }

    public static void checkUsable(final Cidr6 subnet)
    {
        if (subnet.prefix() > MAX_PREFIX)
        {
            throw JvsException.invalid("subnet " + subnet + " is too small: the prefix must be /" + MAX_PREFIX +
                " or shorter (a gateway and at least one endpoint address)");
        }
    }

    /** The gateway must be an address of the subnet other than the subnet-router anycast address. */
    public static void checkGateway(final Cidr6 subnet, final Ipv6Address gateway)
    {
        if (!subnet.contains(gateway))
        {
            throw JvsException.invalid("gateway " + gateway + " is outside subnet " + subnet);
        }
        if (gateway.equals(subnet.network()))
        {
            throw JvsException.invalid("gateway " + gateway + " is the subnet-router anycast address of subnet " +
                subnet);
        }
    }

    /** Docker's default gateway: the prefix's first address after its own ("2001:db8::1"). */
    public static Ipv6Address defaultGateway(final Cidr6 subnet)
    {
        return subnet.network().plus(1);
    }

    public Ipv6Subnet config()
    {
        return config;
    }

    /** @return the lowest free address of the range; refuses when it is full. */
    public Ipv6Address allocate()
    {
        Ipv6Address candidate = skipGateway(first);
        for (final Ipv6Address used : allocated.tailSet(first))
        {
            if (used.compareTo(candidate) > 0)
            {
                break;
            }
            candidate = skipGateway(used.plus(1));
        }
        if (candidate.compareTo(last) > 0 || candidate.compareTo(first) < 0) // the second: wrapped past ffff::ffff
        {
            throw JvsException.conflict("no available IPv6 addresses on subnet " + config.subnet() +
                (config.range() == null ? "" : " in range " + config.range()));
        }
        allocated.add(candidate);
        return candidate;
    }

    private Ipv6Address skipGateway(final Ipv6Address candidate)
    {
        return candidate.equals(config.gateway()) ? candidate.plus(1) : candidate;
    }

    /** Marks a specific address as in use (a runtime's choice, a restart); refuses reserved or taken ones. */
    public void reserve(final Ipv6Address address)
    {
        if (!config.subnet().contains(address) || address.equals(config.subnet().network()) ||
            address.equals(config.gateway()))
        {
            throw JvsException.invalid("address " + address + " cannot be assigned in " + config.subnet());
        }
        if (!allocated.add(address))
        {
            throw JvsException.conflict("address " + address + " is already in use");
        }
    }

    public void release(final Ipv6Address address)
    {
        if (!allocated.remove(address))
        {
            throw new IllegalStateException("address " + address + " was not allocated in " + config.subnet());
        }
    }

    public boolean isAllocated(final Ipv6Address address)
    {
        return allocated.contains(address);
    }

    public int allocatedCount()
    {
        return allocated.size();
    }
}
