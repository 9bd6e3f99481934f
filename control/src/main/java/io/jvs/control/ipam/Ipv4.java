package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;
import io.jvs.dataplane.l3.Ipv4Addresses;

/**
 * {@link Ipv4Addresses} at the control layer's edge: text that is not an address is the caller's error
 * ({@link JvsException#invalid}, a 400 at the API) rather than an IllegalArgumentException.
 */
public final class Ipv4
{
    private Ipv4()
    {
    }

    /** Parses dotted-quad decimal ("10.0.0.1"): exactly four octets 0..255, no signs, spaces or leading zeros. */
    public static int parse(final String text)
    {
        try
        {
            return Ipv4Addresses.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw JvsException.invalid(ex.getMessage());
        }
    }

    /** @return the address, or -1 when text is not a valid address (255.255.255.255 also gives -1). */
    static int tryParse(final String text)
    {
        return Ipv4Addresses.tryParse(text);
    }

    public static String format(final int address)
    {
        return Ipv4Addresses.format(address);
    }

    /** Docker's MAC for a container address: 02:42 followed by the four address bytes. */
    public static String dockerMac(final int address)
    {
        return Ipv4Addresses.dockerMac(address);
    }
}
