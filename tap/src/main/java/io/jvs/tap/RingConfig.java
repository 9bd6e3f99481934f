package io.jvs.tap;

/**
 * PACKET_MMAP ring geometry of a {@link PacketSocketPort}.
 * <p>
 * Both rings have small slots by default, 2 KB: an MTU-sized frame with its ring header, virtio_net_hdr and a VLAN
 * tag fits. A longer frame (a 64 KB GSO frame, a jumbo frame) never takes a slot's worth of room in either ring:
 * on RX the kernel queues it whole on the socket (PACKET_COPY_THRESH) and it is read with recv(); on TX it leaves
 * with one write() on the port's ringless socket ({@link LongFrameSender}). So a port's rings cost
 * {@code (rxFrames + txFrames) x 2 KB}: 384 + 128 slots = 1 MB at the defaults, where 1024 RX slots and 256 TX slots
 * of 68 KB (they had to hold a GSO frame) cost 20 MB.
 * <p>
 * Depths (docs/scale.md, "Memory per port"): RX slots hold the small frames that wait while the switch thread is
 * off its CPU; the kernel also reads the slot a quarter of the ring ahead (tpacket_rcv's room check), so the ring's
 * lines cross between the sender's CPU and the switch's on every frame, and a smaller ring stays in the caches
 * (docs/dataplane.md). TX slots only hold what one forwarding batch (at most 64 frames per port) queues before
 * the flush that hands them to the kernel, so 128 leave a batch of room for frames the kernel has not sent yet.
 * <p>
 * Sockets shared by many ports on a real NIC (a macvlan parent, the uplink) keep TX slots that hold a GSO frame
 * ({@link #withLargeTxSlots()}): there is one per host, and a NIC sends a GSO frame from the slot's pages.
 *
 * @param rxFrameSize minimum bytes per RX slot (ring header, sockaddr_ll, virtio_net_hdr and frame).
 * @param rxFrames    RX slots (rounded up to fill the last block).
 * @param txFrameSize minimum bytes per TX slot (ring header, virtio_net_hdr and frame; a larger-than-page slot
 *                    is rounded up to an odd number of cache lines).
 * @param txFrames    TX slots (rounded up to fill the last block).
 */
public record RingConfig(int rxFrameSize, int rxFrames, int txFrameSize, int txFrames)
{
    /** The same slot size both ways (the geometry before RX and TX slots were sized apart). */
    public RingConfig(final int frameSize, final int rxFrames, final int txFrames)
    {
        this(frameSize, rxFrames, frameSize, txFrames);
    }

    public static final int DEFAULT_RX_FRAME_SIZE = 2048;
    public static final int DEFAULT_RX_FRAMES = 384;
    public static final int DEFAULT_TX_FRAME_SIZE = 2048;
    public static final int DEFAULT_TX_FRAMES = 128;
    /** A TX slot that holds a 64 KB GSO frame with its headers, packed 15 to a 1 MB block ({@link RingGeometry}). */
    public static final int LARGE_TX_FRAME_SIZE = 69632;
    /** 256 large TX slots: 18 MB. */
    public static final int LARGE_TX_FRAMES = 256;

    public static RingConfig defaults()
    {
        return new RingConfig(DEFAULT_RX_FRAME_SIZE, DEFAULT_RX_FRAMES, DEFAULT_TX_FRAME_SIZE, DEFAULT_TX_FRAMES);
    }

    /** This RX ring with TX slots that hold a GSO frame: for one socket that many ports share on a NIC. */
    public RingConfig withLargeTxSlots()
    {
        return new RingConfig(rxFrameSize, rxFrames, LARGE_TX_FRAME_SIZE, LARGE_TX_FRAMES);
    }
}
