package io.jvs.tap;

import static io.jvs.tap.Tpacket2Descriptor.TPACKET_ALIGNMENT;
import static io.jvs.tap.Tpacket2Descriptor.align;

/**
 * Where the kernel puts the slots of one PACKET_MMAP ring: {@code blocks} blocks of {@code blockSize} bytes, each
 * holding {@code slotsPerBlock} slots {@code slotStride} bytes apart (the kernel finds slot i in block
 * i / slotsPerBlock at (i % slotsPerBlock) * slotStride and wants frame_nr == block_nr * slotsPerBlock). The
 * mmap lays the blocks end to end.
 * <ul>
 *   <li>Slots up to a page (RX: 2 KB) are packed into page-sized blocks, the block's slack spread over its
 *       slots.</li>
 *   <li>Larger slots (TX: a 64 KB GSO frame) are packed {@link #LARGE_SLOT_BLOCK_BYTES} to a block. The kernel
 *       allocates every block as a power-of-two run of pages aligned to its size, so one 68 KB slot per block
 *       cost 128 KB, and every slot's header sat at the same offset of a 128 KB-aligned block, i.e. in the same
 *       sets of the CPU caches. Packed with a stride of an odd number of cache lines, 256 slots take 18 MB
 *       instead of 32 MB and their first lines fall in different cache sets.</li>
 * </ul>
 */
record RingGeometry(int blockSize, int blocks, int slotStride, int slotsPerBlock)
{
    static final int CACHE_LINE_BYTES = 64;
    /** A power of two, so the kernel rounds nothing up: 15 slots of 69696 bytes. */
    static final int LARGE_SLOT_BLOCK_BYTES = 1 << 20;

    /**
     * @param slotSize minimum bytes per slot (rounded up to TPACKET_ALIGNMENT, or to an odd number of cache lines).
     * @param slots    minimum number of slots (rounded up to fill the last block).
     */
    static RingGeometry of(final int slotSize, final int slots, final int pageSize)
    {
        final int aligned = align(slotSize);
        final int blockSize;
        final int slotStride;
        final int perBlock;
        if (aligned <= pageSize)
        {
            blockSize = pageSize;
            perBlock = pageSize / aligned;
            slotStride = pageSize / perBlock & ~(TPACKET_ALIGNMENT - 1);
        }
        else
        {
            final int lines = (aligned + CACHE_LINE_BYTES - 1) / CACHE_LINE_BYTES;
            slotStride = (lines | 1) * CACHE_LINE_BYTES;
            perBlock = Math.max(1, LARGE_SLOT_BLOCK_BYTES / slotStride);
            blockSize = perBlock > 1 ? LARGE_SLOT_BLOCK_BYTES : (slotStride + pageSize - 1) / pageSize * pageSize;
        }
        return new RingGeometry(blockSize, (slots + perBlock - 1) / perBlock, slotStride, perBlock);
    }

    int slots()
    {
        return blocks * slotsPerBlock;
    }

    long length()
    {
        return (long)blocks * blockSize;
    }

    /** Offset of every slot from the start of the ring, in slot order. */
    int[] slotOffsets()
    {
        final int[] offsets = new int[slots()];
        for (int i = 0; i < offsets.length; i++)
        {
            offsets[i] = i / slotsPerBlock * blockSize + i % slotsPerBlock * slotStride;
        }
        return offsets;
    }
}
