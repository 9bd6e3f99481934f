package io.jvs.tap;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class RingGeometryTest
{
    private static final int PAGE = 4096;

    @Test
    void smallSlotsArePackedIntoPages()
    {
        final RingGeometry rx = RingGeometry.of(RingConfig.DEFAULT_RX_FRAME_SIZE, RingConfig.DEFAULT_RX_FRAMES, PAGE);
        assertEquals(PAGE, rx.blockSize());
        assertEquals(2, rx.slotsPerBlock());
        assertEquals(2048, rx.slotStride());
        assertEquals(384, rx.slots());
        assertEquals(768L << 10, rx.length(), "384 x 2 KB");

        final RingGeometry odd = RingGeometry.of(1500, 5, PAGE);
        assertEquals(2, odd.slotsPerBlock());
        assertEquals(2048, odd.slotStride(), "the page's slack is spread over its slots");
        assertEquals(6, odd.slots(), "rounded up to fill the last block");
    }

    @Test
    void aPortHoldsOneMegabyteOfRingAtTheDefaultsAndATxSlotHoldsAnMtuFrame()
    {
        final RingConfig defaults = RingConfig.defaults();
        final RingGeometry rx = RingGeometry.of(defaults.rxFrameSize(), defaults.rxFrames(), PAGE);
        final RingGeometry tx = RingGeometry.of(defaults.txFrameSize(), defaults.txFrames(), PAGE);
        assertEquals(1L << 20, rx.length() + tx.length(), "RX + TX rings of one port");
        assertEquals(128, tx.slots());
        assertEquals(PAGE, tx.blockSize());
        assertEquals(2048, tx.slotStride());
        final int mtuFrame = VnetHeader.LENGTH + 1514 + 2 * 4; // virtio_net_hdr, Ethernet, two VLAN tags
        assertTrue(tx.slotStride() - Tpacket2Descriptor.TX_DATA_OFFSET >= mtuFrame,
            "TX slot room " + (tx.slotStride() - Tpacket2Descriptor.TX_DATA_OFFSET) + " < " + mtuFrame);
        assertTrue(PacketSocketPort.LINEAR_FRAME_MAX + VnetHeader.LENGTH <= tx.slotStride() -
            Tpacket2Descriptor.TX_DATA_OFFSET, "every frame sent linear (hdr_len = length) fits a slot");

        final RingConfig large = defaults.withLargeTxSlots();
        assertEquals(defaults.rxFrames(), large.rxFrames());
        assertEquals(18L << 20, RingGeometry.of(large.txFrameSize(), large.txFrames(), PAGE).length(),
            "a NIC's shared socket keeps TX slots that hold a GSO frame");
    }

    @Test
    void largeSlotsArePackedIntoOneMegabyteBlocksAtAnOddCacheLineStride()
    {
        final RingGeometry tx = RingGeometry.of(RingConfig.LARGE_TX_FRAME_SIZE, RingConfig.LARGE_TX_FRAMES, PAGE);
        assertEquals(1 << 20, tx.blockSize());
        assertEquals(69632 + 64, tx.slotStride(), "1089 cache lines");
        assertEquals(15, tx.slotsPerBlock());
        assertEquals(18, tx.blocks());
        assertEquals(270, tx.slots(), "256 rounded up to fill the last block");
        assertEquals(18L << 20, tx.length(), "18 MB where one slot per 128 KB block took 32 MB");
        assertTrue(tx.slotsPerBlock() * tx.slotStride() <= tx.blockSize(), "slots fit their block");
        assertTrue(tx.slotStride() >= RingConfig.LARGE_TX_FRAME_SIZE);
    }

    @Test
    void slotOffsetsAreWhereTheKernelPutsThemAndSpreadOverCacheSets()
    {
        final RingGeometry tx = RingGeometry.of(RingConfig.LARGE_TX_FRAME_SIZE, RingConfig.LARGE_TX_FRAMES, PAGE);
        final int[] offsets = tx.slotOffsets();
        assertEquals(tx.slots(), offsets.length);
        assertEquals(0, offsets[0]);
        assertEquals(tx.slotStride(), offsets[1]);
        assertEquals(tx.blockSize(), offsets[tx.slotsPerBlock()], "slot 15 opens the second block");
        final Set<Integer> l1Sets = new HashSet<>();
        for (int i = 0; i < offsets.length; i++)
        {
            assertEquals(i / 15 * (1 << 20) + i % 15 * tx.slotStride(), offsets[i]);
            if (i > 0)
            {
                assertTrue(offsets[i] >= offsets[i - 1] + tx.slotStride(), "slot " + i + " overlaps its predecessor");
            }
            l1Sets.add(offsets[i] / RingGeometry.CACHE_LINE_BYTES % 64);
        }
        assertEquals(15, l1Sets.size(), "each slot of a block starts in its own cache set");
        assertEquals(tx.length(), offsets[offsets.length - 1] + (long)tx.slotStride() + (tx.blockSize() - 15L * tx.slotStride()));
    }

    @Test
    void aSlotLargerThanHalfABlockGetsABlockOfItsOwn()
    {
        final RingGeometry huge = RingGeometry.of(600_000, 3, PAGE);
        assertEquals(1, huge.slotsPerBlock());
        assertEquals(0, huge.blockSize() % PAGE);
        assertTrue(huge.blockSize() >= huge.slotStride());
        assertEquals(3, huge.slots());
    }
}
