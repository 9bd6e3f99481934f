package io.jvs.vxlan;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071) over Agrona buffers, without allocation.
 * <p>
 * The one's-complement sum does not depend on byte order except for a final swap (RFC 1071 section 2(B)), so
 * {@link #sum} reads 8 bytes at a time in native (little-endian) order and {@link #fold} swaps once at the end.
 * A partial sum is a {@code long} of 32-bit pieces; sums of regions that each start at an even offset of the
 * checksummed data may simply be added before folding.
 */
public final class Checksum
{
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private Checksum()
    {
    }

    /** Native-order partial sum of {@code length} bytes at {@code offset} (treated as starting a 16-bit word). */
    public static long sum(final DirectBuffer buffer, final int offset, final int length)
    {
        long sum = 0;
        int i = offset;
        final int end = offset + length;
        final int longEnd = end - 7;
        while (i < longEnd)
        {
            final long v = buffer.getLong(i);
            sum += (v & 0xFFFF_FFFFL) + (v >>> 32);
            i += 8;
        }
        if (i + 4 <= end)
        {
            sum += buffer.getInt(i) & 0xFFFF_FFFFL;
            i += 4;
        }
        if (i + 2 <= end)
        {
            sum += buffer.getShort(i) & 0xFFFF;
            i += 2;
        }
        if (i < end)
        {
            // A lone last byte is the high-order byte of a zero-padded word in network order.
            final int b = buffer.getByte(i) & 0xFF;
            sum += LITTLE_ENDIAN ? b : b << 8;
        }
        return sum;
    }

    /** Adds a 16-bit value given in network order (e.g. a pseudo-header field) to a native-order sum. */
    public static long addNetworkShort(final long sum, final int value)
    {
        return sum + (LITTLE_ENDIAN ? Short.reverseBytes((short)value) & 0xFFFF : value & 0xFFFF);
    }

    /** Adds a 32-bit value given in network order (an IPv4 address) to a native-order sum. */
    public static long addNetworkInt(final long sum, final int value)
    {
        return addNetworkShort(addNetworkShort(sum, value >>> 16), value & 0xFFFF);
    }

    /** Folds a native-order sum to 16 bits and returns it in network order, not complemented. */
    public static int fold(final long sum)
    {
        long s = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
        s = (s & 0xFFFF_FFFFL) + (s >>> 32);
        int f = (int)((s & 0xFFFF) + (s >>> 16));
        f = (f & 0xFFFF) + (f >>> 16);
        f = (f & 0xFFFF) + (f >>> 16);
        return LITTLE_ENDIAN ? Short.reverseBytes((short)f) & 0xFFFF : f;
    }

    /** The checksum field value for data whose partial sum is {@code sum}: the complement of the fold. */
    public static int finish(final long sum)
    {
        return ~fold(sum) & 0xFFFF;
    }

    /**
     * Native-order partial sum of an IPv4 header without options (20 bytes): three loads instead of a loop, for the
     * per-packet check on receive.
     */
    public static long ipv4HeaderSum20(final DirectBuffer buffer, final int offset)
    {
        final long a = buffer.getLong(offset);
        final long b = buffer.getLong(offset + 8);
        return (a & 0xFFFF_FFFFL) + (a >>> 32) + (b & 0xFFFF_FFFFL) + (b >>> 32) +
            (buffer.getInt(offset + 16) & 0xFFFF_FFFFL);
    }

    /** IPv4 header checksum of {@code headerLength} bytes; the checksum field must hold 0 (or is being verified). */
    public static int ipv4Header(final DirectBuffer buffer, final int offset, final int headerLength)
    {
        return finish(sum(buffer, offset, headerLength));
    }

    /** Native-order sum of the TCP/UDP pseudo-header for IPv4 (RFC 793/768). */
    public static long ipv4PseudoHeader(final int source, final int destination, final int protocol, final int length)
    {
        long sum = addNetworkInt(0, source);
        sum = addNetworkInt(sum, destination);
        sum = addNetworkShort(sum, protocol);
        return addNetworkShort(sum, length);
    }

    /** Native-order sum of the IPv6 pseudo-header (RFC 8200 section 8.1); addresses at the given offsets. */
    public static long ipv6PseudoHeader(
        final DirectBuffer buffer, final int sourceOffset, final int destinationOffset, final int nextHeader,
        final int length)
    {
        long sum = sum(buffer, sourceOffset, 16) + sum(buffer, destinationOffset, 16);
        sum = addNetworkInt(sum, length);
        return addNetworkShort(sum, nextHeader);
    }
}
