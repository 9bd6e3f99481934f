package io.jvs.dataplane.l3;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IPv4 addresses as big-endian ints (10.0.0.1 = 0x0A000001), the one conversion to and from text and
 * {@link Inet4Address} for every module's control path. Text is parsed strictly: four decimal octets 0..255, no
 * signs, spaces or leading zeros (an address with a leading zero is octal to some tools and decimal to others).
 */
public final class Ipv4Addresses
{
    private static final int OCTETS = 4;
    private static final int MAX_TEXT_LENGTH = 15;
    private static final int MAX_OCTET = 255;
    private static final int BITS = 32;
    private static final int INVALID = -1;

    private Ipv4Addresses()
    {
    }

    public static String format(final int ip)
    {
        return (ip >>> 24) + "." + ((ip >>> 16) & 0xFF) + "." + ((ip >>> 8) & 0xFF) + "." + (ip & 0xFF);
    }

    /** Parses a dotted quad; throws IllegalArgumentException naming the text. */
    public static int parse(final String text)
    {
        final int ip = tryParse(text);
        if (ip == INVALID && !"255.255.255.255".equals(text))
        {
            throw new IllegalArgumentException("invalid IPv4 address: " + text);
        }
        return ip;
    }

    /** @return the address, or -1 when text is not a valid address (255.255.255.255 also gives -1). */
    public static int tryParse(final String text)
    {
        if (text == null || text.isEmpty() || text.length() > MAX_TEXT_LENGTH)
        {
            return INVALID;
        }
        final String[] parts = text.split("\\.", -1);
        if (parts.length != OCTETS)
        {
            return INVALID;
        }
        int ip = 0;
        for (final String part : parts)
        {
            if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0'))
            {
                return INVALID;
            }
            int octet = 0;
            for (int i = 0; i < part.length(); i++)
            {
                final char c = part.charAt(i);
                if (c < '0' || c > '9')
                {
                    return INVALID;
                }
                octet = octet * 10 + (c - '0');
            }
            if (octet > MAX_OCTET)
            {
                return INVALID;
            }
            ip = (ip << 8) | octet;
        }
        return ip;
    }

    /** Docker's MAC for a container address: 02:42 followed by the four address bytes. */
    public static String dockerMac(final int ip)
    {
        return String.format("02:42:%02x:%02x:%02x:%02x",
            (ip >>> 24) & 0xFF, (ip >>> 16) & 0xFF, (ip >>> 8) & 0xFF, ip & 0xFF);
    }

    public static int toInt(final Inet4Address address)
    {
        final byte[] b = address.getAddress();
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }

    public static Inet4Address toInetAddress(final int ip)
    {
        try
        {
            return (Inet4Address)InetAddress.getByAddress(
                new byte[]{(byte)(ip >>> 24), (byte)(ip >>> 16), (byte)(ip >>> 8), (byte)ip});
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex); // four bytes are always an address
        }
    }

    /** True when both addresses are in the same /prefixLength network. */
    public static boolean sameNetwork(final int a, final int b, final int prefixLength)
    {
        final int mask = prefixLength == 0 ? 0 : -1 << (BITS - prefixLength);
        return (a & mask) == (b & mask);
    }
}
