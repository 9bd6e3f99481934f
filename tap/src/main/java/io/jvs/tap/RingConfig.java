package io.jvs.tap;

/**
 * PACKET_MMAP ring geometry of a {@link PacketSocketPort}.
 * <p>
 * RX slots are small so that many small frames can wait in the kernel while the switch thread is off its CPU
 * (4096 x 2 KB = 8 MB); a frame that does not fit an RX slot (a 64 KB GSO frame, a jumbo frame) is queued on the
 * socket whole (PACKET_COPY_THRESH) and read with recv(). TX slots must hold the largest frame the switch
 * sends, 64 KB GSO frames included, so they stay large (each costs 128 KB: the kernel allocates a slot as a
 * power-of-two run of pages).
 *
 * @param rxFrameSize minimum bytes per RX slot (ring header, sockaddr_ll, virtio_net_hdr and frame).
 * @param rxFrames    RX slots (rounded up to fill the last page-sized block).
 * @param txFrameSize minimum bytes per TX slot, rounded up to a page.
 * @param txFrames    TX slots.
 */
public record RingConfig(int rxFrameSize, int rxFrames, int txFrameSize, int txFrames)
{
    /** The same slot size both ways (the geometry before RX and TX slots were sized apart). */
    public RingConfig(final int frameSize, final int rxFrames, final int txFrames)
    {
        this(frameSize, rxFrames, frameSize, txFrames);
    }

    public static RingConfig defaults()
    {
        return new RingConfig(2048, 4096, 69632, 256);
    }
}
