package io.jvs.tap;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A PacketSocketPort on the host end of a veth whose peer is in a test namespace. */
class PacketSocketPortTest
{
    private static final byte[] NS_IP = Frames.ip(10, 77, 0, 1);
    private static final byte[] FAKE_IP = Frames.ip(10, 77, 0, 2);
    private static final byte[] FAKE_MAC = {0x02, 0x00, 0x00, 0x00, 0x00, 0x77};

    private TestNet net;
    private String ns;
    private String hostEnd;
    private String peer;
    private PacketSocketPort port;
    private Process background;

    @BeforeEach
    void setUp()
    {
        net = new TestNet();
        ns = net.namespace("n");
        hostEnd = net.name("h");
        peer = net.name("p");
        net.veth(hostEnd, peer, ns, "10.77.0.1/24");
    }

    @AfterEach
    void tearDown()
    {
        Sh.stop(background);
        try
        {
            if (port != null)
            {
                port.close();
            }
        }
        finally
        {
            net.close();
        }
    }

    private record Seen(int etherType, byte[] dst, byte[] src, byte[] payload, int vnetFlags, int gsoType)
    {
    }

    private List<Seen> receiveFor(final long millis, final java.util.function.Predicate<Seen> until)
    {
        final List<Seen> seen = new ArrayList<>();
        final FrameHandler handler = (buffer, offset, length) ->
        {
            final int frame = offset + VnetHeader.LENGTH;
            seen.add(new Seen(
                Frames.etherType(buffer, offset),
                Frames.bytes(buffer, frame, 6),
                Frames.bytes(buffer, frame + 6, 6),
                Frames.bytes(buffer, frame + 14, length - VnetHeader.LENGTH - 14),
                buffer.getByte(offset + VnetHeader.FLAGS_OFFSET) & 0xFF,
                buffer.getByte(offset + VnetHeader.GSO_TYPE_OFFSET) & 0xFF));
        };
        try (Poller poller = new Poller(1))
        {
            poller.set(new int[] {port.fd()}, 1);
            final long deadline = System.nanoTime() + millis * 1_000_000L;
            while (System.nanoTime() < deadline)
            {
                if (port.receive(handler, 64) == 0)
                {
                    poller.await(20);
                }
                if (seen.stream().anyMatch(until))
                {
                    break;
                }
            }
        }
        return seen;
    }

    @Test
    void receivesFramesSentFromTheNamespace()
    {
        port = PacketSocketPort.open(hostEnd);
        assertTrue(port.ifindex() > 0);
        final byte[] peerMac = TestNet.macBytes(TestNet.mac(ns, peer));
        // A static neighbour so the pings go out as IPv4 frames to a made-up MAC (no ARP first).
        Sh.run("ip", "-n", ns, "neigh", "add", "10.77.0.2", "lladdr", "02:00:00:00:00:77", "dev", peer);
        background = Sh.start(TestNet.inNs(ns, "ping", "-c", "5", "-i", "0.2", "10.77.0.2"));

        final List<Seen> seen = receiveFor(5000, s -> s.etherType() == Frames.ETHERTYPE_IPV4);

        final Seen icmp = seen.stream()
            .filter(s -> s.etherType() == Frames.ETHERTYPE_IPV4)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no IPv4 frame among " + seen.size() + " frames"));
        assertArrayEquals(peerMac, icmp.src());
        assertArrayEquals(FAKE_MAC, icmp.dst());
        assertEquals(1, icmp.payload()[9], "IP protocol ICMP");
        assertArrayEquals(NS_IP, Arrays.copyOfRange(icmp.payload(), 12, 16));
        assertEquals(VnetHeader.GSO_NONE, icmp.gsoType());
        assertEquals(seen.size(), port.rxFrames());
        assertEquals(0, port.truncatedFrames());
        assertTrue((port.rxStatusBitsSeen() & Tpacket2Descriptor.TP_STATUS_USER) != 0);
    }

