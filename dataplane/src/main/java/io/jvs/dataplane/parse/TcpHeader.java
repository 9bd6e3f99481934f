package io.jvs.dataplane.parse;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over a TCP header (RFC 9293).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |          Source Port          |       Destination Port        |
 *  +-------------------------------+-------------------------------+
 *  |                        Sequence Number                        |
 *  +---------------------------------------------------------------+
 *  |                     Acknowledgment Number                     |
 *  +-------+-------+---------------+-------------------------------+
 *  | Data  | Rsrvd |C|E|U|A|P|R|S|F|            Window             |
 *  |Offset |       |W|C|R|C|S|S|Y|I|                               |
 *  +-------+-------+---------------+-------------------------------+
 *  |           Checksum            |        Urgent Pointer         |
 *  +-------------------------------+-------------------------------+
 *  |                    Options (Data Offset > 5)                  |
 *  +---------------------------------------------------------------+
 * </pre>
 * wrap checks 20 bytes present, Data Offset >= 5 and the whole header (with options) within the bytes given.
 */
public final class TcpHeader
{
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int SEQUENCE_OFFSET = 4;
    public static final int ACKNOWLEDGMENT_OFFSET = 8;
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_POINTER_OFFSET = 18;
    public static final int MIN_HEADER_LENGTH = 20;
    public static final int MIN_DATA_OFFSET = 5;

    public static final int FLAG_FIN = 0x01;
    public static final int FLAG_SYN = 0x02;
    public static final int FLAG_RST = 0x04;
    public static final int FLAG_PSH = 0x08;
    public static final int FLAG_ACK = 0x10;
    public static final int FLAG_URG = 0x20;

    private DirectBuffer buffer = Empty.BUFFER;
    private int offset;
    private int length;
    private int headerLength;

    /** @return OK, TRUNCATED or BAD_HEADER_LENGTH (Data Offset < 5). */
    public int wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < MIN_HEADER_LENGTH)
        {
            return fail(ParseResult.TRUNCATED);
        }
        final int dataOffset = (buffer.getByte(offset + DATA_OFFSET_OFFSET) & 0xFF) >>> 4;
        if (dataOffset < MIN_DATA_OFFSET)
        {
            return fail(ParseResult.BAD_HEADER_LENGTH);
        }
        final int headerLength = dataOffset * 4;
        if (headerLength > length)
        {
            return fail(ParseResult.TRUNCATED);
        }
        if (this.buffer != buffer)
        {
            this.buffer = buffer; // per packet, mostly the same buffer: skip the store and its GC write barrier
        }
        this.offset = offset;
        this.length = length;
        this.headerLength = headerLength;
        return ParseResult.OK;
    }

    private int fail(final int result)
    {
        buffer = Empty.BUFFER;
        offset = 0;
        length = 0;
        headerLength = 0;
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

    /** Unsigned 32-bit sequence number. */
    public long sequence()
    {
        return buffer.getInt(offset + SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    public long acknowledgment()
    {
        return buffer.getInt(offset + ACKNOWLEDGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    public int flags()
    {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    public int window()
    {
        return buffer.getShort(offset + WINDOW_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int checksum()
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int urgentPointer()
    {
        return buffer.getShort(offset + URGENT_POINTER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int headerLength()
    {
        return headerLength;
    }

    public int payloadOffset()
    {
        return offset + headerLength;
    }

    public int payloadLength()
    {
        return length - headerLength;
    }
}
