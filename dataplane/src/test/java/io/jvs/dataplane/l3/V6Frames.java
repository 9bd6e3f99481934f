package io.jvs.dataplane.l3;

import io.jvs.tap.VnetHeader;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Builds [virtio_net_hdr][Ethernet][IPv6][ICMPv6 / UDP / ...] frames for the router's IPv6 tests, with ICMPv6
 * checksums computed here word by word (a reference independent of {@link Checksum}), and reads them back.
 */
final class V6Frames
{
    static final int ETH = VnetHeader.LENGTH;
    static final int IP = ETH + 14;
    static final int L4 = IP + 40;

    private V6Frames()
    {
    }

    static byte[] addr(final String text)
    {
        try
        {
            final byte[] a = InetAddress.getByName(text).getAddress();
            if (a.length != 16)
            {
                throw new IllegalArgumentException(text);
            }
            return a;
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException(ex);
        }
    }

    static byte[] ethernet(final long dst, final long src, final byte[] ipv6)
    {
        return L3Frames.ethernet(dst, src, 0x86DD, ipv6);
    }

    /** An IPv6 packet: fixed header (flow label 0) and the payload as given (extension headers included). */
    static byte[] ipv6(final byte[] src, final byte[] dst, final int nextHeader, final int hopLimit,
        final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt(0x6000_0000).putShort((short)payload.length).put((byte)nextHeader).put((byte)hopLimit);
        b.put(src).put(dst).put(payload);
        return b.array();
    }

    /** An ICMPv6 message (type, code, the rest as given) with its checksum over the pseudo-header. */
    static byte[] icmpv6(final byte[] src, final byte[] dst, final int type, final int code, final byte[] rest)
    {
        final byte[] m = new byte[4 + rest.length];
        m[0] = (byte)type;
        m[1] = (byte)code;
        System.arraycopy(rest, 0, m, 4, rest.length);
        final int sum = referenceSum(src, dst, 58, m, 0, m.length);
        m[2] = (byte)(~sum >>> 8);
        m[3] = (byte)~sum;
        return m;
    }

    /** The folded one's-complement sum of the pseudo-header (RFC 8200 8.1) and the message, 16 bits at a time. */
    static int referenceSum(final byte[] src, final byte[] dst, final int nextHeader, final byte[] data,
        final int from, final int length)
    {
        long s = 0;
        for (int i = 0; i < 16; i += 2)
        {
            s += ((src[i] & 0xFF) << 8) | (src[i + 1] & 0xFF);
            s += ((dst[i] & 0xFF) << 8) | (dst[i + 1] & 0xFF);
        }
        s += (length >>> 16) + (length & 0xFFFF) + nextHeader;
        for (int i = 0; i < length; i += 2)
        {
            s += ((data[from + i] & 0xFF) << 8) | (i + 1 < length ? data[from + i + 1] & 0xFF : 0);
        }
        while ((s >>> 16) != 0)
        {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int)s;
    }

    static byte[] echoBody(final int id, final int seq, final int dataLength)
    {
        final ByteBuffer b = ByteBuffer.allocate(4 + dataLength);
        b.putShort((short)id).putShort((short)seq);
        for (int i = 0; i < dataLength; i++)
        {
            b.put((byte)i);
        }
        return b.array();
    }

    /** Neighbour solicitation / advertisement body: flags word, target, and a link-layer option if mac >= 0. */
    static byte[] ndBody(final int flags, final byte[] target, final int optionType, final long mac)
    {
        final ByteBuffer b = ByteBuffer.allocate(4 + 16 + (mac >= 0 ? 8 : 0));
        b.putInt(flags << 24).put(target);
        if (mac >= 0)
        {
            b.put((byte)optionType).put((byte)1).putShort((short)(mac >>> 32)).putInt((int)mac);
        }
        return b.array();
    }

    static byte[] udp(final int sport, final int dport, final int payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(8 + payload);
        b.putShort((short)sport).putShort((short)dport).putShort((short)(8 + payload)).putShort((short)0);
        return b.array();
    }

