package io.jvs.dataplane.parse;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over a UDP header (RFC 768).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |          Source Port          |       Destination Port        |
 *  +-------------------------------+-------------------------------+
 *  |            Length             |           Checksum            |
 *  +-------------------------------+-------------------------------+
 * </pre>
 * wrap checks 8 <= Length <= bytes given.
 */
public final class UdpHeader
{
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;

    private DirectBuffer buffer = Empty.BUFFER;
    private int offset;
    private int udpLength;

    /** @return OK, TRUNCATED, BAD_HEADER_LENGTH (Length < 8) or BAD_TOTAL_LENGTH (Length past the bytes). */
    public int wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < HEADER_LENGTH)
        {
            return fail(ParseResult.TRUNCATED);
        }
        final int udpLength = buffer.getShort(offset + LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (udpLength < HEADER_LENGTH)
        {
            return fail(ParseResult.BAD_HEADER_LENGTH);
        }
        if (udpLength > length)
        {
            return fail(ParseResult.BAD_TOTAL_LENGTH);
        }
        if (this.buffer != buffer)
        {
            this.buffer = buffer; // per packet, mostly the same buffer: skip the store and its GC write barrier
        }
        this.offset = offset;
        this.udpLength = udpLength;
        return ParseResult.OK;
    }

    private int fail(final int result)
    {
        buffer = Empty.BUFFER;
        offset = 0;
        udpLength = 0;
        return result;
    }

    public int sourcePort()
    {
        return buffer.getShort(offset + SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int destinationPort()
    {
        return buffer.getShort(offset + DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** Header plus payload, from the Length field. */
    public int length()
    {
        return udpLength;
    }

    public int checksum()
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }

    public int payloadLength()
    {
        return udpLength - HEADER_LENGTH;
    }
}
