package io.jvs.vxlan;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.nio.ByteOrder;
import java.util.Random;

/** Test frames built byte by byte, and an independent checksum (16-bit big-endian words, int arithmetic). */
final class Packets
{
    static final long MAC_A = 0x02_00_00_00_00_0AL;
    static final long MAC_B = 0x02_00_00_00_00_0BL;

    private Packets()
    {
    }

    /** RFC 1071 the slow obvious way. */
    static int referenceChecksum(final byte[] data, final int offset, final int length, final long initial)
    {
        long sum = initial;
        for (int i = 0; i < length; i += 2)
        {
            final int hi = data[offset + i] & 0xFF;
            final int lo = i + 1 < length ? data[offset + i + 1] & 0xFF : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)(~sum & 0xFFFF);
    }

    static long referencePseudo4(final int src, final int dst, final int proto, final int length)
    {
        return (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + proto + length;
    }

    static long referencePseudo6(final byte[] f, final int src, final int dst, final int proto, final int length)
    {
        long s = 0;
        for (int i = 0; i < 16; i += 2)
        {
            s += ((f[src + i] & 0xFF) << 8) | (f[src + i + 1] & 0xFF);
            s += ((f[dst + i] & 0xFF) << 8) | (f[dst + i + 1] & 0xFF);
        }
        return s + proto + (length >>> 16) + (length & 0xFFFF);
    }

    static void putMac(final ByteBuffer b, final long mac)
    {
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            b.put((byte)(mac >>> shift));
        }
    }

    /**
     * [vnet hdr][Ethernet][IPv4][TCP with 12 bytes of options][payload]; vnet as given; IP and TCP checksums as
     * a kernel leaves them for CHECKSUM_PARTIAL: IP header valid, TCP field = pseudo-header sum (not complemented).
     */
    static byte[] tcp4(
        final long dstMac, final long srcMac, final int srcIp, final int dstIp, final byte[] payload, final int gsoType,
        final int gsoSize, final int tcpFlags)
    {
        final int tcpHeader = 32;
        final int ipLength = 20 + tcpHeader + payload.length;
        final ByteBuffer b = ByteBuffer.allocate(10 + 14 + ipLength).order(ByteOrder.BIG_ENDIAN);
        final ByteBuffer vnet = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        vnet.put(0, (byte)1); // NEEDS_CSUM
        vnet.put(1, (byte)gsoType);
        vnet.putShort(2, (short)(14 + 20 + tcpHeader));
        vnet.putShort(4, (short)gsoSize);
        vnet.putShort(6, (short)(14 + 20));
        vnet.putShort(8, (short)16);
        b.position(10);
        putMac(b, dstMac);
        putMac(b, srcMac);
        b.putShort((short)0x0800);
        final int ip = b.position();
        b.put((byte)0x45).put((byte)0).putShort((short)Math.min(ipLength, 0xFFFF)).putShort((short)0x1234)
            .putShort((short)0x4000).put((byte)64).put((byte)6).putShort((short)0).putInt(srcIp).putInt(dstIp);
        final byte[] a = b.array();
        b.putShort(ip + 10, (short)referenceChecksum(a, ip, 20, 0));
        final int tcp = b.position();
        b.putShort((short)40000).putShort((short)5201).putInt(0x7000_0000).putInt(0x1111_2222)
            .put((byte)((tcpHeader / 4) << 4)).put((byte)tcpFlags).putShort((short)0xFFFF).putShort((short)0)
            .putShort((short)0);
        b.put(new byte[]{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}); // NOP NOP timestamps
        b.put(payload);
        // Pseudo-header sum, folded, not complemented: what csum_start/csum_offset expect.
        final int seed = ~referenceChecksum(new byte[0], 0, 0, referencePseudo4(srcIp, dstIp, 6, tcpHeader + payload.length)) & 0xFFFF;
        b.putShort(tcp + 16, (short)seed);
        return a;
    }