    /** A TCP segment (20-byte header, {@code payload} bytes) with its checksum over the IPv6 pseudo-header. */
    static byte[] tcp(final byte[] src, final byte[] dst, final int sport, final int dport, final int flags,
        final int payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(20 + payload);
        b.putShort((short)sport).putShort((short)dport).putInt(1000).putInt(0);
        b.put((byte)0x50).put((byte)flags).putShort((short)65535).putShort((short)0).putShort((short)0);
        final byte[] m = b.array();
        final int sum = referenceSum(src, dst, 6, m, 0, m.length);
        m[16] = (byte)(~sum >>> 8);
        m[17] = (byte)~sum;
        return m;
    }

    /** UDP with its checksum over the IPv6 pseudo-header (mandatory in IPv6). */
    static byte[] udp(final byte[] src, final byte[] dst, final int sport, final int dport, final int payload)
    {
        final byte[] m = udp(sport, dport, payload);
        final int sum = referenceSum(src, dst, 17, m, 0, m.length);
        m[6] = (byte)(~sum >>> 8);
        m[7] = (byte)~sum;
        return m;
    }

    /** The L4 checksum (TCP, UDP, ICMPv6; no extension headers) verifies by the reference sum. */
    static boolean l4ChecksumOk(final byte[] f)
    {
        return referenceSum(src(f), dst(f), nextHeader(f), f, L4, payloadLength(f)) == 0xFFFF;
    }

    static int u16(final byte[] f, final int at)
    {
        return ((f[at] & 0xFF) << 8) | (f[at + 1] & 0xFF);
    }

    /** Solicited-node group ff02::1:ffXX:XXXX of an address. */
    static byte[] solicitedNode(final byte[] address)
    {
        final byte[] g = addr("ff02::1:ff00:0");
        g[13] = address[13];
        g[14] = address[14];
        g[15] = address[15];
        return g;
    }

    static long solicitedNodeMac(final byte[] address)
    {
        return 0x3333_FF00_0000L | ((address[13] & 0xFFL) << 16) | ((address[14] & 0xFFL) << 8) | (address[15] & 0xFFL);
    }

    // ---- reading

    static boolean isIpv6(final byte[] f)
    {
        return L3Frames.etherType(f) == 0x86DD;
    }

    static int nextHeader(final byte[] f)
    {
        return f[IP + 6] & 0xFF;
    }

    static int hopLimit(final byte[] f)
    {
        return f[IP + 7] & 0xFF;
    }

    static int payloadLength(final byte[] f)
    {
        return ((f[IP + 4] & 0xFF) << 8) | (f[IP + 5] & 0xFF);
    }

    static byte[] src(final byte[] f)
    {
        return Arrays.copyOfRange(f, IP + 8, IP + 24);
    }

    static byte[] dst(final byte[] f)
    {
        return Arrays.copyOfRange(f, IP + 24, IP + 40);
    }

    static int icmpType(final byte[] f)
    {
        return f[L4] & 0xFF;
    }

    static int icmpCode(final byte[] f)
    {
        return f[L4 + 1] & 0xFF;
    }

    static int u8(final byte[] f, final int at)
    {
        return f[at] & 0xFF;
    }

    static int u32(final byte[] f, final int at)
    {
        return ByteBuffer.wrap(f).getInt(at);
    }

    static long mac(final byte[] f, final int at)
    {
        final ByteBuffer b = ByteBuffer.wrap(f);
        return ((b.getShort(at) & 0xFFFFL) << 32) | (b.getInt(at + 2) & 0xFFFF_FFFFL);
    }

    /** ICMPv6 (no extension headers) checksum verifies by the reference sum. */
    static boolean icmpv6ChecksumOk(final byte[] f)
    {
        return nextHeader(f) == 58 && referenceSum(src(f), dst(f), 58, f, L4, payloadLength(f)) == 0xFFFF;
    }
}
