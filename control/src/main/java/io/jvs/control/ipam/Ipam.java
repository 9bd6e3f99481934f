package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;

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
    private final Cidr range;
    private final int firstOffset;
    private final long lastOffset;
    private final TreeSet<Integer> allocatedOffsets = new TreeSet<>();

    public Ipam(final Cidr subnet, final int gateway)
    {
        this(subnet, gateway, null);
    }

    /**
     * @param range where {@link #allocate} takes addresses from (Docker's {@code --ip-range}), inside the subnet;
     *              null for the whole subnet. {@link #reserve} may still take any host address of the subnet.
     */
    public Ipam(final Cidr subnet, final int gateway, final Cidr range)
    {
        checkUsable(subnet);
        checkGateway(subnet, gateway);
        this.subnet = subnet;
        this.gateway = gateway;
        this.range = range;
        if (range == null)
        {
            firstOffset = 1;
            lastOffset = subnet.size() - 2;
        }
        else
        {
            if (!subnet.contains(range.network()) || !subnet.contains(range.broadcast()))
            {
                throw JvsException.invalid("ip range " + range + " is not inside subnet " + subnet);
            }
            firstOffset = Math.max(1, range.network() - subnet.network());
            lastOffset = Math.min(subnet.size() - 2, (long)range.broadcast() - subnet.network());
            if (firstOffset > lastOffset)
            {
                throw JvsException.invalid("ip range " + range + " holds no host address of subnet " + subnet);
            }
        }
    }

    /** The allocation range; null when it is the whole subnet. */
    public Cidr range()
    {
        return range;
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
        final long lastHost = lastOffset;
        final int gatewayOffset = gateway - subnet.network();
        long candidate = firstOffset;
        for (final int used : allocatedOffsets.tailSet(firstOffset))
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
            throw JvsException.conflict("no available IPv4 addresses on subnet " + subnet +
                (range == null ? "" : " in range " + range));
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
