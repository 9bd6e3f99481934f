package io.jvs.dataplane.parse;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over the fixed IPv6 header (RFC 8200). Extension headers are walked by {@link FrameParser}.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------+---------------+---------------------------------------+
 *  |Version| Traffic Class |              Flow Label               |
 *  +-------+---------------+-------+---------------+---------------+
 *  |         Payload Length        |  Next Header  |   Hop Limit   |
 *  +-------------------------------+---------------+---------------+
 *  |                                                               |
 *  +                  Source Address (16 bytes)                    +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                                                               |
 *  +                Destination Address (16 bytes)                 +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 * wrap checks version 6, 40 bytes present, and 40 + Payload Length within the bytes given.
 */
public final class Ipv6Header
{
    public static final int VERSION_CLASS_FLOW_OFFSET = 0;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SOURCE_OFFSET = 8;
    public static final int DESTINATION_OFFSET = 24;
    public static final int HEADER_LENGTH = 40;

    public static final int VERSION = 6;
    public static final int NEXT_HEADER_HOP_BY_HOP = 0;
    public static final int NEXT_HEADER_TCP = 6;
    public static final int NEXT_HEADER_UDP = 17;
    public static final int NEXT_HEADER_ROUTING = 43;
    public static final int NEXT_HEADER_FRAGMENT = 44;
    public static final int NEXT_HEADER_ICMPV6 = 58;
    public static final int NEXT_HEADER_NONE = 59;
    public static final int NEXT_HEADER_DESTINATION_OPTIONS = 60;

    private DirectBuffer buffer = Empty.BUFFER;
    private int offset;
    private int payloadLength;

    /** @return OK, TRUNCATED, BAD_VERSION or BAD_TOTAL_LENGTH. */
    public int wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < HEADER_LENGTH)
        {
            return fail(ParseResult.TRUNCATED);
        }
        if (((buffer.getByte(offset + VERSION_CLASS_FLOW_OFFSET) & 0xFF) >>> 4) != VERSION)
        {
            return fail(ParseResult.BAD_VERSION);
        }
        final int payloadLength = buffer.getShort(offset + PAYLOAD_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (payloadLength > length - HEADER_LENGTH)
        {
            return fail(ParseResult.BAD_TOTAL_LENGTH);
        }
        if (this.buffer != buffer)
        {
            this.buffer = buffer; // per packet, mostly the same buffer: skip the store and its GC write barrier
        }
        this.offset = offset;
        this.payloadLength = payloadLength;
        return ParseResult.OK;
    }

    private int fail(final int result)
    {
        buffer = Empty.BUFFER;
        offset = 0;
        payloadLength = 0;
        return result;
    }

    public int trafficClass()
    {
        return (buffer.getShort(offset, ByteOrder.BIG_ENDIAN) >>> 4) & 0xFF;
    }

    public int flowLabel()
    {
        return buffer.getInt(offset, ByteOrder.BIG_ENDIAN) & 0x000F_FFFF;
    }

    public int payloadLength()
    {
        return payloadLength;
    }

    public int nextHeader()
    {
        return buffer.getByte(offset + NEXT_HEADER_OFFSET) & 0xFF;
    }

    public int hopLimit()
    {
        return buffer.getByte(offset + HOP_LIMIT_OFFSET) & 0xFF;
    }

    /** High 64 bits of the source address. */
    public long sourceHigh()
    {
        return buffer.getLong(offset + SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public long sourceLow()
    {
        return buffer.getLong(offset + SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN);
    }

    public long destinationHigh()
    {
        return buffer.getLong(offset + DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public long destinationLow()
    {
        return buffer.getLong(offset + DESTINATION_OFFSET + 8, ByteOrder.BIG_ENDIAN);
    }

    /** Absolute index of the first header after the fixed header. */
    public int payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }
}
