package io.jvs.tap;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Frames of every size cross a port with the default rings (2 KB slots both ways) in the order they were offered:
 * MTU frames through the TX ring, longer ones (jumbo, 64 KB GSO) through the ringless socket. The port sits on one
 * end of a veth, a second port on the other end, inside a namespace of the test's own, reads what arrives.
 */
class FrameSizesTest
{
    private static final int ETH_HEADER = 14;
    private static final int IP_HEADER = 20;
    private static final int TCP_HEADER = 20;
    private static final int IP_ID = ETH_HEADER + 4;
    /**
     * A 64 KB GSO frame as TCP builds them: under the veth's gso_max_size (65536), or the kernel segments it in
     * software on the way out.
     */
    private static final int GSO_FRAME = 65_000;
    private static final int GSO_SIZE = 1448;
    private static final int JUMBO_MTU = 9000;

    private TestNet net;
    private PacketSocketPort sender;
    private PacketSocketPort receiver;

    @BeforeEach
    void setUp()
    {
        net = new TestNet();
        final String ns = net.namespace("n");
        final String a = net.name("a");
        final String b = net.name("b");
        Sh.run("ip", "-n", ns, "link", "add", a, "mtu", Integer.toString(JUMBO_MTU), "type", "veth", "peer", "name", b,
            "mtu", Integer.toString(JUMBO_MTU));
        Sh.run("ip", "-n", ns, "link", "set", a, "up");
        Sh.run("ip", "-n", ns, "link", "set", b, "up");
        sender = NetworkNamespace.call(NetworkNamespace.named(ns), () -> PacketSocketPort.open(a));
        receiver = NetworkNamespace.call(NetworkNamespace.named(ns), () -> PacketSocketPort.open(b));
    }

    @AfterEach
    void tearDown()
    {
        try
        {
            closeQuietly(sender);
            closeQuietly(receiver);
        }
        finally
        {
            net.close(); // the namespace, and the veth with it
        }
    }

    private static void closeQuietly(final PacketSocketPort port)
    {
        if (null != port)
        {
            port.close();
        }
    }

    @Test
    void mtuJumboAndGsoFramesCrossInTheOrderOffered()
    {
        assertEquals(1L << 20, sender.ringBytes(), "RX + TX rings at the defaults");
        assertEquals(2048 - Tpacket2Descriptor.TX_DATA_OFFSET, sender.txSlotRoom());
        assertTrue(sender.maxFrameLength() >= VnetHeader.LENGTH + GSO_FRAME, "a 64 KB GSO frame is a port's frame");

        final List<MutableDirectBuffer> frames = new ArrayList<>();
        int id = 1;
        for (final int length : new int[] {1514, 3000, 1514, 9000, 1514})
        {
            frames.add(frame(direct(length), id++, length, false));
        }
        frames.add(frame(direct(GSO_FRAME), id++, GSO_FRAME, true));
        frames.add(frame(direct(1514), id++, 1514, false));
        // A long frame in a heap buffer (a router's held frame): copied to native memory, sent in its place.
        frames.add(frame(new UnsafeBuffer(new byte[VnetHeader.LENGTH + 3000]), id, 3000, false));

        for (final MutableDirectBuffer frame : frames)
        {
            assertTrue(sender.offer(frame, 0, frame.capacity()), "offered " + frame.capacity() + ": " + sender);
        }
        sender.flush();

        final List<byte[]> received = receive(frames.size());
        final List<Integer> expectedIds = new ArrayList<>();
        final List<Integer> receivedIds = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++)
        {
            expectedIds.add(i + 1);
        }
        for (final byte[] frame : received)
        {
            receivedIds.add(new UnsafeBuffer(frame).getShort(VnetHeader.LENGTH + IP_ID, ByteOrder.BIG_ENDIAN) & 0xFFFF);
        }
        assertEquals(expectedIds, receivedIds, "IPv4 ids in arrival order; sender " + sender + " receiver " + receiver);
        for (int i = 0; i < frames.size(); i++)
        {
            final MutableDirectBuffer sent = frames.get(i);
            final byte[] got = received.get(i);
            assertEquals(sent.capacity(), got.length, "frame " + (i + 1) + " length");
            final byte[] sentFrame = Frames.bytes(sent, VnetHeader.LENGTH, sent.capacity() - VnetHeader.LENGTH);
            final byte[] gotFrame = new byte[got.length - VnetHeader.LENGTH];
            System.arraycopy(got, VnetHeader.LENGTH, gotFrame, 0, gotFrame.length);
            assertArrayEquals(sentFrame, gotFrame, "frame " + (i + 1) + " bytes");
        }
        final UnsafeBuffer gso = new UnsafeBuffer(received.get(5));
        assertEquals(VnetHeader.GSO_TCPV4, gso.getByte(VnetHeader.GSO_TYPE_OFFSET), "still one GSO frame");
        assertEquals(GSO_SIZE, gso.getShort(VnetHeader.GSO_SIZE_OFFSET, ByteOrder.LITTLE_ENDIAN));

