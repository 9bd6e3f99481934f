package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;

/** IPv4 addresses as an int in network order (first octet in the high byte), parsed strictly. */
public final class Ipv4
{
    private Ipv4()
    {
    }

    /** Parses dotted-quad decimal ("10.0.0.1"): exactly four octets 0..255, no signs, spaces or leading zeros. */
    public static int parse(final String text)
    {
        final int address = tryParse(text);
        if (address == -1 && !"255.255.255.255".equals(text))
        {
            throw JvsException.invalid("invalid IPv4 address: " + text);
        }
        return address;
    }

    /** @return the address, or -1 when text is not a valid address (255.255.255.255 also gives -1). */
    static int tryParse(final String text)
    {
        if (text == null || text.isEmpty() || text.length() > 15)
        {
            return -1;
        }
        final String[] parts = text.split("\\.", -1);
        if (parts.length != 4)
        {
            return -1;
        }
        int address = 0;
        for (final String part : parts)
        {
            if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0'))
            {
                return -1;
            }
            int octet = 0;
            for (int i = 0; i < part.length(); i++)
            {
                final char c = part.charAt(i);
                if (c < '0' || c > '9')
                {
                    return -1;
                }
                octet = octet * 10 + (c - '0');
            }
            if (octet > 255)
            {
                return -1;
            }
            address = (address << 8) | octet;
        }
        return address;
    }

    public static String format(final int address)
    {
        return ((address >>> 24) & 0xFF) + "." + ((address >>> 16) & 0xFF) + "." +
            ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    /** Docker's MAC for a container address: 02:42 followed by the four address bytes. */
    public static String dockerMac(final int address)
    {
        return String.format("02:42:%02x:%02x:%02x:%02x",
            (address >>> 24) & 0xFF, (address >>> 16) & 0xFF, (address >>> 8) & 0xFF, address & 0xFF);
    }
}
