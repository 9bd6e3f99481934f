package io.jvs.vxlan;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** IPv4 addresses as {@code int}s in network order value (10.0.0.1 = 0x0A000001); conversions for the control path. */
public final class Ipv4
{
    private Ipv4()
    {
    }

    public static int toInt(final Inet4Address address)
    {
        final byte[] b = address.getAddress();
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }

    /** Parses a dotted quad (no DNS). */
    public static int parse(final String dotted)
    {
        final String[] parts = dotted.trim().split("\\.");
        if (parts.length != 4)
        {
            throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        }
        int value = 0;
        for (final String part : parts)
        {
            final int octet;
            try
            {
                octet = Integer.parseInt(part);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted, ex);
            }
            if (octet < 0 || octet > 255)
            {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    public static Inet4Address toAddress(final int ip)
    {
        try
        {
            return (Inet4Address)InetAddress.getByAddress(
                new byte[]{(byte)(ip >>> 24), (byte)(ip >>> 16), (byte)(ip >>> 8), (byte)ip});
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    public static String toString(final int ip)
    {
        return (ip >>> 24) + "." + ((ip >>> 16) & 0xFF) + "." + ((ip >>> 8) & 0xFF) + "." + (ip & 0xFF);
    }

    /** True when both addresses are in the same /prefixLength network. */
    public static boolean sameNetwork(final int a, final int b, final int prefixLength)
    {
        final int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        return (a & mask) == (b & mask);
    }
}