    @Test
    void offeredArpRequestIsAnsweredByTheNamespace()
    {
        port = PacketSocketPort.open(hostEnd);
        final byte[] peerMac = TestNet.macBytes(TestNet.mac(ns, peer));
        final UnsafeBuffer request = Frames.arpRequest(FAKE_MAC, FAKE_IP, NS_IP);

        assertTrue(port.offer(request, 0, request.capacity()));
        assertEquals(1, port.flush());
        assertEquals(1, port.kicks());
        assertEquals(0, port.flush(), "nothing pending: no kick");
        assertEquals(1, port.kicks());

        final List<Seen> seen = receiveFor(3000, PacketSocketPortTest::isArpReply);
        final Seen reply = seen.stream().filter(PacketSocketPortTest::isArpReply).findFirst()
            .orElseThrow(() -> new AssertionError("no ARP reply among " + seen.size() + " frames"));
        assertArrayEquals(FAKE_MAC, reply.dst());
        assertArrayEquals(peerMac, reply.src());
        assertArrayEquals(peerMac, Arrays.copyOfRange(reply.payload(), 8, 14), "sender MAC");
        assertArrayEquals(NS_IP, Arrays.copyOfRange(reply.payload(), 14, 18), "sender IP");
        assertArrayEquals(FAKE_IP, Arrays.copyOfRange(reply.payload(), 24, 28), "target IP");
        assertEquals(1, port.txFrames());
        assertEquals(0, port.kickErrors());
    }

    private static boolean isArpReply(final Seen s)
    {
        return s.etherType() == Frames.ETHERTYPE_ARP && s.payload().length >= 28 && s.payload()[7] == 2;
    }

    @Test
    void txSlotsComeBackSoASmallRingCarriesManyFrames()
    {
        port = PacketSocketPort.open(hostEnd, new RingConfig(2048, 128, 4));
        assertEquals(2048 - Tpacket2Descriptor.TX_DATA_OFFSET, port.txSlotRoom(), "2 KB slots, two to a page");
        assertEquals(PacketSocketPort.LONG_FRAME_MAX, port.maxFrameLength(), "longer frames take the ringless socket");
        offerUntilSentAndAnswered(40, 1); // a ring of 4 slots must recycle
    }

    /**
     * Offers an ARP request to the namespace {@code frames} times, kicking the ring after every {@code perKick}
     * offers, until every one was taken (5 s at most); the namespace answers each request it got.
     */
    private void offerUntilSentAndAnswered(final int frames, final int perKick)
    {
        final UnsafeBuffer request = Frames.arpRequest(FAKE_MAC, FAKE_IP, NS_IP);
        int accepted = 0;
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (accepted < frames && System.nanoTime() < deadline)
        {
            for (int i = 0; i < perKick && accepted < frames; i++)
            {
                if (port.offer(request, 0, request.capacity()))
                {
                    accepted++;
                }
            }
            port.flush();
        }
        assertEquals(frames, accepted, port.toString());
        final long replies = receiveFor(2000, s -> false).stream().filter(PacketSocketPortTest::isArpReply).count();
        assertEquals(frames, replies, "replies; kernel drops=" + port.kernelDrops() + " " + port);
    }

    @Test
    void largeTxSlotsPackedIntoBlocksCarryFramesAcrossBlockBoundaries()
    {
        // 20 slots of 68 KB: 15 to a 1 MB block, so 2 blocks (30 slots); 100 frames wrap the ring three times.
        port = PacketSocketPort.open(hostEnd, new RingConfig(2048, 128, 69632, 20));
        assertEquals(69632 + 64 - Tpacket2Descriptor.TX_DATA_OFFSET, port.maxFrameLength());
        offerUntilSentAndAnswered(100, 7);
    }

