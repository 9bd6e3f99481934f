package io.jvs.tap;

/**
 * Layout of {@code struct tpacket_req} (include/uapi/linux/if_packet.h), the PACKET_RX_RING / PACKET_TX_RING
 * argument for TPACKET_V1 and V2: four native-order u32.
 * <pre>
 *  +----------------------+----------------------+----------------------+----------------------+
 *  | tp_block_size  @0    | tp_block_nr  @4      | tp_frame_size  @8    | tp_frame_nr  @12     |
 *  +----------------------+----------------------+----------------------+----------------------+
 * </pre>
 * The kernel wants block_size a multiple of the page size, frame_size a multiple of TPACKET_ALIGNMENT and
 * frame_nr == block_nr * (block_size / frame_size). Each block is allocated as a power-of-two run of pages.
 */
final class TpacketReqDescriptor
{
    static final int LENGTH = 16;
    static final int BLOCK_SIZE_OFFSET = 0;
    static final int BLOCK_NR_OFFSET = 4;
    static final int FRAME_SIZE_OFFSET = 8;
    static final int FRAME_NR_OFFSET = 12;

    private TpacketReqDescriptor()
    {
    }
}
