package io.jvs.vxlan;

import io.jvs.dataplane.l3.Checksum;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The outer IPv4 header checksum built from {@link VxlanTunnelPort}'s per-port template sum. */
class OuterIpChecksumTest
{
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
                Encapsulator.outerIpTemplateSum(local), totalLength), id), peer);
            assertEquals(Packets.referenceChecksum(h, 0, 20, 0), Checksum.finishNative(sum), "i=" + i);
        }
    }
}
