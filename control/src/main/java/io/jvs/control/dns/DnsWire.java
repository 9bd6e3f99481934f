package io.jvs.control.dns;

import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * The parts of a DNS message (RFC 1035 §4.1) the sandbox resolver reads and writes.
 * <pre>
 *   0               16              32
 *   +---------------+---------------+
 *   |      ID       |     FLAGS     |   FLAGS: QR(15) OPCODE(14-11) AA(10) TC(9) RD(8) RA(7) Z(6-4) RCODE(3-0)
 *   +---------------+---------------+
 *   |    QDCOUNT    |    ANCOUNT    |
 *   +---------------+---------------+
 *   |    NSCOUNT    |    ARCOUNT    |
 *   +---------------+---------------+
 *   | question: QNAME (labels) QTYPE(16) QCLASS(16)
 *   | answers:  NAME TYPE(16) CLASS(16) TTL(32) RDLENGTH(16) RDATA
 * </pre>
 * Positions are absolute in the buffer holding one message from position 0.
 */
final class DnsWire
{
    static final int ID_OFFSET = 0;
    static final int FLAGS_OFFSET = 2;
    static final int QDCOUNT_OFFSET = 4;
    static final int ANCOUNT_OFFSET = 6;
    static final int NSCOUNT_OFFSET = 8;
    static final int ARCOUNT_OFFSET = 10;
    static final int HEADER_LENGTH = 12;

    static final int FLAG_QR = 0x8000;
    static final int OPCODE_MASK = 0x7800;
    static final int FLAG_AA = 0x0400;
    static final int FLAG_RD = 0x0100;
    static final int FLAG_RA = 0x0080;

    static final int RCODE_NOERROR = 0;
    static final int RCODE_FORMERR = 1;
    static final int RCODE_SERVFAIL = 2;
    static final int RCODE_NXDOMAIN = 3;
    static final int RCODE_NOTIMP = 4;

    static final int TYPE_A = 1;
    static final int TYPE_PTR = 12;
    static final int TYPE_AAAA = 28;
    static final int TYPE_ANY = 255;
    static final int CLASS_IN = 1;

    static final int MAX_LABEL_LENGTH = 63;
    static final int MAX_NAME_LENGTH = 255;
    /** The top two bits of a length byte that mark a compression pointer. */
    private static final int POINTER_BITS = 0xC0;
    /** A compression pointer to the question's name, which always starts right after the header. */
    static final short POINTER_TO_QUESTION_NAME = (short)(0xC000 | HEADER_LENGTH);
    /** What Docker's embedded DNS gives its answers. */
    static final int TTL_SECONDS = 600;
    private static final int ANSWER_FIXED_LENGTH = 2 + 2 + 2 + 4 + 2; // name pointer, type, class, TTL, RDLENGTH

    static final String REVERSE_SUFFIX = ".in-addr.arpa";

    /** The one question of a query: its name (lower case, no trailing dot), type, class and where it ends. */
    record Question(String name, int type, int questionClass, int end)
    {
    }

    private DnsWire()
    {
    }

    static int id(final ByteBuffer message)
    {
        return message.getShort(ID_OFFSET) & 0xFFFF;
    }

    static void id(final ByteBuffer message, final int id)
    {
        message.putShort(ID_OFFSET, (short)id);
    }

    static int flags(final ByteBuffer message)
    {
        return message.getShort(FLAGS_OFFSET) & 0xFFFF;
    }

    static int questionCount(final ByteBuffer message)
    {
        return message.getShort(QDCOUNT_OFFSET) & 0xFFFF;
    }

