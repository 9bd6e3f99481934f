package io.jvs.dataplane.l3;

/** IPv4 addresses as big-endian ints (10.0.0.1 = 0x0A000001): text conversion for the control path. */
public final class Ipv4Addresses
{
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
        if (null == text)
        {
            throw new IllegalArgumentException("IPv4 address is null");
        }
        final String[] parts = text.trim().split("\\.", -1);
        if (parts.length != 4)
        {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int ip = 0;
        for (final String part : parts)
        {
            final int octet;
            try
            {
                octet = Integer.parseInt(part);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            if (part.isEmpty() || octet < 0 || octet > 255)
            {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            ip = (ip << 8) | octet;
        }
        return ip;
    }
}
