package io.jvs.tap.netlink;

import org.agrona.MutableDirectBuffer;

import static io.jvs.tap.netlink.AttributeDescriptor.HEADER_LENGTH;
import static io.jvs.tap.netlink.NetlinkHeaderDescriptor.align;

/**
 * Writes one netlink request into a buffer: {@link #begin} the header, one family header, attributes (nests opened
 * with {@link #beginNest} and closed with {@link #endNest}), then {@link #finish} for the total length. A flyweight:
 * wrap once, reuse for every request, nothing allocated. Integers go in host byte order as netlink wants; IPv4
 * addresses are passed as ints (a.b.c.d = 0xaabbccdd) and written in network order.
 */
public final class NetlinkEncoder
{
    private MutableDirectBuffer buffer;
    private int start;
    private int limit;
    private int position;

    /** Encodes from {@code offset}; a request must fit before {@code offset + capacity}. */
    public NetlinkEncoder wrap(final MutableDirectBuffer buffer, final int offset, final int capacity)
    {
        this.buffer = buffer;
        this.start = offset;
        this.limit = offset + capacity;
        this.position = offset;
        return this;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    /** Offset of the message being written. */
    public int offset()
    {
        return start;
    }

    /** Starts a message (pid 0: to the kernel). */
    public NetlinkEncoder begin(final int type, final int flags, final int seq)
    {
        position = start;
        ensure(NetlinkHeaderDescriptor.LENGTH);
        buffer.setMemory(start, NetlinkHeaderDescriptor.LENGTH, (byte)0);
        buffer.putShort(start + NetlinkHeaderDescriptor.TYPE_OFFSET, (short)type);
        buffer.putShort(start + NetlinkHeaderDescriptor.FLAGS_OFFSET, (short)flags);
        buffer.putInt(start + NetlinkHeaderDescriptor.SEQ_OFFSET, seq);
        position += NetlinkHeaderDescriptor.LENGTH;
        return this;
    }

    /** struct ifinfomsg (also the head of a VETH_INFO_PEER value). */
    public NetlinkEncoder ifInfo(final int family, final int index, final int flags, final int change)
    {
        final int at = reserve(IfInfoDescriptor.LENGTH);
        buffer.putByte(at + IfInfoDescriptor.FAMILY_OFFSET, (byte)family);
        buffer.putInt(at + IfInfoDescriptor.INDEX_OFFSET, index);
        buffer.putInt(at + IfInfoDescriptor.FLAGS_OFFSET, flags);
        buffer.putInt(at + IfInfoDescriptor.CHANGE_OFFSET, change);
        return this;
    }

    /** struct ifaddrmsg. */
    public NetlinkEncoder ifAddr(final int family, final int prefixLength, final int scope, final int index)
    {
        final int at = reserve(IfAddrDescriptor.LENGTH);
        buffer.putByte(at + IfAddrDescriptor.FAMILY_OFFSET, (byte)family);
        buffer.putByte(at + IfAddrDescriptor.PREFIX_LENGTH_OFFSET, (byte)prefixLength);
        buffer.putByte(at + IfAddrDescriptor.SCOPE_OFFSET, (byte)scope);
        buffer.putInt(at + IfAddrDescriptor.INDEX_OFFSET, index);
        return this;
    }

    /** struct rtmsg (tos and flags 0). */
    public NetlinkEncoder route(final int family, final int dstLength, final int table, final int protocol,
        final int scope, final int type)
    {
        final int at = reserve(RouteDescriptor.LENGTH);
        buffer.putByte(at + RouteDescriptor.FAMILY_OFFSET, (byte)family);
        buffer.putByte(at + RouteDescriptor.DST_LENGTH_OFFSET, (byte)dstLength);
        buffer.putByte(at + RouteDescriptor.TABLE_OFFSET, (byte)table);
        buffer.putByte(at + RouteDescriptor.PROTOCOL_OFFSET, (byte)protocol);
        buffer.putByte(at + RouteDescriptor.SCOPE_OFFSET, (byte)scope);
        buffer.putByte(at + RouteDescriptor.TYPE_OFFSET, (byte)type);
        return this;
    }

    public NetlinkEncoder putInt(final int type, final int value)
    {
        final int at = attribute(type, Integer.BYTES);
        buffer.putInt(at, value);
        return this;
    }

    /** An IPv4 address (a.b.c.d = 0xaabbccdd) in network byte order. */
    public NetlinkEncoder putIpv4(final int type, final int address)
    {
        final int at = attribute(type, Integer.BYTES);
        buffer.putInt(at, address, java.nio.ByteOrder.BIG_ENDIAN);
        return this;
    }

    public NetlinkEncoder putBytes(final int type, final byte[] value)
    {
        final int at = attribute(type, value.length);
        buffer.putBytes(at, value);
        return this;
    }

    /** An ASCII string with its terminating NUL, as iproute2 sends names and kinds. */
    public NetlinkEncoder putString(final int type, final String value)
    {
        final int at = attribute(type, value.length() + 1);
        buffer.putStringWithoutLengthAscii(at, value);
        buffer.putByte(at + value.length(), (byte)0);
        return this;
    }

    /** An ASCII string without a NUL, as iproute2 sends IFLA_INFO_KIND (the kernel compares with nla_strcmp). */
    public NetlinkEncoder putStringUnterminated(final int type, final String value)
    {
        final int at = attribute(type, value.length());
        buffer.putStringWithoutLengthAscii(at, value);
        return this;
    }

    /** Opens a nested attribute. @return its offset, for {@link #endNest}. */
    public int beginNest(final int type)
    {
        final int at = position;
        attribute(type, 0);
        return at;
    }

    /** Closes the nest opened at {@code nestOffset}: its length now covers everything written since. */
    public NetlinkEncoder endNest(final int nestOffset)
    {
        buffer.putShort(nestOffset + AttributeDescriptor.LENGTH_OFFSET, (short)(position - nestOffset));
        return this;
    }

    /** Writes nlmsg_len. @return the message length, to send from {@link #offset()}. */
    public int finish()
    {
        final int length = position - start;
        buffer.putInt(start + NetlinkHeaderDescriptor.LENGTH_OFFSET, length);
        return length;
    }

    private int attribute(final int type, final int valueLength)
    {
        final int at = reserve(HEADER_LENGTH + valueLength);
        buffer.putShort(at + AttributeDescriptor.LENGTH_OFFSET, (short)(HEADER_LENGTH + valueLength));
        buffer.putShort(at + AttributeDescriptor.TYPE_OFFSET, (short)type);
        return at + HEADER_LENGTH;
    }

    /** Claims {@code length} bytes plus padding, zeroed. @return where they start. */
    private int reserve(final int length)
    {
        final int padded = align(length);
        ensure(padded);
        final int at = position;
        buffer.setMemory(at, padded, (byte)0);
        position += padded;
        return at;
    }

    private void ensure(final int length)
    {
        if (position + length > limit)
        {
            throw new IllegalStateException("netlink request does not fit in " + (limit - start) + " bytes");
        }
    }
}
