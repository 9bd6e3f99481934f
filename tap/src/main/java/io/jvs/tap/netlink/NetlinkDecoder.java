package io.jvs.tap.netlink;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

import static io.jvs.tap.netlink.NetlinkHeaderDescriptor.LENGTH;

/**
 * Reads the messages and attributes of a netlink answer in place (static, nothing allocated except the strings a
 * caller asks for). Offsets are absolute in the buffer; a message or attribute is addressed by where its header
 * starts.
 */
public final class NetlinkDecoder
{
    /** {@link #find} found nothing. */
    public static final int NOT_FOUND = -1;

    private NetlinkDecoder()
    {
    }

    public static int length(final DirectBuffer buffer, final int message)
    {
        return buffer.getInt(message + NetlinkHeaderDescriptor.LENGTH_OFFSET);
    }

    public static int type(final DirectBuffer buffer, final int message)
    {
        return buffer.getShort(message + NetlinkHeaderDescriptor.TYPE_OFFSET) & 0xFFFF;
    }

    public static int flags(final DirectBuffer buffer, final int message)
    {
        return buffer.getShort(message + NetlinkHeaderDescriptor.FLAGS_OFFSET) & 0xFFFF;
    }

    public static int seq(final DirectBuffer buffer, final int message)
    {
        return buffer.getInt(message + NetlinkHeaderDescriptor.SEQ_OFFSET);
    }

    /** Where the family header (or nlmsgerr) of a message starts. */
    public static int payload(final int message)
    {
        return message + LENGTH;
    }

    /** Where the next message starts, or an exception if this one claims more than {@code end} holds. */
    public static int next(final DirectBuffer buffer, final int message, final int end)
    {
        final int length = length(buffer, message);
        if (length < LENGTH || message + length > end)
        {
            throw new IllegalStateException("truncated or corrupt netlink message: length " + length + " at " +
                message + ", " + (end - message) + " bytes left");
        }
        return message + NetlinkHeaderDescriptor.align(length);
    }

    /** nlmsgerr.error of an NLMSG_ERROR message: 0 for an ack, else the negated errno. */
    public static int error(final DirectBuffer buffer, final int message)
    {
        return buffer.getInt(payload(message) + ErrorDescriptor.ERROR_OFFSET);
    }

    /** The kernel's extended-ack text of an NLMSG_ERROR message, or null when it sent none. */
    public static String errorText(final DirectBuffer buffer, final int message)
    {
        final int flags = flags(buffer, message);
        if ((flags & NetlinkHeaderDescriptor.NLM_F_ACK_TLVS) == 0)
        {
            return null;
        }
        final int request = payload(message) + ErrorDescriptor.REQUEST_OFFSET;
        final int attributes = (flags & NetlinkHeaderDescriptor.NLM_F_CAPPED) != 0 ?
            request + LENGTH : request + NetlinkHeaderDescriptor.align(length(buffer, request));
        final int text = find(buffer, attributes, message + length(buffer, message), ErrorDescriptor.NLMSGERR_ATTR_MSG);
        return text == NOT_FOUND ? null : string(buffer, text);
    }

    /**
     * Looks for an attribute among those between {@code from} and {@code end}.
     *
     * @return the offset of its header, or {@link #NOT_FOUND}.
     */
    public static int find(final DirectBuffer buffer, final int from, final int end, final int type)
    {
        int at = from;
        while (at + AttributeDescriptor.HEADER_LENGTH <= end)
        {
            final int length = attributeLength(buffer, at);
            if (length < AttributeDescriptor.HEADER_LENGTH || at + length > end)
            {
                return NOT_FOUND; // malformed: stop rather than read past the message
            }
            if (attributeType(buffer, at) == type)
            {
                return at;
            }
            at += NetlinkHeaderDescriptor.align(length);
        }
        return NOT_FOUND;
    }

    public static int attributeLength(final DirectBuffer buffer, final int attribute)
    {
        return buffer.getShort(attribute + AttributeDescriptor.LENGTH_OFFSET) & 0xFFFF;
    }

    public static int attributeType(final DirectBuffer buffer, final int attribute)
    {
        return buffer.getShort(attribute + AttributeDescriptor.TYPE_OFFSET) & AttributeDescriptor.TYPE_MASK;
    }

    public static int value(final int attribute)
    {
        return attribute + AttributeDescriptor.HEADER_LENGTH;
    }

    /** End of an attribute's value: with {@link #value} the bounds of a nest's attributes. */
    public static int valueEnd(final DirectBuffer buffer, final int attribute)
    {
        return attribute + attributeLength(buffer, attribute);
    }

    public static int intValue(final DirectBuffer buffer, final int attribute)
    {
        return buffer.getInt(value(attribute));
    }

    /** An IPv4 address attribute (network order) as 0xaabbccdd. */
    public static int ipv4Value(final DirectBuffer buffer, final int attribute)
    {
        return buffer.getInt(value(attribute), ByteOrder.BIG_ENDIAN);
    }

    /** A string attribute without its NUL. */
    public static String string(final DirectBuffer buffer, final int attribute)
    {
        final int from = value(attribute);
        int end = valueEnd(buffer, attribute);
        for (int i = from; i < end; i++)
        {
            if (buffer.getByte(i) == 0)
            {
                end = i;
                break;
            }
        }
        return buffer.getStringWithoutLengthAscii(from, end - from);
    }
}
