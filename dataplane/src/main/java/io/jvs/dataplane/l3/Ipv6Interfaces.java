package io.jvs.dataplane.l3;

import java.util.Arrays;

/**
 * The IPv6 side of the router's interfaces ({@link Interfaces} holds ports, MACs and MTUs for both families): per
 * interface a global address and prefix, and the link-local address fe80::/64 + EUI-64 of the interface's MAC.
 * Routes: each leg's prefix, then the host link's. Read per packet on the forwarding thread (plain arrays);
 * changed by commands on that thread.
 */
final class Ipv6Interfaces
{
    private final Interfaces interfaces;
    private final long[] high = new long[Interfaces.COUNT];
    private final long[] low = new long[Interfaces.COUNT];
    private final long[] maskHigh = new long[Interfaces.COUNT];
    private final long[] maskLow = new long[Interfaces.COUNT];
    private final int[] prefixLength = new int[Interfaces.COUNT];
    private final long[] linkLocalLow = new long[Interfaces.COUNT];
    private int[] legs = new int[0];
    /** The uplink's IPv6 next hop for destinations off its prefix (0:0 for none: on-link). */
    private long uplinkGatewayHigh;
    private long uplinkGatewayLow;

    Ipv6Interfaces(final Interfaces interfaces)
    {
        this.interfaces = interfaces;
    }

    boolean isSet(final int iface)
    {
        return interfaces.has(iface, Interfaces.FAMILY_IPV6);
    }

    long high(final int iface)
    {
        return high[iface];
    }

    long low(final int iface)
    {
        return low[iface];
    }

    int prefixLength(final int iface)
    {
        return prefixLength[iface];
    }

    long linkLocalLow(final int iface)
    {
        return linkLocalLow[iface];
    }

    /** One of the interface's own addresses (global or link-local). */
    boolean isOwn(final int iface, final long addressHigh, final long addressLow)
    {
        return (addressHigh == high[iface] && addressLow == low[iface]) ||
            (addressHigh == Ipv6Addresses.LINK_LOCAL_HIGH && addressLow == linkLocalLow[iface]);
    }

    /** The global address of some interface of the router (its link-local ones are only answered on their link). */
    boolean isRouterAddress(final long addressHigh, final long addressLow)
    {
        if (isGlobal(Interfaces.HOST, addressHigh, addressLow) || isGlobal(Interfaces.UPLINK, addressHigh, addressLow))
        {
            return true;
        }
        for (final int leg : legs)
        {
            if (high[leg] == addressHigh && low[leg] == addressLow)
            {
                return true;
            }
        }
        return false;
    }

    boolean isGlobal(final int iface, final long addressHigh, final long addressLow)
    {
        return isSet(iface) && high[iface] == addressHigh && low[iface] == addressLow;
    }

    /**
     * Interface towards {@code address}: a network's prefix, the host link's, else the uplink if it has IPv6 (default
     * route), else {@link Interfaces#NONE}.
     */
    int egressFor(final long addressHigh, final long addressLow)
    {
        for (final int leg : legs)
        {
            if (inPrefix(leg, addressHigh, addressLow))
            {
                return leg;
            }
        }
        if (isSet(Interfaces.HOST) && inPrefix(Interfaces.HOST, addressHigh, addressLow))
        {
            return Interfaces.HOST;
        }
        return isSet(Interfaces.UPLINK) ? Interfaces.UPLINK : Interfaces.NONE;
    }

    /** Whether the uplink's next hop towards {@code address} is its gateway (off the uplink's prefix, one set). */
    boolean viaUplinkGateway(final long addressHigh, final long addressLow)
    {
        return (uplinkGatewayHigh | uplinkGatewayLow) != 0 && !inPrefix(Interfaces.UPLINK, addressHigh, addressLow);
    }

    long uplinkGatewayHigh()
    {
        return uplinkGatewayHigh;
    }

    long uplinkGatewayLow()
    {
        return uplinkGatewayLow;
    }

    void uplinkGateway(final long high, final long low)
    {
        uplinkGatewayHigh = high;
        uplinkGatewayLow = low;
    }

    long maskHigh(final int iface)
    {
        return maskHigh[iface];
    }

    long maskLow(final int iface)
    {
        return maskLow[iface];
    }

    boolean inPrefix(final int iface, final long addressHigh, final long addressLow)
    {
        return ((addressHigh ^ high[iface]) & maskHigh[iface]) == 0 && ((addressLow ^ low[iface]) & maskLow[iface]) == 0;
    }

    // ------------------------------------------------------------------------------------------------ configuration

    static void check(final long addressHigh, final long addressLow, final int prefix)
    {
        if (prefix < 1 || prefix > 128)
        {
            throw new IllegalArgumentException("IPv6 prefix length " + prefix + " not in [1, 128]");
        }
        if (Ipv6Addresses.isMulticast(addressHigh) || Ipv6Addresses.isLinkLocal(addressHigh) ||
            Ipv6Addresses.isUnspecified(addressHigh, addressLow) || Ipv6Addresses.isLoopback(addressHigh, addressLow))
        {
            throw new IllegalArgumentException("not a global or unique-local unicast address: " +
                Ipv6Addresses.format(addressHigh, addressLow));
        }
    }

    /** A leg's IPv6 gateway; its port and MAC are attached in {@link Interfaces} first. */
    void addLeg(final int bridgeDomainId, final long addressHigh, final long addressLow, final int prefix)
    {
        set(bridgeDomainId, addressHigh, addressLow, prefix);
        final int[] newLegs = Arrays.copyOf(legs, legs.length + 1);
        newLegs[legs.length] = bridgeDomainId;
        legs = newLegs;
    }

    void removeLeg(final int bridgeDomainId)
    {
        legs = Arrays.stream(legs).filter(l -> l != bridgeDomainId).toArray();
        clear(bridgeDomainId);
    }

    void set(final int iface, final long addressHigh, final long addressLow, final int prefix)
    {
        check(addressHigh, addressLow, prefix);
        high[iface] = addressHigh;
        low[iface] = addressLow;
        prefixLength[iface] = prefix;
        maskHigh[iface] = Ipv6Addresses.maskHigh(prefix);
        maskLow[iface] = Ipv6Addresses.maskLow(prefix);
        linkLocalLow[iface] = Ipv6Addresses.linkLocalLow(interfaces.mac(iface));
    }

    void clear(final int iface)
    {
        high[iface] = 0;
        low[iface] = 0;
        prefixLength[iface] = 0;
        maskHigh[iface] = 0;
        maskLow[iface] = 0;
        linkLocalLow[iface] = 0;
    }
}
