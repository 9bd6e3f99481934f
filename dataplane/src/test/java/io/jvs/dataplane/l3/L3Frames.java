package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.VnetHeader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Builds [virtio_net_hdr][Ethernet][IPv4][L4] frames with correct checksums (computed here, independently of
 * {@link Checksum}) and reads them back for assertions.
 */
final class L3Frames
{
    static final int ETH = VnetHeader.LENGTH;
    static final int IP = ETH + 14;

    private L3Frames()
    {
    }

    static int ip(final String dotted)
    {
        return Ipv4Addresses.parse(dotted);
    }

    static int sum(final byte[] data, final int from, final int to)
    {
        long sum = 0;
        for (int i = from; i < to; i += 2)
        {
            sum += ((data[i] & 0xFF) << 8) | (i + 1 < to ? data[i + 1] & 0xFF : 0);
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)sum;
    }

    static int pseudo(final int src, final int dst, final int protocol, final int length)
    {
        long s = (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + protocol + length;
        while ((s >>> 16) != 0)
        {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int)s;
    }

    static byte[] ethernet(final long dst, final long src, final int type, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(VnetHeader.LENGTH + 14 + payload.length);
        b.position(VnetHeader.LENGTH);
        b.putShort((short)(dst >>> 32)).putInt((int)dst).putShort((short)(src >>> 32)).putInt((int)src);
        b.putShort((short)type).put(payload);
        return b.array();
    }

    static byte[] arp(final int oper, final long sha, final int spa, final long tha, final int tpa, final long ethDst)
    {
        final ByteBuffer b = ByteBuffer.allocate(28);
        b.putShort((short)1).putShort((short)0x0800).put((byte)6).put((byte)4).putShort((short)oper);
        b.putShort((short)(sha >>> 32)).putInt((int)sha).putInt(spa);
        b.putShort((short)(tha >>> 32)).putInt((int)tha).putInt(tpa);
        return ethernet(ethDst, sha, 0x0806, b.array());
    }

    /** IPv4 packet with a correct header checksum and, for TCP/UDP/ICMP, a correct L4 checksum. */
    static byte[] ipv4(final int protocol, final int src, final int dst, final int ttl, final byte[] l4)
    {
        final byte[] p = new byte[20 + l4.length];
        final ByteBuffer b = ByteBuffer.wrap(p);
        b.put((byte)0x45).put((byte)0).putShort((short)p.length).putShort((short)0x1234).putShort((short)0x4000);
        b.put((byte)ttl).put((byte)protocol).putShort((short)0).putInt(src).putInt(dst);
        b.put(l4);
        b.putShort(10, (short)(~sum(p, 0, 20) & 0xFFFF));
        final int field = protocol == 6 ? 16 : protocol == 17 ? 6 : 2;
        if (field + 2 > l4.length)
        {
            return p; // deliberately truncated L4: no checksum to write
        }
        final int l4Sum = protocol == 1 ? sum(p, 20, p.length) :
            sum(p, 20, p.length) + pseudo(src, dst, protocol, l4.length);
        int c = ~((l4Sum & 0xFFFF) + (l4Sum >>> 16)) & 0xFFFF;
        if (protocol == 17 && c == 0)
        {
            c = 0xFFFF;
        }
        b.putShort(20 + field, (short)c);
        return p;
    }

    static byte[] tcp(final int sport, final int dport, final int flags, final int payloadLength)
    {
        final ByteBuffer b = ByteBuffer.allocate(20 + payloadLength);
        b.putShort((short)sport).putShort((short)dport).putInt(1000).putInt(flags == 0x02 ? 0 : 2000);
        b.put((byte)0x50).put((byte)flags).putShort((short)65535).putShort((short)0).putShort((short)0);
        for (int i = 0; i < payloadLength; i++)
        {
            b.put((byte)(i * 7));
        }
        return b.array();
    }

    static byte[] udp(final int sport, final int dport, final int payloadLength)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + payloadLength);
        b.putShort((short)sport).putShort((short)dport).putShort((short)(8 + payloadLength)).putShort((short)0);
        for (int i = 0; i < payloadLength; i++)
        {
            b.put((byte)(i * 3 + 1));
        }
        return b.array();
    }

    static byte[] icmpEcho(final int type, final int id, final int seq)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + 16);
        b.put((byte)type).put((byte)0).putShort((short)0).putShort((short)id).putShort((short)seq);
        for (int i = 0; i < 16; i++)
        {
            b.put((byte)i);
        }
        return b.array();
    }

    /** ICMP error (type/code) carrying the first {@code quoteLength} bytes of {@code original} (an IPv4 packet). */
    static byte[] icmpError(final int type, final int code, final byte[] original, final int quoteLength)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + quoteLength);
        b.put((byte)type).put((byte)code).putShort((short)0).putInt(0);
        b.put(original, 0, quoteLength);
        return b.array();
    }

    static byte[] frame(final long dst, final long src, final byte[] ipv4)
    {
        return ethernet(dst, src, 0x0800, ipv4);
    }

    /** Marks a frame CHECKSUM_PARTIAL as a container's veth hands it over: L4 field = folded pseudo-header sum. */
    static byte[] partial(final byte[] frame)
    {
        final ByteBuffer b = ByteBuffer.wrap(frame);
        final int protocol = frame[IP + 9] & 0xFF;
        final int l4 = IP + 20;
        final int field = protocol == 6 ? 16 : 6;
        final int length = (b.getShort(IP + 2) & 0xFFFF) - 20;
        b.putShort(l4 + field, (short)pseudo(b.getInt(IP + 12), b.getInt(IP + 16), protocol, length));
        b.put(0, (byte)VnetHeader.FLAG_NEEDS_CSUM);
        b.order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(VnetHeader.CSUM_START_OFFSET, (short)(l4 - ETH));
        b.putShort(VnetHeader.CSUM_OFFSET_OFFSET, (short)field);
        return frame;
    }

    // ---- reading

    static long dstMac(final byte[] f)
    {
        return MacAddress.read(new org.agrona.concurrent.UnsafeBuffer(f), ETH);
    }

    static long srcMac(final byte[] f)
    {
        return MacAddress.read(new org.agrona.concurrent.UnsafeBuffer(f), ETH + 6);
    }

    static int etherType(final byte[] f)
    {
        return ByteBuffer.wrap(f).getShort(ETH + 12) & 0xFFFF;
    }

    static int protocol(final byte[] f)
    {
        return f[IP + 9] & 0xFF;
    }

    static int ttl(final byte[] f)
    {
        return f[IP + 8] & 0xFF;
    }

    static int src(final byte[] f)
    {
        return ByteBuffer.wrap(f).getInt(IP + 12);
    }

    static int dst(final byte[] f)
    {
        return ByteBuffer.wrap(f).getInt(IP + 16);
    }

    static int sport(final byte[] f)
    {
        return ByteBuffer.wrap(f).getShort(IP + 20) & 0xFFFF;
    }

    static int dport(final byte[] f)
    {
        return ByteBuffer.wrap(f).getShort(IP + 22) & 0xFFFF;
    }

    static int icmpType(final byte[] f)
    {
        return f[IP + 20] & 0xFF;
    }

    static int icmpId(final byte[] f)
    {
        return ByteBuffer.wrap(f).getShort(IP + 24) & 0xFFFF;
    }

    static int l4Field(final byte[] f, final int offset)
    {
        return ByteBuffer.wrap(f).getShort(IP + 20 + offset) & 0xFFFF;
    }

    static boolean ipChecksumOk(final byte[] f)
    {
        return sum(f, IP, IP + 20) == 0xFFFF;
    }

    /** A finished L4 checksum verifies (sum including the field = 0xFFFF). */
    static boolean l4ChecksumOk(final byte[] f)
    {
        final int protocol = protocol(f);
        final int total = ByteBuffer.wrap(f).getShort(IP + 2) & 0xFFFF;
        final int end = IP + total;
        int s = sum(f, IP + 20, end);
        if (protocol != 1)
        {
            s += pseudo(src(f), dst(f), protocol, total - 20);
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return s == 0xFFFF;
    }

    /** ARP fields: [oper, sender ip, target ip]. */
    static int[] arpFields(final byte[] f)
    {
        final ByteBuffer b = ByteBuffer.wrap(f);
        return new int[] {b.getShort(IP + 6) & 0xFFFF, b.getInt(IP + 14), b.getInt(IP + 24)};
    }

    static long arpSenderMac(final byte[] f)
    {
        return MacAddress.read(new org.agrona.concurrent.UnsafeBuffer(f), IP + 8);
    }
}
