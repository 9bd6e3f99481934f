package io.jvs.dataplane.parse;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an IPv4 header (RFC 791).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------+-------+---------------+-------------------------------+
 *  |Version|  IHL  |   DSCP/ECN    |          Total Length         |
 *  +-------+-------+---------------+-----+-------------------------+
 *  |         Identification        |Flags|     Fragment Offset     |
 *  +---------------+---------------+-----+-------------------------+
 *  |      TTL      |   Protocol    |        Header Checksum        |
 *  +---------------+---------------+-------------------------------+
 *  |                        Source Address                         |
 *  +---------------------------------------------------------------+
 *  |                     Destination Address                       |
 *  +---------------------------------------------------------------+
 *  |                    Options (IHL > 5) ...                      |
 *  +---------------------------------------------------------------+
 * </pre>
 * wrap checks version 4, IHL >= 5, the header within the bytes given, and IHL*4 <= Total Length <= bytes given
 * (bytes past Total Length are Ethernet padding and are not payload).
 */
public final class Ipv4Header
{
    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SOURCE_OFFSET = 12;
    public static final int DESTINATION_OFFSET = 16;
    public static final int MIN_HEADER_LENGTH = 20;

    public static final int VERSION = 4;
    public static final int MIN_IHL = 5;
    public static final int FLAG_DONT_FRAGMENT = 0x4000;
    public static final int FLAG_MORE_FRAGMENTS = 0x2000;
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    public static final int PROTOCOL_ICMP = 1;
    public static final int PROTOCOL_TCP = 6;
    public static final int PROTOCOL_UDP = 17;

    private DirectBuffer buffer = Empty.BUFFER;
    private int offset;
    private int headerLength;
    private int totalLength;

    /** @return OK, TRUNCATED, BAD_VERSION, BAD_HEADER_LENGTH or BAD_TOTAL_LENGTH. */
    public int wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < MIN_HEADER_LENGTH)
        {
            return fail(ParseResult.TRUNCATED);
        }
        // Version/IHL, TOS and total length in one (bounds-checked) read.
        final int firstWord = buffer.getInt(offset + VERSION_IHL_OFFSET, ByteOrder.BIG_ENDIAN);
        final int versionIhl = firstWord >>> 24;
        if ((versionIhl >>> 4) != VERSION)
        {
            return fail(ParseResult.BAD_VERSION);
        }
        final int ihl = versionIhl & 0x0F;
        if (ihl < MIN_IHL)
        {
            return fail(ParseResult.BAD_HEADER_LENGTH);
        }
        final int headerLength = ihl * 4;
        if (headerLength > length)
        {
            return fail(ParseResult.TRUNCATED);
        }
        final int totalLength = firstWord & 0xFFFF; // TOTAL_LENGTH_OFFSET = 2
        if (totalLength < headerLength || totalLength > length)
        {
            return fail(ParseResult.BAD_TOTAL_LENGTH);
        }
        if (this.buffer != buffer)
        {
            this.buffer = buffer; // per packet, mostly the same buffer: skip the store and its GC write barrier
        }
        this.offset = offset;
        this.headerLength = headerLength;
        this.totalLength = totalLength;
        return ParseResult.OK;
    }

    private int fail(final int result)
    {
        buffer = Empty.BUFFER;
        offset = 0;
        headerLength = 0;
        totalLength = 0;
        return result;
    }

    public int headerLength()
    {
        return headerLength;
    }

    public int totalLength()
    {
        return totalLength;
    }

    public int tos()
    {
        return buffer.getByte(offset + TOS_OFFSET) & 0xFF;
    }

    public int identification()
    {
        return buffer.getShort(offset + IDENTIFICATION_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** Flags (top 3 bits) and fragment offset (in 8-byte units) as on the wire. */
    public int flagsAndFragmentOffset()
    {
        return buffer.getShort(offset + FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** True for any fragment (more-fragments set or non-zero offset). */
    public boolean isFragment()
    {
        return (flagsAndFragmentOffset() & (FLAG_MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK)) != 0;
    }

    /** True for a fragment other than the first: it carries no L4 header. */
    public boolean isLaterFragment()
    {
        return (flagsAndFragmentOffset() & FRAGMENT_OFFSET_MASK) != 0;
    }

    public int ttl()
    {
        return buffer.getByte(offset + TTL_OFFSET) & 0xFF;
    }

    public int protocol()
    {
        return buffer.getByte(offset + PROTOCOL_OFFSET) & 0xFF;
    }

    public int checksum()
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** Big-endian int: 10.0.0.1 is 0x0A000001. */
    public int source()
    {
        return buffer.getInt(offset + SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public int destination()
    {
        return buffer.getInt(offset + DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    /** Absolute index of the L4 header. */
    public int payloadOffset()
    {
        return offset + headerLength;
    }

    public int payloadLength()
    {
        return totalLength - headerLength;
    }
}
