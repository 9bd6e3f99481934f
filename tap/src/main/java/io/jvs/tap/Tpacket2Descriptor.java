package io.jvs.tap;

/**
 * Layout of one TPACKET_V2 ring slot: {@code struct tpacket2_hdr} (include/uapi/linux/if_packet.h), native
 * byte order, followed by the frame. Both the RX and the TX ring use it.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+  0
 *  |                           tp_status                           |
 *  +---------------------------------------------------------------+  4
 *  |                            tp_len                             |
 *  +---------------------------------------------------------------+  8
 *  |                          tp_snaplen                           |
 *  +-------------------------------+-------------------------------+ 12
 *  |            tp_mac             |            tp_net             |
 *  +-------------------------------+-------------------------------+ 16
 *  |                            tp_sec                             |
 *  +---------------------------------------------------------------+ 20
 *  |                            tp_nsec                            |
 *  +-------------------------------+-------------------------------+ 24
 *  |          tp_vlan_tci          |         tp_vlan_tpid          |
 *  +-------------------------------+-------------------------------+ 28
 *  |                          tp_padding                           |
 *  +---------------------------------------------------------------+ 32
 * </pre>
 * RX slot, with PACKET_VNET_HDR: {@code [tpacket2_hdr][sockaddr_ll][pad][virtio_net_hdr][frame]}; the frame
 * starts at {@code tp_mac} and the kernel writes the virtio_net_hdr in the 10 bytes just before it.
 * <p>
 * TX slot: {@code [tpacket2_hdr][virtio_net_hdr][frame]} starting at {@link #TX_DATA_OFFSET}; {@code tp_len}
 * counts the virtio_net_hdr too. The kernel (af_packet.c, tpacket_parse_header) finds the data at
 * {@code tp_hdrlen - sizeof(struct sockaddr_ll)} = TPACKET2_HDRLEN - 20 = 32 when PACKET_TX_HAS_OFF is off.
 */
final class Tpacket2Descriptor
{
    static final int TPACKET_V2 = 1;
    static final int TPACKET_ALIGNMENT = 16;

    static final int HEADER_LENGTH = 32;
    static final int STATUS_OFFSET = 0;
    static final int LEN_OFFSET = 4;
    static final int SNAPLEN_OFFSET = 8;
    static final int MAC_OFFSET = 12;
    static final int NET_OFFSET = 14;

    /** TPACKET2_HDRLEN: TPACKET_ALIGN(sizeof(struct tpacket2_hdr)) + sizeof(struct sockaddr_ll). */
    static final int TPACKET2_HDRLEN = align(HEADER_LENGTH) + SockaddrLlDescriptor.LENGTH;

    /** Where a TX frame's data (virtio_net_hdr first) starts in its slot. */
    static final int TX_DATA_OFFSET = TPACKET2_HDRLEN - SockaddrLlDescriptor.LENGTH;

    // RX status bits, owned by the kernel while TP_STATUS_USER is clear.
    static final int TP_STATUS_KERNEL = 0;
    static final int TP_STATUS_USER = 1;
    static final int TP_STATUS_COPY = 1 << 1;
    static final int TP_STATUS_LOSING = 1 << 2;
    static final int TP_STATUS_CSUMNOTREADY = 1 << 3;
    static final int TP_STATUS_CSUM_VALID = 1 << 7;
    static final int TP_STATUS_GSO_TCP = 1 << 8;

    // TX status values; timestamp bits (29..31) may be or'ed in, so test bits, never compare with ==.
    static final int TP_STATUS_AVAILABLE = 0;
    static final int TP_STATUS_SEND_REQUEST = 1;
    static final int TP_STATUS_SENDING = 1 << 1;
    static final int TP_STATUS_WRONG_FORMAT = 1 << 2;
    static final int TP_STATUS_TX_BUSY = TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING;

    private Tpacket2Descriptor()
    {
    }

    /** TPACKET_ALIGN. */
    static int align(final int length)
    {
        return (length + TPACKET_ALIGNMENT - 1) & ~(TPACKET_ALIGNMENT - 1);
    }
}
