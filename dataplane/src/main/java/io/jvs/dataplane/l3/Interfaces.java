package io.jvs.dataplane.l3;

import io.jvs.dataplane.engine.SwitchCounters;
import io.jvs.dataplane.parse.MacAddress;

import java.util.Arrays;

/**
 * The router's interfaces and routes: per interface its port, MAC, address, subnet, MTU; the uplink's gateway.
 * Read per packet on the forwarding thread (plain arrays, no allocation); changed by commands on that thread.
 * <pre>
 *   0                  UPLINK  routed port (AF_PACKET on an outside interface)
 *   1 .. 4095          LEG     one per bridge domain with a gateway (index = bridge domain id)
 *   4096               HOST    routed port (a TAP in the host namespace)
 * </pre>
 * Routes: each leg's subnet, then the host link's subnet, then the uplink (default route).
 */
final class Interfaces
{
    static final int UPLINK = 0;
    static final int HOST = SwitchCounters.MAX_BRIDGE_DOMAINS;
    static final int COUNT = HOST + 1;
    /** Egress MTU of an interface until set from the device ({@link #setMtu}); legs keep it (Docker's default). */
    static final int DEFAULT_MTU = 1500;
    /** RFC 791: every IPv4 module must forward 68 bytes unfragmented. */
    static final int MIN_MTU = 68;
    /** No interface, in {@link #egressFor}'s answer. */
    static final int NONE = -1;
    /** Address families configured on an interface (a leg may have either or both; the port stays while one does). */
    static final int FAMILY_IPV4 = 1;
    static final int FAMILY_IPV6 = 2;

    private final int[] port = new int[COUNT];
    private final long[] mac = new long[COUNT];
    private final int[] ip = new int[COUNT];
    private final int[] mask = new int[COUNT];
    private final boolean[] internal = new boolean[COUNT];
    private final int[] mtu = new int[COUNT];
    private final int[] families = new int[COUNT];
    private int[] legs = new int[0];
    private int uplinkGateway;
    /** Interface + 1 of each port id, 0 for ports that are not the router's. */
    private final int[] portIface = new int[SwitchCounters.MAX_PORTS];

    static boolean isLeg(final int iface)
    {
        return iface > UPLINK && iface < HOST;
    }

    /** The interface whose port is {@code portId}, or {@link #NONE}. */
    int ofPort(final int portId)
    {
        return portIface[portId] - 1;
    }

    boolean isSet(final int iface)
    {
        return port[iface] != 0;
    }

    /** Whether the interface has an address of {@code family} ({@link #FAMILY_IPV4}, {@link #FAMILY_IPV6}). */
    boolean has(final int iface, final int family)
    {
        return (families[iface] & family) != 0;
    }

    int port(final int iface)
    {
        return port[iface];
    }

    long mac(final int iface)
    {
        return mac[iface];
    }

    int ip(final int iface)
    {
        return ip[iface];
    }

    int mask(final int iface)
    {
        return mask[iface];
    }

    boolean isInternal(final int iface)
    {
        return internal[iface];
    }

    int mtu(final int iface)
    {
        return mtu[iface];
    }

    /** The uplink's or the host link's address, where ports are published. */
    boolean isPublicAddress(final int address)
    {
        return (port[UPLINK] != 0 && address == ip[UPLINK]) || (port[HOST] != 0 && address == ip[HOST]);
    }

    boolean isRouterAddress(final int address)
    {
        if (isPublicAddress(address))
        {
            return true;
        }
        for (final int leg : legs)
        {
            if (ip[leg] == address)
            {
                return true;
            }
        }
        return false;
    }

    /** Interface towards {@code address}: a network's subnet, the host link, else the uplink (default route). */
    int egressFor(final int address)
    {
        for (final int leg : legs)
        {
            if ((address & mask[leg]) == (ip[leg] & mask[leg]))
            {
                return leg;
            }
        }
        if (port[HOST] != 0 && (address & mask[HOST]) == (ip[HOST] & mask[HOST]))
        {
            return HOST;
        }
        return port[UPLINK] != 0 ? UPLINK : NONE;
    }

