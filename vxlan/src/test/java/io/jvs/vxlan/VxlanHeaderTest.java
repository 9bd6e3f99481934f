package io.jvs.vxlan;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class VxlanHeaderTest
{
    @Test
    void layoutMatchesRfc7348()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[8]);
        b.setMemory(0, 8, (byte)0xFF);
        VxlanHeader.write(b, 0, 0xABCDEF);
        assertArrayEquals(new byte[]{0x08, 0, 0, 0, (byte)0xAB, (byte)0xCD, (byte)0xEF, 0}, b.byteArray());
        assertEquals(0xABCDEF, VxlanHeader.vni(b, 0));
        assertEquals(VxlanHeader.FLAG_VNI_VALID, VxlanHeader.flags(b, 0));
        assertThrows(IllegalArgumentException.class, () -> VxlanHeader.write(b, 0, 1 << 24));
        // Reserved low byte ignored on receipt.
        b.putByte(7, (byte)0x55);
        assertEquals(0xABCDEF, VxlanHeader.vni(b, 0));
    }

    @Test
    void outerOffsets()
    {
        assertEquals(50, OuterHeaders.OVERHEAD);
        assertEquals(10, OuterHeaders.ETHERNET_OFFSET);
        assertEquals(24, OuterHeaders.IPV4_OFFSET);
        assertEquals(44, OuterHeaders.UDP_OFFSET);
        assertEquals(52, OuterHeaders.VXLAN_OFFSET);
        assertEquals(60, OuterHeaders.INNER_OFFSET);
        assertEquals(1500, OuterHeaders.DEFAULT_INNER_MTU + OuterHeaders.OVERHEAD);
    }

    @Test
    void sourcePortInLinuxRangeAndStablePerFlow()
    {
        final byte[] a = Packets.udp4(Packets.MAC_B, Packets.MAC_A, 0x0A000001, 0x0A000002, new byte[10]);
        final byte[] b = Packets.udp4(Packets.MAC_B, Packets.MAC_A, 0x0A000002, 0x0A000001, new byte[99]);
        final int pa = FlowHash.sourcePort(new UnsafeBuffer(a), 10, a.length - 10);
        final int pb = FlowHash.sourcePort(new UnsafeBuffer(b), 10, b.length - 10);
        assertTrue(pa >= 32768 && pa < 61000, "port " + pa);
        assertTrue(pb >= 32768 && pb < 61000, "port " + pb);
        assertNotEquals(pa, pb);
        final byte[] a2 = Packets.udp4(Packets.MAC_B, Packets.MAC_A, 0x0A000001, 0x0A000002, new byte[500]);
        assertEquals(pa, FlowHash.sourcePort(new UnsafeBuffer(a2), 10, a2.length - 10));
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (int h = -100000; h < 100000; h += 7)
        {
            final int p = FlowHash.scale(h * 0x9E3779B9);
            min = Math.min(min, p);
            max = Math.max(max, p);
        }
        assertTrue(min >= 32768 && min < 32800 && max < 61000 && max > 60900, min + ".." + max);
    }
}
