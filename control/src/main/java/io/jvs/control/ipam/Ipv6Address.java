package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv6 address as two longs (the high and low 64 bits, network order), ordered as unsigned 128-bit numbers.
 * Text is parsed by the JDK (only after a character check, so nothing ever turns into a DNS lookup) and formatted
 * as RFC 5952 says (lower case, the longest run of two or more zero groups as "::"), as Docker shows addresses.
 */
public record Ipv6Address(long high, long low) implements Comparable<Ipv6Address>
{
    public static final int BITS = 128;
    public static final int BYTES = 16;
    private static final int GROUPS = 8;
    private static final int GROUP_BITS = 16;

    /** Parses "2001:db8::1" (an embedded IPv4 tail "::ffff:10.0.0.1" included); no zone ids, no brackets. */
    public static Ipv6Address parse(final String text)
    {
        final Ipv6Address address = tryParse(text);
        if (address == null)
        {
            throw JvsException.invalid("invalid IPv6 address: " + text);
        }
        return address;
    }

    /** @return the address, or null when {@code text} is not an IPv6 address. */
    public static Ipv6Address tryParse(final String text)
    {
        if (text == null || text.indexOf(':') < 0 || !text.chars().allMatch(Ipv6Address::isAddressChar))
        {
            return null;
        }
        try
        {
            final InetAddress parsed = InetAddress.getByName(text); // a literal: no lookup
            final byte[] bytes = parsed.getAddress();
            if (parsed instanceof Inet6Address)
            {
                return of(bytes);
            }
            // the JDK turns ::ffff:a.b.c.d into an IPv4 address: map it back
            return new Ipv6Address(0, 0xffff_0000_0000L | Integer.toUnsignedLong(
                (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | bytes[3] & 0xff));
        }
        catch (final UnknownHostException ex)
        {
            return null;
        }
    }

    private static boolean isAddressChar(final int c)
    {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
    }

    /** From 16 bytes in network order. */
    public static Ipv6Address of(final byte[] bytes)
    {
        if (bytes.length != BYTES)
        {
            throw new IllegalArgumentException("an IPv6 address has 16 bytes, not " + bytes.length);
        }
        long high = 0;
        long low = 0;
        for (int i = 0; i < 8; i++)
        {
            high = high << 8 | (bytes[i] & 0xff);
            low = low << 8 | (bytes[i + 8] & 0xff);
        }
        return new Ipv6Address(high, low);
    }

    /** 16 bytes in network order (netlink attributes, DNS AAAA records). */
    public byte[] toBytes()
    {
        final byte[] bytes = new byte[BYTES];
        for (int i = 0; i < 8; i++)
        {
            bytes[i] = (byte)(high >>> (56 - 8 * i));
            bytes[i + 8] = (byte)(low >>> (56 - 8 * i));
        }
        return bytes;
    }

    /**
     * A MAC for an IPv6-only endpoint, in the style of Docker's for IPv4 ({@code 02:42} and the address's last four
     * bytes): unique on a network whose addresses differ in their low 32 bits, as sequential ones do.
     */
    public String dockerMac()
    {
        return String.format("02:42:%02x:%02x:%02x:%02x", (low >>> 24) & 0xff, (low >>> 16) & 0xff,
            (low >>> 8) & 0xff, low & 0xff);
    }

    /** This address plus {@code n} (n >= 0), carrying into the high half; wraps past ffff:...:ffff. */
    public Ipv6Address plus(final long n)
    {
        final long sum = low + n;
        final boolean carry = Long.compareUnsigned(sum, low) < 0;
        return new Ipv6Address(carry ? high + 1 : high, sum);
    }

    /** The address with the low {@code 128 - prefix} bits cleared. */
    public Ipv6Address masked(final int prefix)
    {
        return new Ipv6Address(high & highMask(prefix), low & lowMask(prefix));
    }

    /** The address with the low {@code 128 - prefix} bits set. */
    public Ipv6Address lastOf(final int prefix)
    {
        return new Ipv6Address(high | ~highMask(prefix), low | ~lowMask(prefix));
    }

    static long highMask(final int prefix)
    {
        return prefix == 0 ? 0 : prefix >= 64 ? -1L : -1L << (64 - prefix);
    }

    static long lowMask(final int prefix)
    {
        return prefix <= 64 ? 0 : -1L << (128 - prefix);
    }

    @Override
    public int compareTo(final Ipv6Address other)
    {
        final int byHigh = Long.compareUnsigned(high, other.high);
        return byHigh != 0 ? byHigh : Long.compareUnsigned(low, other.low);
    }

    /** RFC 5952 text: "2001:db8::1". */
    @Override
    public String toString()
    {
        final int[] groups = new int[GROUPS];
        for (int i = 0; i < 4; i++)
        {
            groups[i] = (int)(high >>> (48 - GROUP_BITS * i)) & 0xffff;
            groups[i + 4] = (int)(low >>> (48 - GROUP_BITS * i)) & 0xffff;
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is never shortened
        for (int i = 0; i < GROUPS; i++)
        {
            int j = i;
            while (j < GROUPS && groups[j] == 0)
            {
                j++;
            }
            if (j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }
            i = Math.max(i, j);
        }
        final StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < GROUPS; i++)
        {
            if (i == bestStart)
            {
                text.append(i == 0 ? "::" : ":");
                i += bestLength - 1;
                continue;
            }
            text.append(Integer.toHexString(groups[i]));
            if (i < GROUPS - 1)
            {
                text.append(':');
            }
        }
        return text.toString();
    }
}