    /** The uplink's gateway for destinations off the uplink's subnet, else the destination itself. */
    int nextHop(final int egress, final int dst)
    {
        return egress == UPLINK && uplinkGateway != 0 &&
            (dst & mask[UPLINK]) != (ip[UPLINK] & mask[UPLINK]) ? uplinkGateway : dst;
    }

    /** The directed broadcast of one of the router's subnets. */
    boolean isSubnetBroadcast(final int address)
    {
        if (isSubnetBroadcast(UPLINK, address) || isSubnetBroadcast(HOST, address))
        {
            return true;
        }
        for (final int leg : legs)
        {
            if (isSubnetBroadcast(leg, address))
            {
                return true;
            }
        }
        return false;
    }

    /** The directed broadcast of the interface's subnet (none on /31 and /32 links, RFC 3021). */
    private boolean isSubnetBroadcast(final int iface, final int address)
    {
        final int m = mask[iface];
        return (families[iface] & FAMILY_IPV4) != 0 && (m & 0b10) == 0 && (address | m) == -1 && (address & m) == (ip[iface] & m);
    }

    // ------------------------------------------------------------------------------------------------ configuration

    /**
     * Checks a leg of {@code family} can be added, before anything changes: the domain has no gateway of that family,
     * and a leg it has already (the other family's) is on the same port with the same MAC.
     */
    void checkNewLeg(final int bridgeDomainId, final int family, final int legPort, final long legMac)
    {
        if (bridgeDomainId <= 0 || bridgeDomainId >= HOST)
        {
            throw new IllegalArgumentException("bridge domain " + bridgeDomainId);
        }
        if ((families[bridgeDomainId] & family) != 0)
        {
            throw new IllegalArgumentException("bridge domain " + bridgeDomainId + " already has " +
                (family == FAMILY_IPV4 ? "a gateway" : "an IPv6 gateway"));
        }
        if (port[bridgeDomainId] != 0 && (port[bridgeDomainId] != legPort || mac[bridgeDomainId] != legMac))
        {
            throw new IllegalArgumentException("bridge domain " + bridgeDomainId + " has its leg on port " +
                port[bridgeDomainId] + " " + MacAddress.toString(mac[bridgeDomainId]));
        }
    }

    void addLeg(final int bridgeDomainId, final int legPort, final long legMac, final int legIp,
        final int prefixLength, final boolean isInternal)
    {
        checkNewLeg(bridgeDomainId, FAMILY_IPV4, legPort, legMac);
        checkPrefix(prefixLength);
        attach(bridgeDomainId, legPort, legMac, FAMILY_IPV4);
        address(bridgeDomainId, legIp, prefixLength);
        internal[bridgeDomainId] = isInternal;
        final int[] newLegs = Arrays.copyOf(legs, legs.length + 1);
        newLegs[legs.length] = bridgeDomainId;
        legs = newLegs;
    }

    /** Checks the bridge domain has a gateway, before anything changes. */
    void checkLeg(final int bridgeDomainId)
    {
        if (bridgeDomainId <= 0 || bridgeDomainId >= HOST || (families[bridgeDomainId] & FAMILY_IPV4) == 0)
        {
            throw new IllegalArgumentException("bridge domain " + bridgeDomainId + " has no gateway");
        }
    }

    void removeLeg(final int bridgeDomainId)
    {
        checkLeg(bridgeDomainId);
        legs = Arrays.stream(legs).filter(l -> l != bridgeDomainId).toArray();
        ip[bridgeDomainId] = 0;
        mask[bridgeDomainId] = 0;
        internal[bridgeDomainId] = false;
        detach(bridgeDomainId, FAMILY_IPV4);
    }

    /** The leg's port and MAC for its IPv6 gateway (shared with its IPv4 gateway if it has one). */
    void attachIpv6Leg(final int bridgeDomainId, final int legPort, final long legMac)
    {
        checkNewLeg(bridgeDomainId, FAMILY_IPV6, legPort, legMac);
        attach(bridgeDomainId, legPort, legMac, FAMILY_IPV6);
    }

