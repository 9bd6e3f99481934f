package io.jvs.macvlan;

import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The IEEE 802.1Q tag between the source MAC and the EtherType, and moving it in and out of a
 * {@code [virtio_net_hdr][frame]} record.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |  destination MAC (6) ...      |   source MAC (6) ...          |   frame bytes 0..11
 *  +-------------------------------+-----+-+-----------------------+
 *  |      TPID 0x8100              | PCP |D|         VID           |   frame bytes 12..15
 *  +-------------------------------+-----+-+-----------------------+
 *  |      EtherType of the payload |                                   frame bytes 16..17
 *  +-------------------------------+
 * </pre>
 * A partial checksum's {@code csum_start} (and {@code hdr_len}) in the virtio_net_hdr count from the start of the
 * frame, so they move by 4 with the payload when a tag is added or removed.
 */
public final class VlanTag
{
    public static final int TPID_OFFSET = EthernetHeader.TYPE_OFFSET;
    public static final int TCI_OFFSET = TPID_OFFSET + 2;
    public static final int LENGTH = EthernetHeader.VLAN_TAG_LENGTH;
    public static final int TPID = EthernetHeader.ETHERTYPE_VLAN;
    public static final int VID_MASK = EthernetHeader.VLAN_ID_MASK;
    /** VID 0 (priority tag only) and 4095 are reserved; 1..4094 name VLANs. */
    public static final int MIN_VID = 1;
    public static final int MAX_VID = 4094;
    /** What the vnet header and the two MAC addresses take, the part that moves when a tag comes or goes. */
    static final int MOVED = VnetHeader.LENGTH + 2 * 6;

    private VlanTag()
    {
    }

    public static boolean isValidVid(final int vid)
    {
        return vid >= MIN_VID && vid <= MAX_VID;
    }

    /**
     * Copies a record into {@code dst} with a tag for {@code vid} inserted.
     *
     * @return the length written (length + 4).
     */
    public static int copyTagged(
        final DirectBuffer src, final int offset, final int length, final MutableDirectBuffer dst, final int at,
        final int vid)
    {
        dst.putBytes(at, src, offset, MOVED);
        dst.putShort(at + MOVED, (short)TPID, ByteOrder.BIG_ENDIAN);
        dst.putShort(at + MOVED + 2, (short)(vid & VID_MASK), ByteOrder.BIG_ENDIAN);
        dst.putBytes(at + MOVED + LENGTH, src, offset + MOVED, length - MOVED);
        shiftOffloadOffsets(dst, at, LENGTH);
        return length + LENGTH;
    }

    /**
     * Removes the tag of a tagged record in place: the vnet header and MACs move 4 bytes up (toward the payload).
     *
     * @return the record's new offset (offset + 4); its length is length - 4.
     */
    public static int stripInPlace(final MutableDirectBuffer b, final int offset)
    {
        for (int i = MOVED - 1; i >= 0; i--) // descending: the destination lies above the source
        {
            b.putByte(offset + LENGTH + i, b.getByte(offset + i));
        }
        final int at = offset + LENGTH;
        shiftOffloadOffsets(b, at, -LENGTH);
        return at;
    }

    private static void shiftOffloadOffsets(final MutableDirectBuffer b, final int vnet, final int delta)
    {
        if ((b.getByte(vnet + VnetHeader.FLAGS_OFFSET) & VnetHeader.FLAG_NEEDS_CSUM) != 0)
        {
            final int start = b.getShort(vnet + VnetHeader.CSUM_START_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            b.putShort(vnet + VnetHeader.CSUM_START_OFFSET, (short)(start + delta), ByteOrder.LITTLE_ENDIAN);
        }
        final int hdrLen = b.getShort(vnet + VnetHeader.HDR_LEN_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        if (hdrLen != 0)
        {
            b.putShort(vnet + VnetHeader.HDR_LEN_OFFSET, (short)(hdrLen + delta), ByteOrder.LITTLE_ENDIAN);
        }
    }
}
