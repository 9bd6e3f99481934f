package io.jvs.dataplane.parse;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an ICMP (RFC 792) or ICMPv6 (RFC 4443) header; both share this layout.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------+---------------+-------------------------------+
 *  |     Type      |     Code      |           Checksum            |
 *  +---------------+---------------+-------------------------------+
 *  |  Rest of header (echo: Identifier | Sequence Number)          |
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class IcmpHeader
{
    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    public static final int IDENTIFIER_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 6;
    public static final int HEADER_LENGTH = 8;

    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int TYPE_V6_ECHO_REQUEST = 128;
    public static final int TYPE_V6_ECHO_REPLY = 129;

    private DirectBuffer buffer = Empty.BUFFER;
    private int offset;
    private int length;

    /** @return OK or TRUNCATED. */
    public int wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < HEADER_LENGTH)
        {
            this.buffer = Empty.BUFFER;
            this.offset = 0;
            this.length = 0;
            return ParseResult.TRUNCATED;
        }
        if (this.buffer != buffer)
        {
            this.buffer = buffer; // per packet, mostly the same buffer: skip the store and its GC write barrier
        }
        this.offset = offset;
        this.length = length;
        return ParseResult.OK;
    }

    public int type()
    {
        return buffer.getByte(offset + TYPE_OFFSET) & 0xFF;
    }

    public int code()
    {
        return buffer.getByte(offset + CODE_OFFSET) & 0xFF;
    }

    public int checksum()
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** Echo identifier (meaningful for echo request/reply). */
    public int identifier()
    {
        return buffer.getShort(offset + IDENTIFIER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int sequence()
    {
        return buffer.getShort(offset + SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }

    public int payloadLength()
    {
        return length - HEADER_LENGTH;
    }
}
