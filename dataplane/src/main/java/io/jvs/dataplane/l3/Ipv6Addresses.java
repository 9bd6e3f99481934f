package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.MacAddress;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IPv6 addresses as two {@code long}s, high (first 8 bytes, network order) and low: the router keeps and compares
 * them this way, without objects. Parsing and formatting are control-path helpers (they allocate).
 */
public final class Ipv6Addresses
{
    public static final int LENGTH = 16;
    /** fe80::/64, the link-local prefix (RFC 4291 2.5.6); the router's interface identifiers are EUI-64. */
    public static final long LINK_LOCAL_HIGH = 0xFE80_0000_0000_0000L;
    private static final long LINK_LOCAL_MASK = 0xFFC0_0000_0000_0000L;
    /** ff00::/8. */
    private static final int MULTICAST_FIRST_BYTE = 0xFF;
    /** ff02::1:ff00:0/104 (RFC 4291 2.7.1): the low 24 bits of the address solicited. */
    public static final long SOLICITED_NODE_HIGH = 0xFF02_0000_0000_0000L;
    public static final long SOLICITED_NODE_LOW = 0x0000_0001_FF00_0000L;
    private static final long SOLICITED_NODE_LOW_MASK = 0xFFFF_FFFF_FF00_0000L;
    private static final long LOW_24_BITS = 0x00FF_FFFFL;
    /** ff02::1 all nodes, ff02::2 all routers (link scope). */
    public static final long ALL_NODES_LOW = 1;
    public static final long ALL_ROUTERS_LOW = 2;
    public static final long LINK_SCOPE_MULTICAST_HIGH = 0xFF02_0000_0000_0000L;
    /** 33:33 + the group's low 32 bits (RFC 2464 7). */
    private static final long MULTICAST_MAC_PREFIX = 0x3333_0000_0000L;
    private static final long MULTICAST_MAC_PREFIX_HIGH16 = 0x3333;
    /** EUI-64: the universal/local bit of the first MAC octet, flipped, and ff:fe in the middle. */
    private static final long EUI64_UL_BIT = 0x0200_0000_0000_0000L;
    private static final long EUI64_FFFE = 0x0000_00FF_FE00_0000L;

    private Ipv6Addresses()
    {
    }

    public static boolean isMulticast(final long high)
    {
        return (high >>> 56) == MULTICAST_FIRST_BYTE;
    }

    public static boolean isLinkLocal(final long high)
    {
        return (high & LINK_LOCAL_MASK) == LINK_LOCAL_HIGH;
    }

    public static boolean isUnspecified(final long high, final long low)
    {
        return (high | low) == 0;
    }

    /** ::1 */
    public static boolean isLoopback(final long high, final long low)
    {
        return high == 0 && low == 1;
    }

    /** A source the router may answer: not ::, not ::1, not multicast. */
    public static boolean isHostSource(final long high, final long low)
    {
        return !isMulticast(high) && !isUnspecified(high, low) && !isLoopback(high, low);
    }

    /** The solicited-node group's low half for {@code low} (the high half is {@link #SOLICITED_NODE_HIGH}). */
    public static long solicitedNodeLow(final long low)
    {
        return SOLICITED_NODE_LOW | (low & LOW_24_BITS);
    }

    /** Whether {@code high:low} is some solicited-node group, and which low 24 bits it asks for in {@code low}. */
    public static boolean isSolicitedNode(final long high, final long low)
    {
        return high == SOLICITED_NODE_HIGH && (low & SOLICITED_NODE_LOW_MASK) == SOLICITED_NODE_LOW;
    }

    /** The Ethernet address of an IPv6 multicast group. */
    public static long multicastMac(final long low)
    {
        return MULTICAST_MAC_PREFIX | (low & 0xFFFF_FFFFL);
    }

    /** A 33:33:xx:xx:xx:xx destination (any IPv6 multicast group). */
    public static boolean isMulticastMac(final long mac)
    {
        return (mac >>> 32) == MULTICAST_MAC_PREFIX_HIGH16;
    }

    /** The low half of the link-local address fe80::/64 + EUI-64 of {@code mac} (RFC 4291 appendix A). */
    public static long linkLocalLow(final long mac)
    {
        return (((mac >>> 24) & 0xFF_FFFFL) << 40 ^ EUI64_UL_BIT) | EUI64_FFFE | (mac & LOW_24_BITS);
    }

    /** High half of a /{@code prefixLength} mask (1..128). */
    public static long maskHigh(final int prefixLength)
    {
        return prefixLength >= 64 ? -1L : prefixLength == 0 ? 0 : -1L << (64 - prefixLength);
    }

    public static long maskLow(final int prefixLength)
    {
        return prefixLength <= 64 ? 0 : prefixLength == 128 ? -1L : -1L << (128 - prefixLength);
    }

    /** Parses an IPv6 literal (control path). @return the 16 bytes. */
    public static byte[] parse(final String text)
    {
        if (null == text || text.indexOf(':') < 0 || text.indexOf('%') >= 0 || text.indexOf('/') >= 0)
        {
            throw new IllegalArgumentException("not an IPv6 address: " + text);
        }
        try
        {
            final InetAddress address = InetAddress.getByName(text); // a literal: no lookup
            if (address instanceof Inet6Address)
            {
                return address.getAddress();
            }
            // "::ffff:a.b.c.d" comes back as an Inet4Address: a mapped IPv4 address is no router address.
            throw new IllegalArgumentException("not an IPv6 address: " + text);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("not an IPv6 address: " + text, ex);
        }
    }

    public static long high(final byte[] address)
    {
        return half(address, 0);
    }

    public static long low(final byte[] address)
    {
        return half(address, 8);
    }

    private static long half(final byte[] address, final int from)
    {
        long v = 0;
        for (int i = from; i < from + 8; i++)
        {
            v = (v << 8) | (address[i] & 0xFF);
        }
        return v;
    }

    /** Canonical text (RFC 5952 as the JDK writes it; control path). */
    public static String format(final long high, final long low)
    {
        final byte[] bytes = new byte[LENGTH];
        for (int i = 0; i < 8; i++)
        {
            bytes[i] = (byte)(high >>> (56 - 8 * i));
            bytes[8 + i] = (byte)(low >>> (56 - 8 * i));
        }
        try
        {
            return compress(InetAddress.getByAddress(bytes).getHostAddress());
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** The JDK writes every group ("fd00:0:0:0:0:0:0:1"): the longest run of two or more zero groups becomes "::". */
    private static String compress(final String full)
    {
        final String[] groups = full.split(":");
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < groups.length; )
        {
            int j = i;
            while (j < groups.length && "0".equals(groups[j]))
            {
                j++;
            }
            if (j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        if (bestStart < 0)
        {
            return full;
        }
        final String head = String.join(":", java.util.Arrays.copyOfRange(groups, 0, bestStart));
        final String tail = String.join(":", java.util.Arrays.copyOfRange(groups, bestStart + bestLength, groups.length));
        return head + "::" + tail;
    }

    /** "fe80::..." of the router MAC (control path, for views). */
    public static String linkLocal(final long mac)
    {
        if (!MacAddress.isValidSource(mac))
        {
            throw new IllegalArgumentException("not a unicast MAC: " + MacAddress.toString(mac));
        }
        return format(LINK_LOCAL_HIGH, linkLocalLow(mac));
    }
}