    @Test
    void smallFramesGoOutLinearWhileGsoAndLongFramesKeepTheirHeaderLength()
    {
        port = PacketSocketPort.open(hostEnd);
        final TxClaim claim = port.txClaim();
        final UnsafeBuffer request = Frames.arpRequest(FAKE_MAC, FAKE_IP, NS_IP);
        final int frameLength = request.capacity() - VnetHeader.LENGTH;

        final int small = claim.tryClaim(request.capacity());
        claim.buffer().putBytes(small, request, 0, request.capacity());
        assertEquals(0, hdrLen(claim, small), "the request as built");
        claim.commit(request.capacity());
        assertEquals(frameLength, hdrLen(claim, small), "hdr_len = the whole frame: tpacket_snd copies it linear");
        assertEquals(1, port.flush());
        assertTrue(receiveFor(3000, PacketSocketPortTest::isArpReply).stream().anyMatch(PacketSocketPortTest::isArpReply),
            "the kernel accepted the linear frame and the namespace answered it");

        final int gso = claim.tryClaim(request.capacity());
        claim.buffer().putBytes(gso, request, 0, request.capacity());
        claim.buffer().putByte(gso + VnetHeader.GSO_TYPE_OFFSET, (byte)VnetHeader.GSO_TCPV4);
        claim.buffer().putShort(gso + VnetHeader.HDR_LEN_OFFSET, (short)14, ByteOrder.LITTLE_ENDIAN);
        claim.commit(request.capacity());
        assertEquals(14, hdrLen(claim, gso), "a GSO frame's hdr_len is the kernel's to use as it is");

        final int longLength = VnetHeader.LENGTH + PacketSocketPort.LINEAR_FRAME_MAX + 1;
        final int longFrame = claim.tryClaim(longLength);
        claim.buffer().setMemory(longFrame, longLength, (byte)0);
        claim.buffer().putBytes(longFrame, request, 0, request.capacity());
        claim.commit(longLength);
        assertEquals(0, hdrLen(claim, longFrame), "a long frame keeps the zero-copy fragments");
    }

