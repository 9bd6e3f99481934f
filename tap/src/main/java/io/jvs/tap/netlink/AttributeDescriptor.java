package io.jvs.tap.netlink;

/**
 * Layout of {@code struct rtattr} / {@code struct nlattr}: a type-length-value attribute. The length counts the
 * 4-byte header and the value but not the padding to the next attribute. A nested attribute's value is itself a
 * run of attributes (the kernel ignores the NLA_F_NESTED bit on rtnetlink's old attributes).
 * <pre>
 *  +-------------------------------+-------------------------------+  0
 *  |     rta_len (header + value)  |           rta_type            |
 *  +-------------------------------+-------------------------------+  4
 *  |            value ... padded to 4 bytes                        |
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class AttributeDescriptor
{
    public static final int HEADER_LENGTH = 4;
    public static final int LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = 2;
    /** Flag bits the kernel may set in rta_type (NLA_F_NESTED, NLA_F_NET_BYTEORDER). */
    public static final int TYPE_MASK = 0x3FFF;

    private AttributeDescriptor()
    {
    }
}
