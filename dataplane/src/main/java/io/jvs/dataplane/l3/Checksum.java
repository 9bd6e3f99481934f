package io.jvs.dataplane.l3;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624), over 16-bit big-endian words.
 * <p>
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
    private Checksum()
    {
    }

    /** One's complement sum of {@code length} bytes added to {@code initial} (unfolded). Odd tail padded with 0. */
    public static long sum(final DirectBuffer buffer, final int offset, final int length, final long initial)
    {
        long sum = initial;
        int i = 0;
        final int words4 = length & ~3;
        for (; i < words4; i += 4)
        {
            sum += buffer.getInt(offset + i, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
        }
        if (i + 2 <= length)
        {
            sum += buffer.getShort(offset + i, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            i += 2;
        }
        if (i < length)
        {
            sum += (buffer.getByte(offset + i) & 0xFF) << 8;
        }
        return sum;
    }

    /** Folds a sum of 16/32-bit words to 16 bits with end-around carry. */
    public static int fold(final long sum)
    {
        long s = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
        s = (s & 0xFFFF) + (s >>> 16);
        s = (s & 0xFFFF) + (s >>> 16);
        s = (s & 0xFFFF) + (s >>> 16);
        return (int)s;
    }

    /** The finished checksum of a byte range (what goes into a zeroed field). */
    public static int compute(final DirectBuffer buffer, final int offset, final int length)
    {
        return ~fold(sum(buffer, offset, length, 0)) & 0xFFFF;
    }

    /** Sum of the TCP/UDP IPv4 pseudo-header (RFC 793 / 768), unfolded. */
    public static long pseudoHeaderSum(final int source, final int destination, final int protocol, final int l4Length)
    {
        return (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF) +
            protocol + l4Length;
    }

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
}