    static byte[] tcp6(final byte[] payload, final int gsoSize)
    {
        final int tcpHeader = 20;
        final ByteBuffer b = ByteBuffer.allocate(10 + 14 + 40 + tcpHeader + payload.length);
        b.put(1, (byte)4); // GSO_TCPV6, no NEEDS_CSUM flag checks in the framer for GSO
        b.order(ByteOrder.LITTLE_ENDIAN).putShort(4, (short)gsoSize).order(ByteOrder.BIG_ENDIAN);
        b.position(10);
        putMac(b, MAC_B);
        putMac(b, MAC_A);
        b.putShort((short)0x86DD);
        b.putInt(0x6000_0000).putShort((short)(tcpHeader + payload.length)).put((byte)6).put((byte)64);
        for (int i = 0; i < 32; i++)
        {
            b.put((byte)(0x20 + i));
        }
        b.putShort((short)1234).putShort((short)80).putInt(-5).putInt(1).put((byte)0x50).put((byte)0x19)
            .putShort((short)100).putShort((short)0).putShort((short)0);
        b.put(payload);
        return b.array();
    }

    /** [vnet hdr zero][Ethernet][IPv4][UDP][payload], every checksum valid. */
    static byte[] udp4(final long dstMac, final long srcMac, final int srcIp, final int dstIp, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(10 + 14 + 20 + 8 + payload.length);
        b.position(10);
        putMac(b, dstMac);
        putMac(b, srcMac);
        b.putShort((short)0x0800);
        final int ip = b.position();
        b.put((byte)0x45).put((byte)0).putShort((short)(28 + payload.length)).putShort((short)7)
            .putShort((short)0).put((byte)64).put((byte)17).putShort((short)0).putInt(srcIp).putInt(dstIp);
        b.putShort(ip + 10, (short)referenceChecksum(b.array(), ip, 20, 0));
        final int udp = b.position();
        b.putShort((short)5000).putShort((short)6000).putShort((short)(8 + payload.length)).putShort((short)0);
        b.put(payload);
        b.putShort(udp + 6, (short)referenceChecksum(b.array(), udp, 8 + payload.length,
            referencePseudo4(srcIp, dstIp, 17, 8 + payload.length)));
        return b.array();
    }

    /**
     * The TCP payload carried by delivered IPv4 frames ({@code [vnet hdr][Ethernet][IPv4][TCP 32 B]...}), in order,
     * checking each: a plain segment with a complete, valid checksum and a zero vnet header, or a coalesced GSO
     * frame (GSO_TCPV4, NEEDS_CSUM at the TCP checksum, the field holding the pseudo-header sum).
     */
    static byte[] tcpPayloadOf(final List<byte[]> frames, final int src, final int dst, final int mss)
    {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (final byte[] f : frames)
        {
            final int tcpLength = u16(f, 10 + 14 + 2) - 20;
            if (f[1] == io.jvs.tap.VnetHeader.GSO_NONE)
            {
                org.junit.jupiter.api.Assertions.assertArrayEquals(new byte[10], Arrays.copyOf(f, 10));
                org.junit.jupiter.api.Assertions.assertEquals(0,
                    referenceChecksum(f, 10 + 34, tcpLength, referencePseudo4(src, dst, 6, tcpLength)));
            }
            else
            {
                final ByteBuffer vnet = ByteBuffer.wrap(f).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                org.junit.jupiter.api.Assertions.assertEquals(io.jvs.tap.VnetHeader.FLAG_NEEDS_CSUM, f[0]);
                org.junit.jupiter.api.Assertions.assertEquals(io.jvs.tap.VnetHeader.GSO_TCPV4, f[1]);
                org.junit.jupiter.api.Assertions.assertEquals(14 + 20 + 32, vnet.getShort(2), "hdr_len");
                org.junit.jupiter.api.Assertions.assertEquals(mss, vnet.getShort(4), "gso_size");
                org.junit.jupiter.api.Assertions.assertEquals(34, vnet.getShort(6), "csum_start");
                org.junit.jupiter.api.Assertions.assertEquals(16, vnet.getShort(8), "csum_offset");
                org.junit.jupiter.api.Assertions.assertEquals(0, referenceChecksum(f, 10 + 14, 20, 0), "IPv4 header");
                org.junit.jupiter.api.Assertions.assertEquals(
                    ~referenceChecksum(new byte[0], 0, 0, referencePseudo4(src, dst, 6, tcpLength)) & 0xFFFF,
                    u16(f, 10 + 34 + 16), "partial checksum: the pseudo-header sum");
            }
            out.write(f, 10 + 34 + 32, tcpLength - 32);
        }
        return out.toByteArray();
    }

    static byte[] random(final Random random, final int n)
    {
        final byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    static int u16(final byte[] b, final int i)
    {
        return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
    }

    static int s32(final byte[] b, final int i)
    {
        return (u16(b, i) << 16) | u16(b, i + 2);
    }
}
