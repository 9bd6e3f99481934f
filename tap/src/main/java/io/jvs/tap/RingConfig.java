package io.jvs.tap;

/**
 * PACKET_MMAP ring geometry of a {@link PacketSocketPort}.
 * <p>
 * RX slots are small so that many small frames can wait in the kernel while the switch thread is off its CPU
 * (1024 x 2 KB = 2 MB); a frame that does not fit an RX slot (a 64 KB GSO frame, a jumbo frame) is queued on the
 * socket whole (PACKET_COPY_THRESH) and read with recv(). 1024 slots rather than 4096: the kernel writes each
 * frame into the next slot on the sender's CPU and also reads the slot a quarter of the ring ahead
 * (tpacket_rcv's room check), so the ring's lines cross between the two CPUs on every frame; a ring that stays in
 * the CPUs' caches made the sender's core ~8 % faster at 64 B (trafgen 1.22 -> 1.33 Mpps, docs/dataplane.md).
 * 1024 slots still hold 0.8 ms at 1.3 Mpps, about what the kernel's own backlog (netdev_max_backlog 1000)
 * holds; a host where the switch thread is often descheduled loses less with more slots (same page).
 * TX slots must hold the largest frame the switch sends, 64 KB GSO frames included, so they stay large; they
 * are packed 15 to a 1 MB block ({@link RingGeometry}): 256 slots cost 18 MB of kernel memory.
 *
 * @param rxFrameSize minimum bytes per RX slot (ring header, sockaddr_ll, virtio_net_hdr and frame).
 * @param rxFrames    RX slots (rounded up to fill the last block).
 * @param txFrameSize minimum bytes per TX slot (a larger-than-page slot is rounded up to an odd number of
 *                    cache lines).
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
    public static final int DEFAULT_RX_FRAMES = 1024;
    public static final int DEFAULT_TX_FRAME_SIZE = 69632;
    public static final int DEFAULT_TX_FRAMES = 256;

    public static RingConfig defaults()
    {
        return new RingConfig(DEFAULT_RX_FRAME_SIZE, DEFAULT_RX_FRAMES, DEFAULT_TX_FRAME_SIZE, DEFAULT_TX_FRAMES);
    }
}
