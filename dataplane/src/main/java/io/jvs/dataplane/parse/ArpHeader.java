package io.jvs.dataplane.parse;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an ARP packet for Ethernet / IPv4 (RFC 826), the only kind on a container network.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |      HTYPE (1 = Ethernet)     |      PTYPE (0x0800 = IPv4)    |
 *  +---------------+---------------+-------------------------------+
 *  |   HLEN (6)    |   PLEN (4)    |   OPER (1 request, 2 reply)   |
 *  +---------------+---------------+-------------------------------+
 *  |                  Sender hardware address (6)                  |
 *  +                               +-------------------------------+
 *  |                               |  Sender protocol address (4)  |
 *  +-------------------------------+-------------------------------+
 *  |                               |                               |
 *  +-------------------------------+                               +
 *  |                  Target hardware address (6)                  |
 *  +-------------------------------+-------------------------------+
 *  |                  Target protocol address (4)                  |
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class ArpHeader
{
    public static final int HTYPE_OFFSET = 0;
    public static final int PTYPE_OFFSET = 2;
    public static final int HLEN_OFFSET = 4;
    public static final int PLEN_OFFSET = 5;
    public static final int OPER_OFFSET = 6;
    public static final int SHA_OFFSET = 8;
    public static final int SPA_OFFSET = 14;
    public static final int THA_OFFSET = 18;
    public static final int TPA_OFFSET = 24;
    public static final int LENGTH = 28;

    public static final int HTYPE_ETHERNET = 1;
    public static final int OPER_REQUEST = 1;
    public static final int OPER_REPLY = 2;

    private DirectBuffer buffer = Empty.BUFFER;
    private int offset;

    /** @return OK, TRUNCATED, or UNSUPPORTED when not Ethernet/IPv4 (HTYPE 1, PTYPE 0x0800, HLEN 6, PLEN 4). */
    public int wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < LENGTH)
        {
            return fail(ParseResult.TRUNCATED);
        }
        if ((buffer.getShort(offset + HTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) != HTYPE_ETHERNET ||
            (buffer.getShort(offset + PTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) != EthernetHeader.ETHERTYPE_IPV4 ||
            buffer.getByte(offset + HLEN_OFFSET) != MacAddress.LENGTH ||
            buffer.getByte(offset + PLEN_OFFSET) != 4)
        {
            return fail(ParseResult.UNSUPPORTED);
        }
        if (this.buffer != buffer)
        {
            this.buffer = buffer; // per packet, mostly the same buffer: skip the store and its GC write barrier
        }
        this.offset = offset;
        return ParseResult.OK;
    }

    private int fail(final int result)
    {
        buffer = Empty.BUFFER;
        offset = 0;
        return result;
    }

    public int operation()
    {
        return buffer.getShort(offset + OPER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public long senderMac()
    {
        return MacAddress.read(buffer, offset + SHA_OFFSET);
    }

    /** IPv4 address as a big-endian int (first octet most significant). */
    public int senderIp()
    {
        return buffer.getInt(offset + SPA_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public long targetMac()
    {
        return MacAddress.read(buffer, offset + THA_OFFSET);
    }

    public int targetIp()
    {
        return buffer.getInt(offset + TPA_OFFSET, ByteOrder.BIG_ENDIAN);
    }
}
