package io.jvs.tap;

/**
 * Layout of {@code struct virtio_net_hdr} (include/uapi/linux/virtio_net.h), little-endian, as the kernel
 * hands it over with PACKET_VNET_HDR and IFF_VNET_HDR.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------+---------------+-------------------------------+
 *  |     flags     |   gso_type    |            hdr_len            |
 *  +---------------+---------------+-------------------------------+
 *  |           gso_size            |          csum_start           |
 *  +-------------------------------+-------------------------------+
 *  |          csum_offset          |
 *  +-------------------------------+
 * </pre>
 */
public final class VnetHeader
{
    public static final int LENGTH = 10;

    public static final int FLAGS_OFFSET = 0;
    public static final int GSO_TYPE_OFFSET = 1;
    public static final int HDR_LEN_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 4;
    public static final int CSUM_START_OFFSET = 6;
    public static final int CSUM_OFFSET_OFFSET = 8;

    public static final int FLAG_NEEDS_CSUM = 1;
    public static final int FLAG_DATA_VALID = 2;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    /** UDP segmentation (VIRTIO_NET_HDR_GSO_UDP_L4): gso_size bytes of UDP payload per datagram. */
    public static final int GSO_UDP_L4 = 5;
    public static final int GSO_ECN = 0x80;

    private VnetHeader()
    {
    }
}
