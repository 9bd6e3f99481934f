package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;

import java.util.Collection;

/** Carves fixed-size subnets out of a pool, skipping any that overlap subnets already in use. */
public final class SubnetPool
{
    /** Default pool for networks created without --subnet, as /24s. */
    public static final Cidr DEFAULT_POOL = Cidr.parse("10.231.0.0/16");
    public static final int DEFAULT_PREFIX = 24;
    /** Preferred subnet of the predefined {@code bridge} network. */
    public static final Cidr DEFAULT_BRIDGE = Cidr.parse("10.230.0.0/24");

    private final Cidr pool;
    private final int prefix;

    public SubnetPool(final Cidr pool, final int prefix)
    {
        if (prefix < pool.prefix() || prefix > Ipam.MAX_PREFIX)
        {
            throw new IllegalArgumentException("prefix=" + prefix + " pool=" + pool);
        }
        this.pool = pool;
        this.prefix = prefix;
    }

    public static SubnetPool defaults()
    {
        return new SubnetPool(DEFAULT_POOL, DEFAULT_PREFIX);
    }

    /** @return the first subnet of the pool that overlaps none of {@code inUse}. */
    public Cidr next(final Collection<Cidr> inUse)
    {
        final long count = 1L << (prefix - pool.prefix());
        final long step = 1L << (32 - prefix);
        for (long i = 0; i < count; i++)
        {
            final Cidr candidate = new Cidr((int)(Integer.toUnsignedLong(pool.network()) + i * step), prefix);
            if (!overlapsAny(candidate, inUse))
            {
                return candidate;
            }
        }
        throw JvsException.conflict("the default address pool " + pool + " is exhausted: use --subnet");
    }

    public static boolean overlapsAny(final Cidr candidate, final Collection<Cidr> inUse)
    {
        for (final Cidr used : inUse)
        {
            if (candidate.overlaps(used))
            {
                return true;
            }
        }
        return false;
    }
}
