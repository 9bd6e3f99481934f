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

    /**
     * Flows that differ in one field only (a container's successive ephemeral ports, neighbouring addresses), and
     * random 5-tuples, spread evenly over Linux's range: each of 28 buckets of ~1000 ports gets its share within
     * 25 %. Also: TTL and the IP checksum do not change the port; the protocol and the TCP ports do; a fragment
     * ignores its (absent) ports; options shift the ports without changing their weight.
     */
    @Test
    void sourcePortSpreadsFlowsOverTheRange()
    {
        final java.util.Random random = new java.util.Random(6);
        final byte[] f = Packets.udp4(Packets.MAC_B, Packets.MAC_A, 0x0A000001, 0x0A000002, new byte[20]);
        final UnsafeBuffer b = new UnsafeBuffer(f);
        final int ip = 10 + 14;
        final int n = 28_000;
        for (int field = 0; field < 4; field++)
        {
            final int[] buckets = new int[28];
            for (int i = 0; i < n; i++)
            {
                switch (field)
                {
                    case 0 -> b.putShort(ip + 20, (short)(32768 + i), java.nio.ByteOrder.BIG_ENDIAN);
                    case 1 -> b.putInt(ip + 12, 0x0A000000 + i, java.nio.ByteOrder.BIG_ENDIAN);
                    case 2 -> b.putInt(ip + 16, 0xAC100000 + i * 256, java.nio.ByteOrder.BIG_ENDIAN);
                    default ->
                    {
                        b.putInt(ip + 12, random.nextInt());
                        b.putInt(ip + 16, random.nextInt());
                        b.putInt(ip + 20, random.nextInt());
                    }
                }
                final int p = FlowHash.sourcePort(b, 10, f.length - 10);
                assertTrue(p >= 32768 && p < 61000, "port " + p);
                buckets[(p - 32768) * 28 / (61000 - 32768)]++;
            }
            for (final int count : buckets)
            {
                assertTrue(Math.abs(count - n / 28) < n / 28 / 4, "field " + field + ": " +
                    java.util.Arrays.toString(buckets));
            }
        }

        final byte[] g = Packets.udp4(Packets.MAC_B, Packets.MAC_A, 0x0A000001, 0x0A000002, new byte[20]);
        final UnsafeBuffer c = new UnsafeBuffer(g);
        final int base = FlowHash.hash(c, 10, g.length - 10);
        c.putByte(ip + 8, (byte)1);
        c.putShort(ip + 10, (short)0x1234);
        assertEquals(base, FlowHash.hash(c, 10, g.length - 10), "TTL and checksum are not part of the flow");
        c.putByte(ip + 9, (byte)6);
        final int tcp = FlowHash.hash(c, 10, g.length - 10);
        assertNotEquals(base, tcp, "protocol");
        c.putShort(ip + 22, (short)6001, java.nio.ByteOrder.BIG_ENDIAN);
        assertNotEquals(tcp, FlowHash.hash(c, 10, g.length - 10), "destination port");
        c.putShort(ip + 6, (short)0x2000, java.nio.ByteOrder.BIG_ENDIAN); // MF: a first fragment
        final int fragment = FlowHash.hash(c, 10, g.length - 10);
        c.putShort(ip + 22, (short)6002, java.nio.ByteOrder.BIG_ENDIAN);
        assertEquals(fragment, FlowHash.hash(c, 10, g.length - 10), "fragments hash without ports");

        // The same ports behind 4 bytes of options: the same hash as without options.
        final byte[] h = Packets.udp4(Packets.MAC_B, Packets.MAC_A, 0x0A000001, 0x0A000002, new byte[20]);
        final byte[] o = new byte[h.length + 4];
        System.arraycopy(h, 0, o, 0, ip + 20);
        System.arraycopy(h, ip + 20, o, ip + 24, h.length - ip - 20);
        o[ip] = 0x46;
        assertEquals(FlowHash.hash(new UnsafeBuffer(h), 10, h.length - 10),
            FlowHash.hash(new UnsafeBuffer(o), 10, o.length - 10));
    }
}