    /** The question after the header, or null when it is malformed or runs past {@code limit}. */
    static Question question(final ByteBuffer message, final int limit)
    {
        final StringBuilder name = new StringBuilder();
        int at = HEADER_LENGTH;
        while (true)
        {
            if (at >= limit)
            {
                return null;
            }
            final int length = message.get(at) & 0xFF;
            at++;
            if (length == 0)
            {
                break;
            }
            if ((length & POINTER_BITS) != 0 || length > MAX_LABEL_LENGTH || at + length > limit ||
                name.length() + length + 1 > MAX_NAME_LENGTH)
            {
                return null; // queries carry their name in full; a pointer here is not something we answer
            }
            if (name.length() > 0)
            {
                name.append('.');
            }
            for (int i = 0; i < length; i++)
            {
                name.append((char)(message.get(at + i) & 0xFF));
            }
            at += length;
        }
        if (at + 4 > limit)
        {
            return null;
        }
        final int type = message.getShort(at) & 0xFFFF;
        final int questionClass = message.getShort(at + 2) & 0xFFFF;
        return new Question(name.toString().toLowerCase(Locale.ROOT), type, questionClass, at + 4);
    }

    /**
     * Turns the query in {@code message} (header and question up to {@code questionEnd}) into a response in place:
     * answers, authority and additional records of the query are dropped, the rcode set. Leaves the buffer's
     * position at the end of the question, ready for {@link #appendA}/{@link #appendPtr}.
     */
    static void startResponse(final ByteBuffer message, final int questionEnd, final int rcode)
    {
        final int flags = flags(message);
        message.putShort(FLAGS_OFFSET,
            (short)(FLAG_QR | (flags & (OPCODE_MASK | FLAG_RD)) | FLAG_AA | FLAG_RA | (rcode & 0xF)));
        message.putShort(QDCOUNT_OFFSET, (short)(questionEnd > HEADER_LENGTH ? 1 : 0));
        message.putShort(ANCOUNT_OFFSET, (short)0);
        message.putShort(NSCOUNT_OFFSET, (short)0);
        message.putShort(ARCOUNT_OFFSET, (short)0);
        message.limit(message.capacity());
        message.position(questionEnd);
    }

    /** Appends an A record for the question's name. */
    static void appendA(final ByteBuffer message, final int address)
    {
        appendAnswerHeader(message, TYPE_A, 4);
        message.putInt(address);
    }

    /** Appends an AAAA record for the question's name. */
    static void appendAaaa(final ByteBuffer message, final byte[] address)
    {
        appendAnswerHeader(message, TYPE_AAAA, address.length);
        message.put(address);
    }

    /** Appends a PTR record for the question's name pointing at {@code name}. */
    static void appendPtr(final ByteBuffer message, final String name)
    {
        int length = 1; // the root label
        for (final String label : name.split("\\."))
        {
            length += 1 + label.length();
        }
        appendAnswerHeader(message, TYPE_PTR, length);
        for (final String label : name.split("\\."))
        {
            message.put((byte)label.length());
            for (int i = 0; i < label.length(); i++)
            {
                message.put((byte)label.charAt(i));
            }
        }
        message.put((byte)0);
    }

    /** Bytes an answer of {@code rdataLength} takes. */
    static int answerLength(final int rdataLength)
    {
        return ANSWER_FIXED_LENGTH + rdataLength;
    }

    private static void appendAnswerHeader(final ByteBuffer message, final int type, final int rdataLength)
    {
        message.putShort(POINTER_TO_QUESTION_NAME);
        message.putShort((short)type);
        message.putShort((short)CLASS_IN);
        message.putInt(TTL_SECONDS);
        message.putShort((short)rdataLength);
        message.putShort(ANCOUNT_OFFSET, (short)((message.getShort(ANCOUNT_OFFSET) & 0xFFFF) + 1));
    }

    /** The IPv4 address a reverse name (d.c.b.a.in-addr.arpa) stands for, or null if it is not one. */
    static Integer reverseAddress(final String name)
    {
        if (!name.endsWith(REVERSE_SUFFIX))
        {
            return null;
        }
        final String[] parts = name.substring(0, name.length() - REVERSE_SUFFIX.length()).split("\\.");
        if (parts.length != 4)
        {
            return null;
        }
        int address = 0;
        for (int i = 3; i >= 0; i--)
        {
            final int octet;
            try
            {
                octet = Integer.parseInt(parts[i]);
            }
            catch (final NumberFormatException ex)
            {
                return null;
            }
            if (octet < 0 || octet > 255 || parts[i].length() > 3)
            {
                return null;
            }
            address = (address << 8) | octet;
        }
        return address;
    }
}