    /** The host port or the uplink gets IPv6 on the port it has already. */
    void addIpv6(final int iface)
    {
        if (port[iface] == 0 || (families[iface] & FAMILY_IPV6) != 0)
        {
            throw new IllegalArgumentException("interface " + iface + (port[iface] == 0 ? " is not set" :
                " has IPv6 already"));
        }
        families[iface] |= FAMILY_IPV6;
    }

    /** IPv6 gone from the interface; a leg left with no family is removed. */
    void removeIpv6(final int iface)
    {
        if ((families[iface] & FAMILY_IPV6) == 0)
        {
            throw new IllegalArgumentException("interface " + iface + " has no IPv6");
        }
        detach(iface, FAMILY_IPV6);
    }

    void setUplink(final int uplinkPort, final long uplinkMac, final int uplinkIp, final int prefixLength,
        final int gateway)
    {
        if (port[UPLINK] != 0)
        {
            throw new IllegalArgumentException("an uplink is already set");
        }
        set(UPLINK, uplinkPort, uplinkMac, uplinkIp, prefixLength);
        uplinkGateway = gateway;
    }

    void checkUplink()
    {
        if (port[UPLINK] == 0)
        {
            throw new IllegalArgumentException("no uplink");
        }
    }

    void clearUplink()
    {
        checkUplink();
        clear(UPLINK);
        uplinkGateway = 0;
    }

    void setHost(final int hostPort, final long hostMac, final int hostIp, final int prefixLength)
    {
        if (port[HOST] != 0)
        {
            throw new IllegalArgumentException("a host port is already set");
        }
        set(HOST, hostPort, hostMac, hostIp, prefixLength);
    }

    void checkHost()
    {
        if (port[HOST] == 0)
        {
            throw new IllegalArgumentException("no host port");
        }
    }

    void clearHost()
    {
        checkHost();
        clear(HOST);
    }

    void setMtu(final int iface, final int newMtu)
    {
        if (iface < 0 || iface >= COUNT || port[iface] == 0)
        {
            throw new IllegalArgumentException("interface " + iface + " is not set");
        }
        if (newMtu < MIN_MTU || newMtu > 0xFFFF)
        {
            throw new IllegalArgumentException("mtu=" + newMtu);
        }
        mtu[iface] = newMtu;
    }

    private void set(final int iface, final int ifPort, final long ifMac, final int ifIp, final int prefixLength)
    {
        checkPrefix(prefixLength);
        attach(iface, ifPort, ifMac, FAMILY_IPV4);
        address(iface, ifIp, prefixLength);
    }

    private static void checkPrefix(final int prefixLength)
    {
        if (prefixLength < 1 || prefixLength > 32)
        {
            throw new IllegalArgumentException("prefix length " + prefixLength);
        }
    }

    private void address(final int iface, final int ifIp, final int prefixLength)
    {
        ip[iface] = ifIp;
        mask[iface] = (int)(0xFFFF_FFFFL << (32 - prefixLength));
    }

    /** The port and MAC, for a family; the first family attaches them, the last one's removal clears them. */
    private void attach(final int iface, final int ifPort, final long ifMac, final int family)
    {
        if (ifPort <= 0 || ifPort >= SwitchCounters.MAX_PORTS)
        {
            throw new IllegalArgumentException("port " + ifPort);
        }
        if (!MacAddress.isValidSource(ifMac))
        {
            throw new IllegalArgumentException("router MAC must be unicast: " + MacAddress.toString(ifMac));
        }
        if (port[iface] == 0)
        {
            port[iface] = ifPort;
            mac[iface] = ifMac;
            mtu[iface] = DEFAULT_MTU;
            portIface[ifPort] = iface + 1;
        }
        families[iface] |= family;
    }

    private void detach(final int iface, final int family)
    {
        families[iface] &= ~family;
        if (families[iface] == 0)
        {
            clear(iface);
        }
    }

    private void clear(final int iface)
    {
        portIface[port[iface]] = 0;
        port[iface] = 0;
        mac[iface] = 0;
        ip[iface] = 0;
        mask[iface] = 0;
        internal[iface] = false;
        mtu[iface] = 0;
        families[iface] = 0;
    }
}
