package io.jvs.dataplane.l3;

import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624), over Agrona buffers, without allocation.
 * <p>
 * Two kinds of partial sum are used, and must not be mixed:
 * <ul>
 *   <li><b>network-order sums</b> ({@link #sum}, {@link #pseudoHeaderSum}, folded by {@link #fold}): every
 *       16-bit word as its big-endian value, so the folded sum is the checksum field value before complement;</li>
 *   <li><b>native-order sums</b> ({@link #sumNative}, {@link #addNetworkShort}, {@link #addNetworkInt},
 *       {@link #ipv4HeaderSum20}, {@link #ipv4PseudoHeader}, {@link #ipv6PseudoHeader}, folded by
 *       {@link #foldNative}): the one's-complement sum does not depend on byte order except for a final swap
 *       (RFC 1071 section 2(B)), so buffers are read 8 bytes at a time in native order and swapped once at the
 *       end. Sums of regions that each start at an even offset of the checksummed data may simply be added
 *       before folding.</li>
 * </ul>
 * Two kinds of checksum field are updated here:
 * <ul>
 *   <li>a finished field (IPv4 header, TCP/UDP/ICMP as sent on the wire) holds the one's complement of the
 *       sum: after changing a word m to m', HC' = ~(~HC + ~m + m') (RFC 1624, eqn. 3);</li>
 *   <li>a CHECKSUM_PARTIAL field (virtio_net_hdr NEEDS_CSUM) holds the plain, uncomplemented sum of the
 *       pseudo-header only; whoever finishes it adds the L4 bytes and complements. So only pseudo-header changes
 *       (addresses) are applied, uncomplemented: S' = S + ~m + m'; changes inside the L4 bytes (ports) must not
 *       be applied, they are summed when the checksum is finished.</li>
 * </ul>
 * Sums are accumulated in a long and folded to 16 bits at the end; all values are unsigned 16-bit in an int.
 */
public final class Checksum
{
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private Checksum()
    {
    }

    // ---- network-order sums -------------------------------------------------------------------------------------

    /**
     * Network-order partial sum of {@code length} bytes added to {@code initial}. Odd tail padded with 0. The bytes
     * are summed by {@link #sumNative}; the result is congruent to the word-by-word sum, which is all that
     * {@link #fold} needs.
     */
    public static long sum(final DirectBuffer buffer, final int offset, final int length, final long initial)
    {
        return initial + foldNative(sumNative(buffer, offset, length));
    }

    /** Folds a sum of 16/32-bit words to 16 bits with end-around carry (no byte swap, no complement). */
    public static int fold(final long sum)
    {
        long s = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
        s = (s & 0xFFFF) + (s >>> 16);
        s = (s & 0xFFFF) + (s >>> 16);
        s = (s & 0xFFFF) + (s >>> 16);
        return (int)s;
    }

    /** The finished checksum of a byte range (what goes into a zeroed field, or 0 when verifying a valid one). */
    public static int compute(final DirectBuffer buffer, final int offset, final int length)
    {
        return finishNative(sumNative(buffer, offset, length));
    }

    /** Sum of the TCP/UDP IPv4 pseudo-header (RFC 793 / 768), network order, unfolded. */
    public static long pseudoHeaderSum(final int source, final int destination, final int protocol, final int l4Length)
    {
        return (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF) +
            protocol + l4Length;
    }

    // ---- incremental updates (RFC 1624) --------------------------------------------------------------------------

    /** RFC 1624 eqn. 3 for a finished field: one 16-bit word changed from {@code oldWord} to {@code newWord}. */
    public static int update16(final int checksum, final int oldWord, final int newWord)
    {
        return ~fold((~checksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF)) & 0xFFFF;
    }

    /** RFC 1624 for a finished field: a 32-bit value (two words, e.g. an IPv4 address) changed. */
    public static int update32(final int checksum, final int oldValue, final int newValue)
    {
        return ~fold((~checksum & 0xFFFF) +
            (~oldValue >>> 16 & 0xFFFF) + (~oldValue & 0xFFFF) +
            (newValue >>> 16) + (newValue & 0xFFFF)) & 0xFFFF;
    }

    /**
     * The words {@link #update16} adds for one 16-bit change, to sum several changes and fold once: for a finished
     * field {@code ~fold((~checksum & 0xFFFF) + change16(...) + change32(...) ...) & 0xFFFF} equals the updates applied
     * one after the other (one's-complement addition is associative and both fold to 0 only for an all-zero sum).
     */
    public static long change16(final int oldWord, final int newWord)
    {
        return (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
    }

    /** As {@link #change16}, for a 32-bit value (two words, e.g. an IPv4 address). */
    public static long change32(final int oldValue, final int newValue)
    {
        return (~oldValue >>> 16 & 0xFFFF) + (~oldValue & 0xFFFF) + (newValue >>> 16) + (newValue & 0xFFFF);
    }

    /** For an uncomplemented (CHECKSUM_PARTIAL pseudo-header) field: a 32-bit value changed. */
    public static int updatePartial32(final int partial, final int oldValue, final int newValue)
    {
        return fold((partial & 0xFFFF) +
            (~oldValue >>> 16 & 0xFFFF) + (~oldValue & 0xFFFF) +
            (newValue >>> 16) + (newValue & 0xFFFF));
    }

    /** For an uncomplemented field: a 16-bit word changed. */
    public static int updatePartial16(final int partial, final int oldWord, final int newWord)
    {
        return fold((partial & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF));
    }

    // ---- native-order sums ---------------------------------------------------------------------------------------

    /**
     * Native-order partial sum of {@code length} bytes at {@code offset} (treated as starting a 16-bit word). The
     * whole range is bounds-checked once, then read with unchecked 8-byte loads: a checked load per word made a
     * 64 KB sum take twice as long ({@code ChecksumBenchmark}, docs/benchmarks-jmh.md), and TCP over an overlay
     * sums every byte on both hosts.
     */
    public static long sumNative(final DirectBuffer buffer, final int offset, final int length)
    {
        buffer.boundsCheck(offset, length);
        final byte[] array = buffer.byteArray();
        final long address = buffer.addressOffset() + offset;
        long sum = 0;
        int i = 0;
        final int longEnd = length - 7;
        while (i < longEnd)
        {
            final long v = UnsafeApi.getLong(array, address + i);
            sum += (v & 0xFFFF_FFFFL) + (v >>> 32);
            i += 8;
        }
        if (i + 4 <= length)
        {
            sum += UnsafeApi.getInt(array, address + i) & 0xFFFF_FFFFL;
            i += 4;
        }
        if (i + 2 <= length)
        {
            sum += UnsafeApi.getShort(array, address + i) & 0xFFFF;
            i += 2;
        }
        if (i < length)
        {
            // A lone last byte is the high-order byte of a zero-padded word in network order.
            final int b = UnsafeApi.getByte(array, address + i) & 0xFF;
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
    public static int foldNative(final long sum)
    {
        final int f = fold(sum);
        return LITTLE_ENDIAN ? Short.reverseBytes((short)f) & 0xFFFF : f;
    }

    /** The checksum field value for data whose native-order partial sum is {@code sum}: the complement of the fold. */
    public static int finishNative(final long sum)
    {
        return ~foldNative(sum) & 0xFFFF;
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
        long sum = sumNative(buffer, sourceOffset, 16) + sumNative(buffer, destinationOffset, 16);
        sum = addNetworkInt(sum, length);
        return addNetworkShort(sum, nextHeader);
    }
}
