package io.jvs.dataplane.parse;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an Ethernet II header with up to two 802.1Q / 802.1ad tags.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                    Destination MAC (6 bytes)                  |
 *  +                               +-------------------------------+
 *  |                               |                               |
 *  +-------------------------------+                               +
 *  |                      Source MAC (6 bytes)                     |
 *  +-------------------------------+-------------------------------+
 *  |   EtherType or TPID 0x8100    |  TCI: PCP|DEI|VLAN id (opt.)  |
 *  +-------------------------------+-------------------------------+
 *  |  inner EtherType (if tagged)  |  payload ...
 *  +-------------------------------+
 * </pre>
 * Untagged the header is 14 bytes; each tag adds 4. {@link #etherType()} is the innermost EtherType and
 * {@link #payloadOffset()} the absolute index of the L3 header. Accessors are valid only after {@link #wrap}
 * returned {@link ParseResult#OK}; after a failed wrap they read zeros.
 */
public final class EthernetHeader
{
    public static final int DESTINATION_OFFSET = 0;
    public static final int SOURCE_OFFSET = 6;
    public static final int TYPE_OFFSET = 12;
    public static final int HEADER_LENGTH = 14;
    /** A tag is TPID (at the type position) + TCI, so it shifts the real EtherType by 4. */
    public static final int VLAN_TAG_LENGTH = 4;
    /** Offset of the TCI relative to the TPID that announced it. */
    public static final int VLAN_TCI_OFFSET = 2;
    public static final int MAX_VLAN_TAGS = 2;
    public static final int VLAN_ID_MASK = 0x0FFF;

    public static final int ETHERTYPE_IPV4 = 0x0800;
    public static final int ETHERTYPE_ARP = 0x0806;
    public static final int ETHERTYPE_IPV6 = 0x86DD;
    public static final int ETHERTYPE_VLAN = 0x8100;
    public static final int ETHERTYPE_QINQ = 0x88A8;

    private DirectBuffer buffer = Empty.BUFFER;
    private int offset;
    private int length;
    private int headerLength;
    private int etherType;
    private int vlanCount;
    private int outerTci;

    /**
     * @return {@link ParseResult#OK}, {@link ParseResult#TRUNCATED}, or {@link ParseResult#UNSUPPORTED} for more
     * than {@link #MAX_VLAN_TAGS} tags.
     */
    public int wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < HEADER_LENGTH)
        {
            return fail(ParseResult.TRUNCATED);
        }

        int typeIndex = offset + TYPE_OFFSET;
        int type = buffer.getShort(typeIndex, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        int tags = 0;
        int tci = 0;
        while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ)
        {
            if (tags == MAX_VLAN_TAGS)
            {
                return fail(ParseResult.UNSUPPORTED);
            }
            // Need the TCI and the next type field: 4 more bytes past the current type field.
            if (typeIndex + VLAN_TAG_LENGTH + 2 > offset + length)
            {
                return fail(ParseResult.TRUNCATED);
            }
            if (tags == 0)
            {
                tci = buffer.getShort(typeIndex + VLAN_TCI_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            }
            typeIndex += VLAN_TAG_LENGTH;
            type = buffer.getShort(typeIndex, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            tags++;
        }

        if (this.buffer != buffer)
        {
            this.buffer = buffer; // per packet, mostly the same buffer: skip the store and its GC write barrier
        }
        this.offset = offset;
        this.length = length;
        this.headerLength = HEADER_LENGTH + tags * VLAN_TAG_LENGTH;
        this.etherType = type;
        this.vlanCount = tags;
        this.outerTci = tci;
        return ParseResult.OK;
    }

    private int fail(final int result)
    {
        buffer = Empty.BUFFER;
        offset = 0;
        length = 0;
        headerLength = 0;
        etherType = 0;
        vlanCount = 0;
        outerTci = 0;
        return result;
    }

    public long destination()
    {
        return MacAddress.read(buffer, offset + DESTINATION_OFFSET);
    }

    public long source()
    {
        return MacAddress.read(buffer, offset + SOURCE_OFFSET);
    }

    /** Innermost EtherType (after any VLAN tags). */
    public int etherType()
    {
        return etherType;
    }

    public int vlanCount()
    {
        return vlanCount;
    }

    /** VLAN id of the outer tag, 0 when untagged. */
    public int vlanId()
    {
        return outerTci & VLAN_ID_MASK;
    }

    /** Priority code point of the outer tag. */
    public int vlanPriority()
    {
        return outerTci >>> 13;
    }

    public int headerLength()
    {
        return headerLength;
    }

    /** Absolute index in the buffer where the L3 header starts. */
    public int payloadOffset()
    {
        return offset + headerLength;
    }

    public int payloadLength()
    {
        return length - headerLength;
    }

    public int offset()
    {
        return offset;
    }

    public int length()
    {
        return length;
    }

    public DirectBuffer buffer()
    {
        return buffer;
    }
}
