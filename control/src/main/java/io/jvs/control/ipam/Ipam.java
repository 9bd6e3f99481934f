package io.jvs.control.ipam;

import io.jvs.control.JvsException;

import java.util.TreeSet;

/**
 * Address allocation within one network's subnet. The network and broadcast addresses are never handed out, the
 * gateway is reserved, and an address is handed out again only after {@link #release}. Allocation takes the lowest
 * free address, so a small network's addresses are predictable (.2, .3, ... with the gateway on .1).
 * Not thread safe: the owning service serialises calls.
 */
public final class Ipam
{
    /** Smallest subnet with a gateway and at least one address to hand out. */
    public static final int MAX_PREFIX = 30;

    private final Cidr subnet;
    private final int gateway;
    private final TreeSet<Integer> allocatedOffsets = new TreeSet<>();

    public Ipam(final Cidr subnet, final int gateway)
    {
        checkUsable(subnet);
        checkGateway(subnet, gateway);
        this.subnet = subnet;
        this.gateway = gateway;
    }

    /** Refuses subnets too small to hold a gateway and one endpoint. */
    public static void checkUsable(final Cidr subnet)
    {
        if (subnet.prefix() > MAX_PREFIX)
        {
            throw JvsException.invalid("subnet " + subnet + " is too small: the prefix must be /" + MAX_PREFIX +
                " or shorter (a gateway and at least one endpoint address)");
        }
    }

    /** The gateway must be a host address of the subnet. */
    public static void checkGateway(final Cidr subnet, final int gateway)
    {
        if (!subnet.contains(gateway))
        {
            throw JvsException.invalid("gateway " + Ipv4.format(gateway) + " is outside subnet " + subnet);
        }
        if (gateway == subnet.network() || gateway == subnet.broadcast())
        {
            throw JvsException.invalid("gateway " + Ipv4.format(gateway) + " is the " +
                (gateway == subnet.network() ? "network" : "broadcast") + " address of subnet " + subnet);
        }
    }

    /** Docker's default gateway: the first host address. */
    public static int defaultGateway(final Cidr subnet)
    {
        return subnet.network() + 1;
    }

    public Cidr subnet()
    {
        return subnet;
    }

    public int gateway()
    {
        return gateway;
    }

    /** @return the lowest free host address; refuses when the subnet is full. */
    public int allocate()
    {
        final long lastHost = subnet.size() - 2;
        final int gatewayOffset = gateway - subnet.network();
        long candidate = 1;
        for (final int used : allocatedOffsets)
        {
            if (candidate == gatewayOffset)
            {
                candidate++;
            }
            if (used > candidate)
            {
                break;
            }
            candidate = used + 1;
        }
        if (candidate == gatewayOffset)
        {
            candidate++;
        }
        if (candidate > lastHost)
        {
            throw JvsException.conflict("no available IPv4 addresses on subnet " + subnet);
        }
        allocatedOffsets.add((int)candidate);
        return subnet.network() + (int)candidate;
    }

    /** Marks a specific address as in use (for rebuilding state); refuses reserved or taken ones. */
    public void reserve(final int address)
    {
        final int offset = address - subnet.network();
        if (!subnet.contains(address) || address == subnet.network() || address == subnet.broadcast() ||
            address == gateway)
        {
            throw JvsException.invalid("address " + Ipv4.format(address) + " cannot be assigned in " + subnet);
        }
        if (!allocatedOffsets.add(offset))
        {
            throw JvsException.conflict("address " + Ipv4.format(address) + " is already in use");
        }
    }

    public void release(final int address)
    {
        if (!allocatedOffsets.remove(address - subnet.network()))
        {
            throw new IllegalStateException("address " + Ipv4.format(address) + " was not allocated in " + subnet);
        }
    }

    public boolean isAllocated(final int address)
    {
        return subnet.contains(address) && allocatedOffsets.contains(address - subnet.network());
    }

    public int allocatedCount()
    {
        return allocatedOffsets.size();
    }
}
