package io.jvs.vxlan;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChecksumTest
{
    @Test
    void rfcExampleIpv4Header()
    {
        // Header from the classic example: checksum 0xB861.
        final byte[] h = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
            (byte)0xC0, (byte)0xA8, 0x00, 0x01, (byte)0xC0, (byte)0xA8, 0x00, (byte)0xC7};
        assertEquals(0xB861, Checksum.ipv4Header(new UnsafeBuffer(h), 0, 20));
        assertEquals(0xB861, Packets.referenceChecksum(h, 0, 20, 0));
    }

    @Test
    void matchesReferenceAtEveryLengthAndAlignment()
    {
        final Random random = new Random(42);
        final byte[] data = Packets.random(random, 3000);
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        for (int offset = 0; offset < 9; offset++)
        {
            for (int length = 0; length < 300; length++)
            {
                assertEquals(Packets.referenceChecksum(data, offset, length, 0),
                    Checksum.finish(Checksum.sum(buffer, offset, length)), "offset=" + offset + " length=" + length);
            }
        }
        assertEquals(Packets.referenceChecksum(data, 1, 2999, 0), Checksum.finish(Checksum.sum(buffer, 1, 2999)));
    }

    @Test
    void pseudoHeaderMatchesReference()
    {
        final Random random = new Random(7);
        for (int i = 0; i < 1000; i++)
        {
            final int src = random.nextInt();
            final int dst = random.nextInt();
            final int length = random.nextInt(0x10000);
            assertEquals(Packets.referenceChecksum(new byte[0], 0, 0, Packets.referencePseudo4(src, dst, 6, length)),
                Checksum.finish(Checksum.ipv4PseudoHeader(src, dst, 6, length)));
        }
    }

    @Test
    void unrolledHeaderSumMatchesReference()
    {
        final Random random = new Random(3);
        final byte[] data = Packets.random(random, 64);
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        for (int offset = 0; offset < 40; offset++)
        {
            assertEquals(Packets.referenceChecksum(data, offset, 20, 0),
                Checksum.finish(Checksum.ipv4HeaderSum20(buffer, offset)), "offset=" + offset);
        }
    }

    @Test
    void outerHeaderChecksumFromTemplateMatchesFullSum()
    {
        // The TX path adds total length, identification and destination to a per-port template sum; it must
        // equal the checksum of the whole header as written.
        final Random random = new Random(5);
        for (int i = 0; i < 10_000; i++)
        {
            final int local = random.nextInt();
            final int peer = random.nextInt();
            final int totalLength = random.nextInt(0x10000);
            final int id = random.nextInt(0x10000);
            final byte[] h = new byte[20];
            final UnsafeBuffer b = new UnsafeBuffer(h);
            b.putByte(0, (byte)0x45);
            b.putShort(2, (short)totalLength, java.nio.ByteOrder.BIG_ENDIAN);
            b.putShort(4, (short)id, java.nio.ByteOrder.BIG_ENDIAN);
            b.putShort(6, (short)OuterHeaders.IPV4_FLAGS, java.nio.ByteOrder.BIG_ENDIAN);
            b.putByte(8, (byte)OuterHeaders.TTL);
            b.putByte(9, (byte)17);
            b.putInt(12, local, java.nio.ByteOrder.BIG_ENDIAN);
            b.putInt(16, peer, java.nio.ByteOrder.BIG_ENDIAN);
            final long sum = Checksum.addNetworkInt(Checksum.addNetworkShort(Checksum.addNetworkShort(
                VxlanTunnelPort.outerIpTemplateSum(local), totalLength), id), peer);
            assertEquals(Packets.referenceChecksum(h, 0, 20, 0), Checksum.finish(sum), "i=" + i);
        }
    }
}
