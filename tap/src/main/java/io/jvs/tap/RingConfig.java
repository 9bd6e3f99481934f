package io.jvs.tap;

/**
 * PACKET_MMAP ring geometry. Frames must hold a 64 KB GSO frame plus headers, so a slot is large; the frame
 * count bounds how many small frames can wait in the kernel.
 */
public record RingConfig(int frameSize, int rxFrames, int txFrames)
{
    public static RingConfig defaults()
    {
        return new RingConfig(69632, 256, 256);
    }
}