    private static int hdrLen(final TxClaim claim, final int at)
    {
        return claim.buffer().getShort(at + VnetHeader.HDR_LEN_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
    }

    @Test
    void frameBuiltInAClaimedSlotIsSentAndAnswered()
    {
        port = PacketSocketPort.open(hostEnd);
        final TxClaim claim = port.txClaim();
        final UnsafeBuffer request = Frames.arpRequest(FAKE_MAC, FAKE_IP, NS_IP);

        // Claim more than needed, build in place, commit the real length: tp_len must carry the committed one.
        final int at = claim.tryClaim(request.capacity() + 100);
        assertTrue(at >= 0);
        claim.buffer().setMemory(at, request.capacity() + 100, (byte)0x5A);
        claim.buffer().putBytes(at, request, 0, request.capacity());
        assertEquals(0, port.txFrames(), "nothing queued before commit");
        assertTrue(claim.commit(request.capacity()));
        assertEquals(1, port.flush());

        final List<Seen> seen = receiveFor(3000, PacketSocketPortTest::isArpReply);
        final Seen reply = seen.stream().filter(PacketSocketPortTest::isArpReply).findFirst()
            .orElseThrow(() -> new AssertionError("no ARP reply among " + seen.size() + " frames"));
        assertArrayEquals(FAKE_MAC, reply.dst());
        assertArrayEquals(FAKE_IP, Arrays.copyOfRange(reply.payload(), 24, 28), "target IP");
        assertEquals(1, port.txFrames());
    }

    @Test
    void abortedOrAbandonedClaimsSendNothingAndReuseTheSlot()
    {
        port = PacketSocketPort.open(hostEnd, new RingConfig(2048, 128, 4));
        final TxClaim claim = port.txClaim();
        final UnsafeBuffer request = Frames.arpRequest(FAKE_MAC, FAKE_IP, NS_IP);
        final int first = claim.tryClaim(request.capacity());
        claim.buffer().putBytes(first, request, 0, request.capacity());
        claim.abort();
        assertThrows(IllegalStateException.class, () -> claim.commit(request.capacity()), "aborted: nothing to commit");
        assertEquals(first, claim.tryClaim(request.capacity()), "an aborted claim gives its slot back");
        assertEquals(first, claim.tryClaim(request.capacity()), "a second claim abandons the first, same slot");
        claim.buffer().putBytes(first, request, 0, request.capacity());
        assertTrue(claim.commit(request.capacity()));
        assertNotEquals(first, claim.tryClaim(request.capacity()), "committed: the next claim is the next slot");
        claim.abort();
        assertEquals(1, port.flush());

        final List<Seen> seen = receiveFor(2000, s -> false);
        assertEquals(1, seen.stream().filter(PacketSocketPortTest::isArpReply).count(), "exactly one request left");
        assertEquals(1, port.txFrames());
    }

    @Test
    void claimFailsWhileTheKernelOwnsTheSlotAndSucceedsOnceItIsBack()
    {
        port = PacketSocketPort.open(hostEnd, new RingConfig(2048, 128, 4));
        final TxClaim claim = port.txClaim();
        final UnsafeBuffer request = Frames.arpRequest(FAKE_MAC, FAKE_IP, NS_IP);
        for (int i = 0; i < 4; i++)
        {
            final int at = claim.tryClaim(request.capacity());
            assertTrue(at >= 0, "slot " + i);
            claim.buffer().putBytes(at, request, 0, request.capacity());
            assertTrue(claim.commit(request.capacity()));
        }
        // Every slot is SEND_REQUEST until the kick: the ring is full.
        assertEquals(-1, claim.tryClaim(request.capacity()));
        assertEquals(1, port.txRingFull());
        assertEquals(4, port.flush());
        final long deadline = System.nanoTime() + 2_000_000_000L;
        int at = -1;
        while (at < 0 && System.nanoTime() < deadline)
        {
            at = claim.tryClaim(request.capacity());
        }
        assertTrue(at >= 0, "the kernel hands slots back after sending: " + port);
        claim.abort();
        final List<Seen> seen = receiveFor(2000, s -> false);
        assertEquals(4, seen.stream().filter(PacketSocketPortTest::isArpReply).count(), "replies; " + port);
    }

    @Test
    void claimRefusesBadLengthsAndCommitChecksItsClaim()
    {
        port = PacketSocketPort.open(hostEnd);
        final TxClaim claim = port.txClaim();
        assertEquals(-1, claim.tryClaim(PacketSocketPort.MIN_FRAME_LENGTH - 1));
        assertEquals(-1, claim.tryClaim(port.txSlotRoom() + 1));
        assertEquals(2, port.txRejected());
        assertThrows(IllegalStateException.class, () -> claim.commit(PacketSocketPort.MIN_FRAME_LENGTH));
        assertTrue(claim.tryClaim(100) >= 0);
        assertThrows(IllegalArgumentException.class, () -> claim.commit(101));
        assertThrows(IllegalArgumentException.class, () -> claim.commit(PacketSocketPort.MIN_FRAME_LENGTH - 1));
        claim.abort();
        assertEquals(0, port.txFrames());
        assertEquals(0, port.flush());
    }

    @Test
    void refusesFramesThatCannotBeValidAndCountsThem()
    {
        port = PacketSocketPort.open(hostEnd);
        final UnsafeBuffer tiny = new UnsafeBuffer(new byte[PacketSocketPort.MIN_FRAME_LENGTH - 1]);
        assertFalse(port.offer(tiny, 0, tiny.capacity()));
        final UnsafeBuffer huge = new UnsafeBuffer(new byte[port.maxFrameLength() + 1]);
        assertFalse(port.offer(huge, 0, huge.capacity()));
        assertEquals(2, port.txRejected());
        assertEquals(0, port.txFrames());
        assertEquals(0, port.flush());
    }

    @Test
    void framesTheSocketQueueHasNoRoomForAreCountedAsTruncatedNotHandedOver()
    {
        // A frame longer than an RX slot waits whole in the socket queue, bounded by COPY_QUEUE_BYTES; beyond it
        // the kernel writes only the frame's head into the slot. 3000 frames of 5000 bytes, none read while they
        // arrive: the queue takes the first ~1500, the rest are truncated, and the ring (4096 slots) drops none.
        final int frames = 3000;
        final int frameLength = 5000;
        port = PacketSocketPort.open(hostEnd, new RingConfig(2048, 4096, 4));
        Sh.run("ip", "-n", ns, "link", "set", peer, "mtu", "9000");
        Sh.run("ip", "link", "set", hostEnd, "mtu", "9000");
        Sh.run(TestNet.inNsArray(ns, "python3", "-c", "import socket\n" +
            "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n" +
            "s.bind(('" + peer + "', 0))\n" +
            "f = b'\\xff' * 6 + b'\\x02\\x00\\x00\\x00\\x00\\x77' + b'\\x88\\xb5'\n" +
            "f += bytes(" + (frameLength - 14) + ")\n" +
            "for i in range(" + frames + "): s.send(f)\n"));
        final int[] whole = new int[1];
        final int[] cut = new int[1];
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (whole[0] + port.truncatedFrames() < frames && System.nanoTime() < deadline)
        {
            port.receive((buffer, offset, length) ->
            {
                if (length == VnetHeader.LENGTH + frameLength)
                {
                    whole[0]++;
                }
                else
                {
                    cut[0]++;
                }
            }, 64);
        }
        assertTrue(port.truncatedFrames() > 0, "the queue overflowed: " + port);
        assertTrue(whole[0] > 0, "the queue took frames whole: " + port);
        assertEquals(frames, whole[0] + port.truncatedFrames(), port.toString());
        assertEquals(0, cut[0], "no frame is handed over cut short");
        assertEquals(0, port.kernelDrops());
    }

    @Test
    void framesLongerThanAnRxSlotArriveWholeThroughTheSocketQueue()
    {
        // 2 KB RX slots, 16 KB TX slots: a 5000-byte ping does not fit an RX slot but fits the port's frames.
        port = PacketSocketPort.open(hostEnd, new RingConfig(2048, 64, 16384, 4));
        Sh.run("ip", "-n", ns, "link", "set", peer, "mtu", "9000");
        Sh.run("ip", "link", "set", hostEnd, "mtu", "9000");
        Sh.run("ip", "-n", ns, "neigh", "add", "10.77.0.2", "lladdr", "02:00:00:00:00:77", "dev", peer);
        // Alternate small and long pings so ring order and queue order must agree.
        background = Sh.start(TestNet.inNs(ns, "sh", "-c",
            "for i in 1 2 3; do ping -c 1 -W 0.2 -s 5000 10.77.0.2; ping -c 1 -W 0.2 -s 100 10.77.0.2; done"));
        final List<Seen> seen = receiveFor(5000, s -> false);
        final List<Integer> echoLengths = new ArrayList<>();
        for (final Seen s : seen)
        {
            if (s.etherType() == Frames.ETHERTYPE_IPV4 && s.payload().length > 20 && s.payload()[9] == 1)
            {
                echoLengths.add(s.payload().length);
                assertEquals(s.payload().length, ((s.payload()[2] & 0xFF) << 8) | (s.payload()[3] & 0xFF),
                    "IPv4 total length == bytes handed over");
            }
        }
        // ICMP echo: 20 IP + 8 ICMP + payload.
        assertEquals(List.of(5028, 128, 5028, 128, 5028, 128), echoLengths, port.toString());
        assertEquals(3, port.rxLongFrames(), port.toString());
        assertEquals(0, port.truncatedFrames(), port.toString());
    }

    @Test
    void closedPortRefusesUse()
    {
        port = PacketSocketPort.open(hostEnd);
        port.close();
        port.close();
        assertThrows(IllegalStateException.class, () -> port.receive((b, o, l) -> { }, 1));
        final UnsafeBuffer request = Frames.arpRequest(FAKE_MAC, FAKE_IP, NS_IP);
        assertThrows(IllegalStateException.class, () -> port.offer(request, 0, request.capacity()));
        port = null;
    }

    @Test
    void kernelDropsAreReadableAndStartAtZero()
    {
        port = PacketSocketPort.open(hostEnd);
        assertEquals(0, port.kernelDrops());
    }

    @Test
    void framesTheKernelDropsOnAFullRxRingAreCounted()
    {
        // 2 blocks of 2 KB slots = 4 RX slots; the namespace answers 40 ARP requests that nobody reads meanwhile.
        port = PacketSocketPort.open(hostEnd, new RingConfig(2048, 4, 4096, 64));
        final UnsafeBuffer request = Frames.arpRequest(FAKE_MAC, FAKE_IP, NS_IP);
        final int frames = 40;
        for (int i = 0; i < frames; i++)
        {
            assertTrue(port.offer(request, 0, request.capacity()), "TX slot " + i);
        }
        port.flush();
        final long deadline = System.nanoTime() + 3_000_000_000L;
        long drops = 0;
        while (drops < frames / 2 && System.nanoTime() < deadline)
        {
            drops = port.kernelDrops();
            Thread.onSpinWait();
        }
        assertTrue(drops >= frames / 2, "kernel drops " + drops + " of " + frames + " replies into 4 slots: " + port);
        final long replies = receiveFor(500, s -> false).stream().filter(PacketSocketPortTest::isArpReply).count();
        final long dropped = port.kernelDrops(); // cumulative: late replies may have added to it
        assertTrue(dropped >= drops && replies + dropped <= frames, "received " + replies + " + dropped " + dropped);
    }

    static int ipProtocol(final DirectBuffer b, final int offset)
    {
        return b.getByte(offset + Frames.ETH_PAYLOAD + 9) & 0xFF;
    }

    static int ipTotalLength(final DirectBuffer b, final int offset)
    {
        return b.getShort(offset + Frames.ETH_PAYLOAD + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }
}
