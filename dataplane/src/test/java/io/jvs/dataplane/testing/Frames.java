package io.jvs.dataplane.testing;

import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.VnetHeader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds test frames byte by byte (independently of the flyweights under test). */
public final class Frames
{
    private Frames()
    {
    }

    public static byte[] ethernet(final long dst, final long src, final int etherType, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + payload.length).order(ByteOrder.BIG_ENDIAN);
        putMac(b, dst);
        putMac(b, src);
        b.putShort((short)etherType);
        b.put(payload);
        return b.array();
    }

    /** Ethernet with one 802.1Q tag. */
    public static byte[] ethernetVlan(
        final long dst, final long src, final int vlanId, final int etherType, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(18 + payload.length).order(ByteOrder.BIG_ENDIAN);
        putMac(b, dst);
        putMac(b, src);
        b.putShort((short)0x8100);
        b.putShort((short)((5 << 13) | vlanId));
        b.putShort((short)etherType);
        b.put(payload);
        return b.array();
    }

    /** [virtio_net_hdr of zeros][frame], as a port hands it over. */
    public static byte[] withVnet(final byte[] ethernetFrame)
    {
        final byte[] out = new byte[VnetHeader.LENGTH + ethernetFrame.length];
        System.arraycopy(ethernetFrame, 0, out, VnetHeader.LENGTH, ethernetFrame.length);
        return out;
    }

    /** A minimum-size (60 byte) frame with a payload marker, wrapped in a vnet header. */
    public static byte[] simple(final long dst, final long src, final int marker)
    {
        final byte[] payload = new byte[46];
        ByteBuffer.wrap(payload).putInt(marker);
        return withVnet(ethernet(dst, src, 0x88B5, payload));
    }

    /** Marker of a frame built by {@link #simple}. */
    public static int marker(final byte[] vnetFrame)
    {
        return ByteBuffer.wrap(vnetFrame).getInt(VnetHeader.LENGTH + 14);
    }

    public static long src(final byte[] vnetFrame)
    {
        final ByteBuffer b = ByteBuffer.wrap(vnetFrame);
        return ((long)(b.getShort(VnetHeader.LENGTH + 6) & 0xFFFF) << 32) | (b.getInt(VnetHeader.LENGTH + 8) & 0xFFFFFFFFL);
    }

    public static byte[] arp(final int oper, final long sha, final int spa, final long tha, final int tpa)
    {
        final ByteBuffer b = ByteBuffer.allocate(28);
        b.putShort((short)1).putShort((short)0x0800).put((byte)6).put((byte)4).putShort((short)oper);
        putMac(b, sha);
        b.putInt(spa);
        putMac(b, tha);
        b.putInt(tpa);
        return b.array();
    }

    /** IPv4 header with optionWords 32-bit words of options, then payload; total length = header + payload. */
    public static byte[] ipv4(final int protocol, final int src, final int dst, final int optionWords, final byte[] payload)
    {
        final int ihl = 5 + optionWords;
        final ByteBuffer b = ByteBuffer.allocate(ihl * 4 + payload.length);
        b.put((byte)(0x40 | ihl)).put((byte)0).putShort((short)(ihl * 4 + payload.length));
        b.putShort((short)0x1234).putShort((short)0x4000);
        b.put((byte)64).put((byte)protocol).putShort((short)0);
        b.putInt(src).putInt(dst);
        for (int i = 0; i < optionWords; i++)
        {
            b.putInt(0x01010101); // NOPs
        }
        b.put(payload);
        return b.array();
    }

    public static byte[] udp(final int sport, final int dport, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putShort((short)sport).putShort((short)dport).putShort((short)(8 + payload.length)).putShort((short)0);
        b.put(payload);
        return b.array();
    }

    public static byte[] tcp(final int sport, final int dport, final int optionWords, final int flags, final byte[] payload)
    {
        final int dataOffset = 5 + optionWords;
        final ByteBuffer b = ByteBuffer.allocate(dataOffset * 4 + payload.length);
        b.putShort((short)sport).putShort((short)dport).putInt(1000).putInt(2000);
        b.put((byte)(dataOffset << 4)).put((byte)flags).putShort((short)65535).putShort((short)0).putShort((short)0);
        for (int i = 0; i < optionWords; i++)
        {
            b.putInt(0x01010101);
        }
        b.put(payload);
        return b.array();
    }

    public static byte[] icmpEcho(final int type, final int id, final int seq, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.put((byte)type).put((byte)0).putShort((short)0).putShort((short)id).putShort((short)seq);
        b.put(payload);
        return b.array();
    }

    /** IPv6 header + an optional hop-by-hop header (8 bytes) before the upper-layer payload. */
    public static byte[] ipv6(final int upperNextHeader, final boolean hopByHop, final byte[] payload)
    {
        final int extLength = hopByHop ? 8 : 0;
        final ByteBuffer b = ByteBuffer.allocate(40 + extLength + payload.length);
        b.putInt(0x6000_0000 | 0xABCDE);
        b.putShort((short)(extLength + payload.length));
        b.put((byte)(hopByHop ? 0 : upperNextHeader)).put((byte)64);
        b.putLong(0xFD00_0000_0000_0000L).putLong(1);
        b.putLong(0xFD00_0000_0000_0000L).putLong(2);
        if (hopByHop)
        {
            b.put((byte)upperNextHeader).put((byte)0).put(new byte[] {1, 4, 0, 0, 0, 0});
        }
        b.put(payload);
        return b.array();
    }

    private static void putMac(final ByteBuffer b, final long mac)
    {
        b.putShort((short)(mac >>> 32));
        b.putInt((int)mac);
    }

    public static long mac(final String text)
    {
        return MacAddress.parse(text);
    }
}
