package io.jvs.vxlan;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Layout of the 8-byte VXLAN header (RFC 7348 section 5), network byte order.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-----------------------------------------------+
 *  |R|R|R|R|I|R|R|R|                   Reserved                    |
 *  +-+-+-+-+-+-+-+-+-------------------------------+---------------+
 *  |              VXLAN Network Identifier (VNI)   |   Reserved    |
 *  +-----------------------------------------------+---------------+
 * </pre>
 * The I flag (0x08) must be set for a valid VNI. Reserved bits are sent as zero and ignored on receipt, as the
 * RFC says (Linux is stricter and drops frames with unknown flag bits; jvs only requires I).
 */
public final class VxlanHeader
{
    public static final int LENGTH = 8;
    public static final int FLAGS_OFFSET = 0;
    public static final int VNI_OFFSET = 4;

    /** The I flag: the VNI field is valid. */
    public static final int FLAG_VNI_VALID = 0x08;
    public static final int MAX_VNI = 0xFF_FFFF;
    /** IANA port for VXLAN (Linux's default "dstport 4789"). */
    public static final int IANA_PORT = 4789;

    private VxlanHeader()
    {
    }

    public static int flags(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    /** The 24-bit VNI (the reserved low byte of the second word is ignored). */
    public static int vni(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + VNI_OFFSET, ByteOrder.BIG_ENDIAN) >>> 8;
    }

    /** Writes flags = I, VNI, and zeroes every reserved field. */
    public static void write(final MutableDirectBuffer buffer, final int offset, final int vni)
    {
        checkVni(vni);
        buffer.putInt(offset + FLAGS_OFFSET, FLAG_VNI_VALID << 24, ByteOrder.BIG_ENDIAN);
        buffer.putInt(offset + VNI_OFFSET, vni << 8, ByteOrder.BIG_ENDIAN);
    }

    public static int checkVni(final int vni)
    {
        if (vni < 0 || vni > MAX_VNI)
        {
            throw new IllegalArgumentException("vni=" + vni + " not in [0, " + MAX_VNI + "]");
        }
        return vni;
    }
}