        assertEquals(4, sender.txLongFrames(), "3000, 9000, GSO and the heap 3000 left through the ringless socket");
        assertEquals(frames.size(), sender.txFrames());
        assertEquals(0, sender.txLongRefused() + sender.txRejected() + sender.txRingFull(), sender.toString());
        assertEquals(4, receiver.rxLongFrames(), "longer than an RX slot: read from the socket queue");
    }

    @Test
    void aFrameLongerThanASlotIsOnlyRefusedWhenLongerThanTheLongestFrame()
    {
        final MutableDirectBuffer tooLong = direct(sender.maxFrameLength() + 1 - VnetHeader.LENGTH);
        assertFalse(sender.offer(tooLong, 0, tooLong.capacity()));
        assertEquals(1, sender.txRejected());
        final TxClaim claim = sender.txClaim();
        assertEquals(-1, claim.tryClaim(sender.txSlotRoom() + 1), "a claim is built in a slot: at most a slot long");
        assertTrue(claim.tryClaim(sender.txSlotRoom()) >= 0);
        claim.abort();
        assertEquals(0, sender.txFrames());
    }

    private List<byte[]> receive(final int count)
    {
        final List<byte[]> received = new ArrayList<>();
        final FrameHandler handler = (buffer, offset, length) ->
        {
            if (Frames.etherType(buffer, offset) == Frames.ETHERTYPE_IPV4)
            {
                received.add(Frames.bytes(buffer, offset, length));
            }
        };
        try (Poller poller = new Poller(1))
        {
            poller.set(new int[] {receiver.fd()}, 1);
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (received.size() < count && System.nanoTime() < deadline)
            {
                if (receiver.receive(handler, 64) == 0)
                {
                    poller.await(20);
                }
            }
        }
        return received;
    }

    private static short ipChecksum(final MutableDirectBuffer b, final int ip)
    {
        int sum = 0;
        for (int i = 0; i < IP_HEADER; i += 2)
        {
            sum += b.getShort(ip + i, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (short)~sum;
    }

    private static MutableDirectBuffer direct(final int frameLength)
    {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(VnetHeader.LENGTH + frameLength));
    }

    /**
     * {@code [virtio_net_hdr][Ethernet][IPv4][TCP][pattern]} of {@code frameLength} bytes after the header, IPv4 id
     * {@code id}; a GSO frame is a TCP/IPv4 one of 1448-byte segments with a partial checksum, as a container sends.
     */
    private static MutableDirectBuffer frame(final MutableDirectBuffer b, final int id, final int frameLength,
        final boolean gso)
    {
        final int eth = VnetHeader.LENGTH;
        for (int i = 0; i < 6; i++)
        {
            b.putByte(eth + i, (byte)0xFF);
        }
        b.putBytes(eth + 6, new byte[] {0x02, 0, 0, 0, 0x11, 0x22});
        b.putShort(eth + 12, (short)Frames.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        final int ip = eth + ETH_HEADER;
        b.putByte(ip, (byte)0x45);
        b.putShort(ip + 2, (short)(frameLength - ETH_HEADER), ByteOrder.BIG_ENDIAN);
        b.putShort(ip + 4, (short)id, ByteOrder.BIG_ENDIAN);
        b.putByte(ip + 8, (byte)64);
        b.putByte(ip + 9, (byte)6);
        b.putBytes(ip + 12, Frames.ip(10, 78, 0, 1));
        b.putBytes(ip + 16, Frames.ip(10, 78, 0, 2));
        b.putShort(ip + 10, ipChecksum(b, ip), ByteOrder.BIG_ENDIAN);
        final int tcp = ip + IP_HEADER;
        b.putShort(tcp, (short)40000, ByteOrder.BIG_ENDIAN);
        b.putShort(tcp + 2, (short)5201, ByteOrder.BIG_ENDIAN);
        b.putByte(tcp + 12, (byte)0x50);
        b.putByte(tcp + 13, (byte)0x18);
        for (int i = tcp + TCP_HEADER; i < b.capacity(); i++)
        {
            b.putByte(i, (byte)(i * 31 + id));
        }
        if (gso)
        {
            b.putByte(VnetHeader.FLAGS_OFFSET, (byte)VnetHeader.FLAG_NEEDS_CSUM);
            b.putByte(VnetHeader.GSO_TYPE_OFFSET, (byte)VnetHeader.GSO_TCPV4);
            final short headers = (short)(ETH_HEADER + IP_HEADER + TCP_HEADER);
            b.putShort(VnetHeader.HDR_LEN_OFFSET, headers, ByteOrder.LITTLE_ENDIAN);
            b.putShort(VnetHeader.GSO_SIZE_OFFSET, (short)GSO_SIZE, ByteOrder.LITTLE_ENDIAN);
            b.putShort(VnetHeader.CSUM_START_OFFSET, (short)(ETH_HEADER + IP_HEADER), ByteOrder.LITTLE_ENDIAN);
            b.putShort(VnetHeader.CSUM_OFFSET_OFFSET, (short)16, ByteOrder.LITTLE_ENDIAN);
        }
        return b;
    }
}
