package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;

import java.util.Collection;

/**
 * Carves /64s out of an IPv6 pool for networks created with {@code --ipv6} but no IPv6 subnet, skipping those that
 * overlap prefixes in use: Docker's {@code default-address-pools} for IPv6. The default pool is a unique local
 * (fc00::/7, RFC 4193) /48 with a fixed, random-looking global id, so it collides with nothing routed.
 */
public final class SubnetPool6
{
    /** jvs's default IPv6 pool ({@code jvs daemon --default-ipv6-pool}). */
    public static final Cidr6 DEFAULT_POOL = Cidr6.parse("fd4a:7c5e:91b3::/48");
    public static final int DEFAULT_PREFIX = 64;
    /** Candidates looked at before giving up: a /48 of /64s has 65536. */
    private static final long MAX_CANDIDATES = 1L << 16;

    private final Cidr6 pool;
    private final int prefix;

    public SubnetPool6(final Cidr6 pool, final int prefix)
    {
        if (prefix < pool.prefix() || prefix > Ipam6.MAX_PREFIX || prefix > 64 || pool.prefix() < 1)
        {
            throw JvsException.invalid("IPv6 pool " + pool + " cannot be cut into /" + prefix +
                "s: the pool's prefix must be at most /" + prefix + " and the size /64 or shorter");
        }
        this.pool = pool;
        this.prefix = prefix;
    }

    public static SubnetPool6 defaults()
    {
        return new SubnetPool6(DEFAULT_POOL, DEFAULT_PREFIX);
    }

    public Cidr6 pool()
    {
        return pool;
    }

    /** @return the first /{@code prefix} of the pool that overlaps none of {@code inUse}. */
    public Cidr6 next(final Collection<Cidr6> inUse)
    {
        final int bits = prefix - pool.prefix();
        final long count = bits >= 63 ? MAX_CANDIDATES : Math.min(MAX_CANDIDATES, 1L << bits);
        final long step = 1L << (64 - prefix); // prefix <= 64: subnets step in the high half
        for (long i = 0; i < count; i++)
        {
            final Cidr6 candidate = new Cidr6(new Ipv6Address(pool.network().high() + i * step, 0), prefix);
            if (!overlapsAny(candidate, inUse))
            {
                return candidate;
            }
        }
        throw JvsException.conflict("the default IPv6 address pool " + pool + " is exhausted: use --subnet with " +
            "an IPv6 prefix");
    }

    public static boolean overlapsAny(final Cidr6 candidate, final Collection<Cidr6> inUse)
    {
        for (final Cidr6 used : inUse)
        {
            if (candidate.overlaps(used))
            {
                return true;
            }
        }
        return false;
    }
}
