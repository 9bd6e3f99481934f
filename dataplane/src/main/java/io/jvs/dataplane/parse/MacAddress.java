package io.jvs.dataplane.parse;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * A 48-bit MAC address carried in the low bits of a {@code long}, first octet most significant: 00:11:22:33:44:55
 * is {@code 0x0000_0011_2233_4455L}. The group (multicast) bit is the least significant bit of the first octet.
 */
public final class MacAddress
{
    public static final int LENGTH = 6;
    public static final long MASK = 0xFFFF_FFFF_FFFFL;
    public static final long BROADCAST = MASK;
    /** I/G bit: set for multicast and broadcast. */
    public static final long GROUP_BIT = 0x0100_0000_0000L;

    private MacAddress()
    {
    }

    /** Reads 6 bytes at index; the caller has checked they are inside the frame. */
    public static long read(final DirectBuffer buffer, final int index)
    {
        return ((long)(buffer.getShort(index, ByteOrder.BIG_ENDIAN) & 0xFFFF) << 32) |
            (buffer.getInt(index + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL);
    }

    /** The first of two adjacent addresses (an Ethernet header's destination), 8 bytes readable, in one read. */
    public static long readFirst(final DirectBuffer buffer, final int index)
    {
        return buffer.getLong(index, ByteOrder.BIG_ENDIAN) >>> 16;
    }

    public static void write(final MutableDirectBuffer buffer, final int index, final long mac)
    {
        buffer.putShort(index, (short)(mac >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(index + 2, (int)mac, ByteOrder.BIG_ENDIAN);
    }

    /** Destination then source (an Ethernet header's first 12 bytes) in two writes instead of four. */
    public static void writePair(final MutableDirectBuffer buffer, final int index, final long first,
        final long second)
    {
        buffer.putLong(index, (first << 16) | ((second >>> 32) & 0xFFFF), ByteOrder.BIG_ENDIAN);
        buffer.putInt(index + 8, (int)second, ByteOrder.BIG_ENDIAN);
    }

    /** True for multicast and broadcast addresses. */
    public static boolean isMulticast(final long mac)
    {
        return (mac & GROUP_BIT) != 0;
    }

    public static boolean isBroadcast(final long mac)
    {
        return (mac & MASK) == BROADCAST;
    }

    /** A valid source: unicast and not all zeros. */
    public static boolean isValidSource(final long mac)
    {
        return (mac & GROUP_BIT) == 0 && (mac & MASK) != 0;
    }

    /** "aa:bb:cc:dd:ee:ff" (allocates; control path only). */
    public static String toString(final long mac)
    {
        final StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            final int octet = (int)(mac >>> shift) & 0xFF;
            sb.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
            if (shift > 0)
            {
                sb.append(':');
            }
        }
        return sb.toString();
    }

    /** Parses "aa:bb:cc:dd:ee:ff" or "aa-bb-..." (case-insensitive). */
    public static long parse(final String text)
    {
        if (null == text || text.length() != 17)
        {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        long mac = 0;
        for (int i = 0; i < 6; i++)
        {
            final int hi = Character.digit(text.charAt(i * 3), 16);
            final int lo = Character.digit(text.charAt(i * 3 + 1), 16);
            if (hi < 0 || lo < 0 || (i < 5 && text.charAt(i * 3 + 2) != ':' && text.charAt(i * 3 + 2) != '-'))
            {
                throw new IllegalArgumentException("not a MAC address: " + text);
            }
            mac = (mac << 8) | (hi << 4) | lo;
        }
        return mac;
    }
}
