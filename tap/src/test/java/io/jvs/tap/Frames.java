package io.jvs.tap;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/** Builds and reads test frames laid out as [virtio_net_hdr][Ethernet]. */
final class Frames
{
    static final int ETH = VnetHeader.LENGTH;
    static final int ETH_TYPE = ETH + 12;
    static final int ETH_PAYLOAD = ETH + 14;
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_ARP = 0x0806;

    private Frames()
    {
    }

    /** An ARP request (no offloads in the vnet header) from {@code srcMac}/{@code srcIp} for {@code targetIp}. */
    static UnsafeBuffer arpRequest(final byte[] srcMac, final byte[] srcIp, final byte[] targetIp)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[ETH_PAYLOAD + 28]);
        for (int i = 0; i < 6; i++)
        {
            b.putByte(ETH + i, (byte)0xFF);
        }
        b.putBytes(ETH + 6, srcMac);
        b.putShort(ETH_TYPE, (short)ETHERTYPE_ARP, ByteOrder.BIG_ENDIAN);
        final int arp = ETH_PAYLOAD;
        b.putShort(arp, (short)1, ByteOrder.BIG_ENDIAN);
        b.putShort(arp + 2, (short)ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        b.putByte(arp + 4, (byte)6);
        b.putByte(arp + 5, (byte)4);
        b.putShort(arp + 6, (short)1, ByteOrder.BIG_ENDIAN);
        b.putBytes(arp + 8, srcMac);
        b.putBytes(arp + 14, srcIp);
        b.putBytes(arp + 24, targetIp);
        return b;
    }

    static int etherType(final DirectBuffer b, final int frameOffset)
    {
        return b.getShort(frameOffset + ETH_TYPE, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    static byte[] bytes(final DirectBuffer b, final int offset, final int length)
    {
        final byte[] out = new byte[length];
        b.getBytes(offset, out);
        return out;
    }

    static byte[] ip(final int a, final int b, final int c, final int d)
    {
        return new byte[] {(byte)a, (byte)b, (byte)c, (byte)d};
    }
}
