package io.jvs.vxlan;

import io.jvs.dataplane.l3.Ipv4Addresses;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.jvs.vxlan.Packets.*;
import static org.junit.jupiter.api.Assertions.*;

/** Two VTEPs over in-memory underlays; what one sends is fed to the other. */
class VtepTest
{
    private static final int IP_A = Ipv4Addresses.parse("192.168.50.1");
    private static final int IP_B = Ipv4Addresses.parse("192.168.50.2");
    private static final int IP_C = Ipv4Addresses.parse("192.168.50.3");
    private static final long UNDER_A = 0x02_AA_00_00_00_01L;
    private static final long UNDER_B = 0x02_BB_00_00_00_02L;
    private static final long UNDER_C = 0x02_CC_00_00_00_03L;
    private static final int VNI = 4242;

    private final MemoryUnderlay underA = new MemoryUnderlay();
    private final MemoryUnderlay underB = new MemoryUnderlay();
    private final List<byte[]> arpA = new ArrayList<>();
    private Vtep a;
    private Vtep b;
    private VxlanTunnelPort portA;
    private VxlanTunnelPort portB;
    private final List<byte[]> delivered = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        a = Vtep.create(VtepConfig.of("underA", "192.168.50.1", 24), underA, UNDER_A, recorder(arpA));
        b = Vtep.create(VtepConfig.of("underB", "192.168.50.2", 24).withUdpChecksum(true), underB, UNDER_B,
            recorder(new ArrayList<>()));
        portA = a.openPort(VNI);
        portB = b.openPort(VNI);
        a.setPeers(VNI, "192.168.50.2", "192.168.50.3");
        b.setPeers(VNI, "192.168.50.1");
        // Resolve next hops by ARP replies on the underlays.
        underA.rx.add(arpReply(UNDER_B, IP_B, UNDER_A, IP_A));
        underA.rx.add(arpReply(UNDER_C, IP_C, UNDER_A, IP_A));
        underB.rx.add(arpReply(UNDER_A, IP_A, UNDER_B, IP_B));
        assertEquals(0, PortRx.receive(portA, this::collect, 10));
        assertEquals(0, PortRx.receive(portB, this::collect, 10));
    }

    private static ArpTransmitter recorder(final List<byte[]> sent)
    {
        return new ArpTransmitter()
        {
            public void send(final DirectBuffer frame, final int offset, final int length)
            {
                final byte[] f = new byte[length];
                frame.getBytes(offset, f);
                sent.add(f);
            }

            public void close()
            {
            }
        };
    }

    private void collect(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] f = new byte[length];
        buffer.getBytes(offset, f);
        delivered.add(f);
    }

    static byte[] arpReply(final long senderMac, final int senderIp, final long targetMac, final int targetIp)
    {
        final ByteBuffer f = ByteBuffer.allocate(10 + 60);
        f.position(10);
        putMac(f, targetMac);
        putMac(f, senderMac);
        f.putShort((short)0x0806).putShort((short)1).putShort((short)0x0800).put((byte)6).put((byte)4)
            .putShort((short)2);
        putMac(f, senderMac);
        f.putInt(senderIp);
        putMac(f, targetMac);
        f.putInt(targetIp);
        return f.array();
    }

    static byte[] arpRequest(final long senderMac, final int senderIp, final int targetIp)
    {
        final ByteBuffer f = ByteBuffer.allocate(10 + 42);
        f.position(10);
        putMac(f, 0xFFFF_FFFF_FFFFL);
        putMac(f, senderMac);
        f.putShort((short)0x0806).putShort((short)1).putShort((short)0x0800).put((byte)6).put((byte)4)
            .putShort((short)1);
        putMac(f, senderMac);
        f.putInt(senderIp);
        putMac(f, 0);
        f.putInt(targetIp);
        return f.array();
    }

    @Test
    void remoteEndpointsFromTheStoreAnswerArpLocallyAndUnicastWithoutLearning()
    {
        final long macC = 0x02_42_0A_00_00_03L;
        final int ipC = 0x0A000003;
        final int ipUnknown = 0x0A000009;
        portA.setRemoteEndpoints(RemoteEndpoints.of(java.util.Map.of(ipC, new long[] {macC, IP_C & 0xFFFF_FFFFL})));

        // ARP for a known remote address: answered on the port's receive side, nothing on the underlay.
        final byte[] request = arpRequest(MAC_A, 0x0A000001, ipC);
        assertTrue(portA.offer(new UnsafeBuffer(request), 0, request.length));
        assertEquals(0, underA.tx.size());
        assertEquals(0, portA.txFlooded());
        assertEquals(1, PortRx.receive(portA, this::collect, 10));
        final byte[] reply = delivered.get(0);
        assertEquals(10 + 42, reply.length);
        assertArrayEquals(new byte[10], Arrays.copyOf(reply, 10));
        assertEquals(MAC_A, ByteBuffer.wrap(reply).getLong(10) >>> 16, "to the requester");
        assertEquals(macC, ByteBuffer.wrap(reply).getLong(16) >>> 16, "from the remote MAC");
        assertEquals(0x0806, u16(reply, 22));
        assertEquals(2, u16(reply, 30), "reply");
        assertEquals(macC, ByteBuffer.wrap(reply).getLong(32) >>> 16, "sha");
        assertEquals(ipC, s32(reply, 38), "spa");
        assertEquals(MAC_A, ByteBuffer.wrap(reply).getLong(42) >>> 16, "tha");
        assertEquals(0x0A000001, s32(reply, 48), "tpa");
        assertEquals(1, portA.arpAnswered());

        // ARP for an address the store does not know: flooded to both peers as before.
        final byte[] unknown = arpRequest(MAC_A, 0x0A000001, ipUnknown);
        assertTrue(portA.offer(new UnsafeBuffer(unknown), 0, unknown.length));
        assertEquals(2, underA.tx.size());
        assertEquals(1, portA.txFlooded());

        // Unicast to the remote MAC goes to its VTEP (C) only, with nothing learned.
        underA.tx.clear();
        final byte[] inner = udp4(macC, MAC_A, 0x0A000001, ipC, random(new Random(3), 100));
        assertTrue(portA.offer(new UnsafeBuffer(inner), 0, inner.length));
        assertEquals(1, underA.tx.size());
        assertEquals(IP_C, s32(underA.tx.get(0), 24 + 16));
        assertEquals(1, portA.txStaticUnicast());
        assertEquals(0, portA.remoteMacCount());

        // Withdrawn from the store: flooded again, ARP no longer answered.
        portA.setRemoteEndpoints(RemoteEndpoints.EMPTY);
        assertTrue(portA.offer(new UnsafeBuffer(request), 0, request.length));
        assertEquals(3, underA.tx.size());
        assertEquals(1, portA.arpAnswered());
    }

    @Test
    void theAnycastGatewayStaysLocalOnBothSidesOfTheTunnel()
    {
        final int gateway = 0x0A000001;
        final long routerMac = io.jvs.dataplane.Routing.routerMac(gateway);
        portA.setLocalGateway(gateway);
        portB.setLocalGateway(gateway);

        // A sandbox's ARP for the gateway, the router's frames and frames to the router MAC never leave A.
        final byte[] arpForGateway = arpRequest(MAC_A, 0x0A000002, gateway);
        final byte[] routerArp = arpRequest(routerMac, gateway, 0x0A000003);
        final byte[] toRouter = udp4(routerMac, MAC_A, 0x0A000002, 0x08080808, new byte[40]);
        final byte[] fromRouter = udp4(MAC_A, routerMac, 0x08080808, 0x0A000002, new byte[40]);
        for (final byte[] frame : List.of(arpForGateway, routerArp, toRouter, fromRouter))
        {
            assertTrue(portA.offer(new UnsafeBuffer(frame), 0, frame.length), "consumed");
        }
        assertEquals(0, underA.tx.size(), "nothing tunnelled");
        assertEquals(4, portA.txDrops(TxDrop.LOCAL_GATEWAY));

        // ARP for a sandbox and ordinary frames still cross.
        final byte[] arpForSandbox = arpRequest(MAC_A, 0x0A000002, 0x0A000003);
        assertTrue(portA.offer(new UnsafeBuffer(arpForSandbox), 0, arpForSandbox.length));
        assertEquals(2, underA.tx.size(), "flooded to both peers");

        // A peer that tunnels them anyway (no guard on its side): B drops them before learning the router MAC.
        portA.setLocalGateway(0);
        underA.tx.clear();
        assertTrue(portA.offer(new UnsafeBuffer(fromRouter), 0, fromRouter.length));
        assertTrue(portA.offer(new UnsafeBuffer(arpForGateway), 0, arpForGateway.length));
        underB.rx.add(underA.tx.get(0)); // to B (first peer)
        underB.rx.add(underA.tx.get(2));
        assertEquals(0, PortRx.receive(portB, this::collect, 10));
        assertEquals(2, b.rxDropCounts().get(RxDrop.LOCAL_GATEWAY.label()));
        assertEquals(0, portB.remoteMacPeer(routerMac), "the router MAC is never learned as remote");
        assertEquals(0, portB.remoteMacCount());
    }

    @Test
    void arpRequestsLeaveAtSetPeersAndRepliesResolve()
    {
        assertEquals(2, arpA.size());
        final byte[] req = arpA.get(0);
        assertEquals(0xFFFF_FFFF_FFFFL, ByteBuffer.wrap(req).getLong(0) >>> 16);
        assertEquals(0x0806, u16(req, 12));
        assertEquals(1, u16(req, 20));
        assertEquals(IP_A, s32(req, 28));
        assertEquals(IP_B, s32(req, 38));
        assertEquals(2, a.neighbours().stream().filter(n -> n.mac() != Neighbour.UNRESOLVED).count());
        assertEquals(2, a.arpLearned());
    }

    @Test
    void aPeersRequestForOurAddressIsAnsweredWithARequestBackAtMostOncePerRetryInterval()
    {
        final List<byte[]> sent = new ArrayList<>();
        final MemoryUnderlay under = new MemoryUnderlay();
        try (Vtep d = Vtep.create(VtepConfig.of("underD", "192.168.50.4", 24), under, UNDER_C, recorder(sent)))
        {
            final VxlanTunnelPort port = d.openPort(VNI);
            d.setPeers(VNI, "192.168.50.1");
            assertEquals(1, sent.size(), "the request at setPeers");
            // The peer answers nothing (its kernel would not, both underlays in one namespace), then asks for us.
            under.rx.add(arpRequest(UNDER_A, IP_A, 0xC0A83204));
            assertEquals(0, PortRx.receive(port, this::collect, 10));
            assertEquals(UNDER_A, d.neighbours().get(0).mac(), "learned from the request");
            assertEquals(2, sent.size(), "a request back, so the peer learns our MAC from it");
            assertEquals(1, u16(sent.get(1), 20), "an ARP request");
            assertEquals(0xC0A83204, s32(sent.get(1), 28), "from our address");
            assertEquals(IP_A, s32(sent.get(1), 38), "for the peer's");
            final long afterFirst = sent.size();
            under.rx.add(arpRequest(UNDER_A, IP_A, 0xC0A83204));
            under.rx.add(arpRequest(UNDER_A, IP_A, 0x0A0A0A0A)); // for another address: learns nothing, asks nothing
            assertEquals(0, PortRx.receive(port, this::collect, 10));
            assertEquals(afterFirst, sent.size(), "no second request within the retry interval");
        }
    }

    @Test
    void encapsulatesLikeLinuxAndDecapsulatesBack()
    {
        final byte[] inner = udp4(MAC_B, MAC_A, 0x0A000001, 0x0A000002, random(new Random(9), 300));
        // Unknown unicast: head-end replication to both peers.
        assertTrue(portA.offer(new UnsafeBuffer(inner), 0, inner.length));
        assertEquals(2, underA.tx.size());
        final byte[] outer = underA.tx.get(0);
        assertEquals(OuterHeaders.INNER_OFFSET + inner.length - 10, outer.length);
        assertArrayEquals(new byte[10], Arrays.copyOf(outer, 10), "vnet hdr GSO_NONE, flags 0");
        assertEquals(UNDER_B, ByteBuffer.wrap(outer).getLong(8) & 0xFFFF_FFFF_FFFFL, "outer dst MAC");
        assertEquals(UNDER_A, ByteBuffer.wrap(outer).getLong(14) & 0xFFFF_FFFF_FFFFL, "outer src MAC");
        assertEquals(0x0800, u16(outer, 22));
        final int ip = 24;
        assertEquals(0x45, outer[ip] & 0xFF);
        assertEquals(outer.length - 24, u16(outer, ip + 2));
        assertEquals(0, u16(outer, ip + 6), "DF clear, no fragment, as Linux vxlan without 'df set'");
        assertEquals(64, outer[ip + 8] & 0xFF);
        assertEquals(17, outer[ip + 9] & 0xFF);
        assertEquals(0, referenceChecksum(outer, ip, 20, 0));
        assertEquals(IP_A, s32(outer, ip + 12));
        assertEquals(IP_B, s32(outer, ip + 16));
        assertEquals(IP_C, s32(underA.tx.get(1), ip + 16));
        final int sport = u16(outer, 44);
        assertTrue(sport >= 32768 && sport < 61000);
        assertEquals(4789, u16(outer, 46));
        assertEquals(outer.length - 44, u16(outer, 48));
        assertEquals(0, u16(outer, 50), "UDP checksum 0 by default");
        assertArrayEquals(new byte[]{8, 0, 0, 0, 0, 0x10, (byte)0x92, 0}, Arrays.copyOfRange(outer, 52, 60), "VXLAN I flag, VNI 4242");
        assertArrayEquals(Arrays.copyOfRange(inner, 10, inner.length), Arrays.copyOfRange(outer, 60, outer.length));

        // B gets it: delivered with a zero vnet hdr and the inner frame unchanged; learns MAC_A behind A.
        underB.rx.add(outer);
        assertEquals(1, PortRx.receive(portB, this::collect, 10));
        assertEquals(1, delivered.size());
        assertArrayEquals(inner, delivered.get(0));
        assertEquals(1, portB.remoteMacPeer(MAC_A) > 0 ? 1 : 0);

        // Reply from B to MAC_A is unicast to A only; B computes UDP checksums (configured), A accepts them.
        final byte[] reply = udp4(MAC_A, MAC_B, 0x0A000002, 0x0A000001, random(new Random(10), 64));
        assertTrue(portB.offer(new UnsafeBuffer(reply), 0, reply.length));
        assertEquals(1, underB.tx.size());
        final byte[] back = underB.tx.get(0);
        assertNotEquals(0, u16(back, 50));
        assertEquals(0, referenceChecksum(back, 44, back.length - 44, referencePseudo4(IP_B, IP_A, 17, back.length - 44)));
        underA.rx.add(back);
        delivered.clear();
        assertEquals(1, PortRx.receive(portA, this::collect, 10));
        assertArrayEquals(reply, delivered.get(0));
        assertTrue(portA.remoteMacPeer(MAC_B) > 0);

        // Now A knows MAC_B is behind B: unicast, no flood.
        underA.tx.clear();
        assertTrue(portA.offer(new UnsafeBuffer(inner), 0, inner.length));
        assertEquals(1, underA.tx.size());
        assertEquals(IP_B, s32(underA.tx.get(0), ip + 16));
        assertEquals(1, portA.txFlooded());
    }

    @Test
    void gsoFrameLeavesAsSegmentsThatArriveValid()
    {
        final byte[] payload = random(new Random(11), 20_000);
        final byte[] gso = tcp4(MAC_B, MAC_A, 0x0A000001, 0x0A000002, payload, VnetHeader.GSO_TCPV4, 1448, 0x18);
        b.setPeers(VNI, "192.168.50.1");
        a.setPeers(VNI, "192.168.50.2");
        assertTrue(portA.offer(new UnsafeBuffer(gso), 0, gso.length));
        final int segments = (payload.length + 1397) / 1398;
        assertEquals(segments, underA.tx.size());
        for (final byte[] outer : underA.tx)
        {
            assertTrue(outer.length - 10 <= 1514, "outer frame fits a 1500 MTU: " + outer.length);
            underB.rx.add(outer);
        }
        // The receiving VTEP hands the in-order segments of the batch on as one coalesced GSO frame.
        assertEquals(1, PortRx.receive(portB, this::collect, 1000));
        assertArrayEquals(payload, tcpPayloadOf(delivered, 0x0A000001, 0x0A000002, 1398));
        assertEquals(segments, b.rxCoalescedSegments());
        assertEquals(1, b.rxCoalescedFrames());
    }

    @Test
    void gsoSegmentsForOnePeerLeaveAsOneUdpGsoSuperDatagramThatSplitsBackIntoThem()
    {
        final MemoryUnderlay gsoUnder = new MemoryUnderlay();
        gsoUnder.udpGso = true;
        final Vtep sender = Vtep.create(VtepConfig.of("underA", "192.168.50.1", 24), gsoUnder, UNDER_A,
            recorder(new ArrayList<>()));
        final VxlanTunnelPort port = sender.openPort(VNI);
        sender.setPeers(VNI, "192.168.50.2");
        gsoUnder.rx.add(arpReply(UNDER_B, IP_B, UNDER_A, IP_A));
        assertEquals(0, PortRx.receive(port, this::collect, 10));

        final byte[] payload = random(new Random(12), 20_000);
        final byte[] gso = tcp4(MAC_B, MAC_A, 0x0A000001, 0x0A000002, payload, VnetHeader.GSO_TCPV4, 1448, 0x18);
        assertTrue(port.offer(new UnsafeBuffer(gso), 0, gso.length));
        final int segments = (payload.length + 1397) / 1398;
        assertEquals(1, gsoUnder.tx.size(), "one super-datagram for " + segments + " segments");
        assertEquals(1, port.txUdpGsoFrames());
        assertEquals(segments, port.txOuterFrames());
        final byte[] sup = gsoUnder.tx.get(0);
        final ByteBuffer vnet = ByteBuffer.wrap(sup).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(VnetHeader.FLAG_NEEDS_CSUM, sup[0], "partial UDP checksum");
        assertEquals(VnetHeader.GSO_UDP_L4, sup[1]);
        assertEquals(42, vnet.getShort(2), "hdr_len: outer Ethernet + IPv4 + UDP");
        final int gsoSize = vnet.getShort(4) & 0xFFFF;
        assertEquals(8 + 14 + 20 + 32 + 1398, gsoSize, "VXLAN header + the first inner frame");
        assertEquals(34, vnet.getShort(6), "csum_start: the UDP header");
        assertEquals(6, vnet.getShort(8), "csum_offset: the UDP checksum");
        final int udpLength = sup.length - 10 - 34;
        assertEquals(udpLength, u16(sup, 48));
        assertEquals(udpLength - 8, (segments - 1) * gsoSize + (gsoSize - 1398 + payload.length - (segments - 1) * 1398));
        assertEquals(~referenceChecksum(new byte[0], 0, 0, referencePseudo4(IP_A, IP_B, 17, udpLength)) & 0xFFFF,
            u16(sup, 50), "the UDP checksum field holds the pseudo-header sum, as for CHECKSUM_PARTIAL");
        for (int chunk = 52; chunk < sup.length; chunk += gsoSize)
        {
            assertArrayEquals(new byte[]{8, 0, 0, 0, 0, 0x10, (byte)0x92, 0}, Arrays.copyOfRange(sup, chunk, chunk + 8),
                "every datagram starts with its VXLAN header");
        }

        // A VTEP on the same kernel (veth underlay) gets the super-datagram whole and cuts it itself.
        underB.rx.add(sup);
        assertEquals(1, PortRx.receive(portB, this::collect, 1000), "split, then coalesced back into one GSO frame");
        assertEquals(1, b.rxUdpGsoFrames());
        assertArrayEquals(payload, tcpPayloadOf(delivered, 0x0A000001, 0x0A000002, 1398));
    }

    @Test
    void malformedAndForeignFramesAreCountedAndDropped()
    {
        final byte[] inner = udp4(MAC_B, MAC_A, 0x0A000001, 0x0A000002, new byte[40]);
        assertTrue(portA.offer(new UnsafeBuffer(inner), 0, inner.length));
        final byte[] good = underA.tx.get(0);

        feed(Arrays.copyOf(good, 10 + 14 + 20 + 8 + 4), RxDrop.BAD_IP_HEADER); // total length beyond the frame
        final byte[] shortVx = Arrays.copyOf(good, 60 + 6);
        fixLengths(shortVx);
        feed(shortVx, RxDrop.TOO_SHORT);
        feed(mutate(good, 52, 0x00), RxDrop.BAD_FLAGS);
        feed(mutate(good, 56, 0x77), RxDrop.UNKNOWN_VNI);
        // Reserved bits are ignored on receipt (RFC 7348).
        underB.rx.add(mutate(good, 53, 0x77, 59, 0x77));
        assertEquals(1, PortRx.receive(portB, (buf, o, l) -> { }, 10));
        feed(mutate(good, 24 + 10, 0x00, 24 + 11, 0x01), RxDrop.BAD_IP_CHECKSUM);
        // vnet DATA_VALID: the device verified the checksums, so the header is not summed again (as for UDP).
        underB.rx.add(mutate(good, 0, 0x02, 24 + 10, 0x00, 24 + 11, 0x01));
        assertEquals(1, PortRx.receive(portB, (buf, o, l) -> { }, 10));
        final byte[] frag = mutate(good, 24 + 6, 0x20);
        fixIpChecksum(frag);
        feed(frag, RxDrop.IP_FRAGMENT);
        final byte[] badSum = mutate(good, 50, 0x12, 51, 0x34);
        feed(badSum, RxDrop.BAD_UDP_CHECKSUM);
        final byte[] badUdpLength = mutate(good, 48, 0x7F);
        feed(badUdpLength, RxDrop.BAD_UDP_LENGTH);
        final byte[] stranger = mutate(good, 24 + 12 + 3, 0x63); // source 192.168.50.99
        fixIpChecksum(stranger);
        feed(stranger, RxDrop.UNKNOWN_PEER);

        final byte[] otherPort = mutate(good, 47, 0xB6); // 4790
        underB.rx.add(otherPort);
        assertEquals(0, PortRx.receive(portB, this::collect, 10));
        assertEquals(1, b.ignored(RxIgnored.OTHER_UDP_PORT));
        assertTrue(delivered.isEmpty());

        // The original still passes.
        underB.rx.add(good);
        assertEquals(1, PortRx.receive(portB, this::collect, 10));
    }

    /** RX remembers the last VNI -> port and source -> peer: a new peer set or port list must reach it at once. */
    @Test
    void reconfigurationReachesTheRememberedLookups()
    {
        final byte[] inner = udp4(MAC_B, MAC_A, 0x0A000001, 0x0A000002, new byte[40]);
        assertTrue(portA.offer(new UnsafeBuffer(inner), 0, inner.length));
        final byte[] good = underA.tx.get(0);
        underB.rx.add(good.clone()); // decapsulated in place
        assertEquals(1, PortRx.receive(portB, this::collect, 10));
        delivered.clear();

        b.setPeers(VNI, "192.168.50.3");
        feed(good.clone(), RxDrop.UNKNOWN_PEER);
        b.setPeers(VNI, "192.168.50.1");
        underB.rx.add(good.clone()); // decapsulated in place
        assertEquals(1, PortRx.receive(portB, this::collect, 10));
        delivered.clear();

        final VxlanTunnelPort other = b.openPort(7);
        portB.close();
        final long unknownVni = b.rxDrops(RxDrop.UNKNOWN_VNI);
        underB.rx.add(good.clone()); // decapsulated in place
        assertEquals(0, PortRx.receive(other, this::collect, 10));
        assertEquals(unknownVni + 1, b.rxDrops(RxDrop.UNKNOWN_VNI));
        final VxlanTunnelPort again = b.openPort(VNI);
        b.setPeers(VNI, "192.168.50.1");
        underB.rx.add(good.clone()); // decapsulated in place
        assertEquals(1, PortRx.receive(again, this::collect, 10));
        assertArrayEquals(inner, delivered.get(0));
    }

    /**
     * Decapsulation at its length edges: an inner frame of just an Ethernet header is delivered (one byte less is
     * TOO_SHORT), Ethernet padding after the outer IP packet is not part of the inner frame, and the port's RX counters
     * count what was delivered. Found by mutation testing (docs/mutation-testing.md).
     */
    @Test
    void theSmallestInnerFrameIsDeliveredPaddingIsNotAndRxIsCounted()
    {
        final ByteBuffer bare = ByteBuffer.allocate(10 + 14);
        bare.position(10);
        putMac(bare, MAC_B);
        putMac(bare, MAC_A);
        bare.putShort((short)0x88B5);
        final byte[] inner = bare.array();
        assertTrue(portA.offer(new UnsafeBuffer(inner), 0, inner.length));
        final byte[] outer = underA.tx.get(0);
        final byte[] cut = Arrays.copyOf(outer, outer.length - 1);
        fixLengths(cut);
        underB.rx.add(outer.clone()); // decapsulated in place
        underB.rx.add(Arrays.copyOf(outer, outer.length + 6)); // 6 bytes of Ethernet padding
        assertEquals(2, PortRx.receive(portB, this::collect, 10));
        assertArrayEquals(inner, delivered.get(0));
        assertArrayEquals(inner, delivered.get(1), "the padding stays outside");
        assertEquals(2, portB.rxFrames());
        assertEquals(2 * 14, portB.rxBytes());
        assertEquals(2, b.decapsulated());
        delivered.clear();
        feed(cut, RxDrop.TOO_SHORT);
    }

    /** An outer IPv4 header with options: summed in full (not by the 20-byte fast path) and skipped. */
    @Test
    void anOuterIpv4HeaderWithOptionsIsCheckedAndSkipped()
    {
        final byte[] inner = udp4(MAC_B, MAC_A, 0x0A000001, 0x0A000002, new byte[40]);
        assertTrue(portA.offer(new UnsafeBuffer(inner), 0, inner.length));
        final byte[] outer = underA.tx.get(0);
        final int ip = 24;
        final byte[] options = new byte[outer.length + 4];
        System.arraycopy(outer, 0, options, 0, ip + 20);
        Arrays.fill(options, ip + 20, ip + 24, (byte)1); // NOPs
        System.arraycopy(outer, ip + 20, options, ip + 24, outer.length - ip - 20);
        options[ip] = 0x46;
        ByteBuffer.wrap(options).putShort(ip + 2, (short)(options.length - ip)).putShort(ip + 10, (short)0);
        ByteBuffer.wrap(options).putShort(ip + 10, (short)referenceChecksum(options, ip, 24, 0));
        final byte[] badSum = mutate(options, ip + 22, 0x02); // an option byte: only a full sum sees it
        underB.rx.add(options);
        assertEquals(1, PortRx.receive(portB, this::collect, 10));
        assertArrayEquals(inner, delivered.get(0));
        delivered.clear();
        feed(badSum, RxDrop.BAD_IP_CHECKSUM);
    }

    private void feed(final byte[] frame, final RxDrop reason)
    {
        final long before = b.rxDrops(reason);
        underB.rx.add(frame);
        assertEquals(0, PortRx.receive(portB, this::collect, 10));
        assertEquals(before + 1, b.rxDrops(reason), reason + " " + b.rxDropCounts());
        assertTrue(delivered.isEmpty());
    }

    private static byte[] mutate(final byte[] frame, final int... indexValue)
    {
        final byte[] copy = frame.clone();
        for (int i = 0; i < indexValue.length; i += 2)
        {
            copy[indexValue[i]] = (byte)indexValue[i + 1];
        }
        return copy;
    }

    private static void fixIpChecksum(final byte[] f)
    {
        f[34] = 0;
        f[35] = 0;
        final int c = referenceChecksum(f, 24, 20, 0);
        f[34] = (byte)(c >>> 8);
        f[35] = (byte)c;
    }

    private static void fixLengths(final byte[] f)
    {
        final int ipLength = f.length - 24;
        f[26] = (byte)(ipLength >>> 8);
        f[27] = (byte)ipLength;
        f[48] = (byte)((ipLength - 20) >>> 8);
        f[49] = (byte)(ipLength - 20);
        fixIpChecksum(f);
    }

    /** Frames off the switch's one read of the Vtep, with the port id each was handed over with. */
    private final List<Integer> deliveredIds = new ArrayList<>();

    private int readB(final int limit)
    {
        return b.receive((portId, buffer, offset, length) ->
        {
            deliveredIds.add(portId);
            collect(buffer, offset, length);
        }, limit);
    }

    @Test
    void oneReadOfTheVtepHandsEveryVnisFramesOverWithItsPortsIdInOrder()
    {
        final VxlanTunnelPort a2 = a.openPort(7);
        final VxlanTunnelPort b2 = b.openPort(7);
        a.setPeers(7, "192.168.50.2");
        b.setPeers(7, "192.168.50.1");
        portB.bindReceive(11);
        b2.bindReceive(12);
        final byte[] first = udp4(MAC_B, MAC_A, 1, 2, new byte[50]);
        final byte[] second = udp4(MAC_B, MAC_A, 1, 2, new byte[60]);
        final byte[] third = udp4(MAC_B, MAC_A, 1, 2, new byte[70]);
        assertTrue(a2.offer(new UnsafeBuffer(first), 0, first.length));
        assertTrue(portA.offer(new UnsafeBuffer(second), 0, second.length));
        assertTrue(a2.offer(new UnsafeBuffer(third), 0, third.length));
        for (final byte[] outer : underA.tx)
        {
            if (s32(outer, 24 + 16) == IP_B)
            {
                underB.rx.add(outer);
            }
        }
        assertEquals(3, readB(10), "one read, two VNIs");
        assertEquals(List.of(12, 11, 12), deliveredIds);
        assertArrayEquals(first, delivered.get(0));
        assertArrayEquals(second, delivered.get(1));
        assertArrayEquals(third, delivered.get(2));
        assertEquals(2, b2.rxFrames());
        assertEquals(1, portB.rxFrames());
        assertEquals(0, PortRx.receive(portB, this::collect, 10), "nothing parked for a later poll of a port");
    }

    @Test
    void framesOfAPortNobodyReceivesFromAreDroppedAndCounted()
    {
        portB.bindReceive(io.jvs.tap.SharedLinkPort.UNBOUND); // as before the switch attaches it
        final byte[] inner = udp4(MAC_B, MAC_A, 1, 2, new byte[50]);
        assertTrue(portA.offer(new UnsafeBuffer(inner), 0, inner.length));
        final byte[] outer = underA.tx.get(0);
        underB.rx.add(outer.clone());
        assertEquals(0, readB(10), "portB is not bound");
        assertEquals(1, b.rxDrops(RxDrop.PORT_DETACHED));
        assertTrue(delivered.isEmpty());

        portB.bindReceive(11);
        underB.rx.add(outer.clone());
        assertEquals(1, readB(10));
        assertEquals(List.of(11), deliveredIds);

        portB.bindReceive(io.jvs.tap.SharedLinkPort.UNBOUND);
        underB.rx.add(outer.clone());
        assertEquals(0, readB(10), "unbound again: the switch let go of it");
        assertEquals(2, b.rxDrops(RxDrop.PORT_DETACHED));
        assertEquals(1, delivered.size());
    }

    /** Coalescing never merges one port's segment into another port's frame, and keeps each port's order. */
    @Test
    void segmentsOfOneFlowOnTwoVnisAreNotCoalescedAcrossPorts()
    {
        final VxlanTunnelPort b2 = b.openPort(7);
        b.setPeers(7, "192.168.50.1");
        a.setPeers(VNI, "192.168.50.2");
        portB.bindReceive(11);
        b2.bindReceive(12);
        final byte[] payload = random(new Random(13), 3 * 1398);
        final byte[] gso = tcp4(MAC_B, MAC_A, 0x0A000001, 0x0A000002, payload, VnetHeader.GSO_TCPV4, 1448, 0x10);
        assertTrue(portA.offer(new UnsafeBuffer(gso), 0, gso.length));
        assertEquals(3, underA.tx.size());
        // The middle segment moved to VNI 7 (the outer UDP checksum is 0: nothing else to fix).
        underB.rx.add(underA.tx.get(0));
        underB.rx.add(mutate(underA.tx.get(1), 56, 0, 57, 0, 58, 7));
        underB.rx.add(underA.tx.get(2));
        assertEquals(3, readB(10));
        assertEquals(List.of(11, 12, 11), deliveredIds);
        assertEquals(0, b.rxCoalescedFrames());
        for (int i = 0; i < 3; i++)
        {
            assertArrayEquals(Arrays.copyOfRange(payload, i * 1398, (i + 1) * 1398),
                tcpPayloadOf(List.of(delivered.get(i)), 0x0A000001, 0x0A000002, 1398), "segment " + i);
        }
    }

    @Test
    void noPeersAndUnresolvedNeighbourAreCounted()
    {
        final byte[] inner = udp4(MAC_B, MAC_A, 1, 2, new byte[50]);
        a.setPeers(VNI);
        assertTrue(portA.offer(new UnsafeBuffer(inner), 0, inner.length));
        assertEquals(1, portA.txDrops(TxDrop.NO_PEERS));
        a.setPeers(VNI, "192.168.50.77");
        assertTrue(portA.offer(new UnsafeBuffer(inner), 0, inner.length));
        assertEquals(1, portA.txDrops(TxDrop.NEIGHBOUR_UNRESOLVED));
        assertTrue(underA.tx.isEmpty());
        underA.capacity = 0;
        a.setPeers(VNI, "192.168.50.2");
        underA.rx.add(arpReply(UNDER_B, IP_B, UNDER_A, IP_A));
        assertEquals(0, PortRx.receive(portA, this::collect, 10));
        assertFalse(portA.offer(new UnsafeBuffer(inner), 0, inner.length), "underlay full: the switch counts TX_FULL");
        assertEquals(1, portA.txDrops(TxDrop.UNDERLAY_FULL));
    }

    @Test
    void removedPeerIsNoLongerUsedForLearnedMacs()
    {
        final byte[] fromB = udp4(MAC_A, MAC_B, 2, 1, new byte[50]);
        assertTrue(portB.offer(new UnsafeBuffer(fromB), 0, fromB.length));
        underA.rx.add(underB.tx.get(0));
        assertEquals(1, PortRx.receive(portA, this::collect, 10));
        assertTrue(portA.remoteMacPeer(MAC_B) > 0);
        a.setPeers(VNI, "192.168.50.3");
        final byte[] toB = udp4(MAC_B, MAC_A, 1, 2, new byte[50]);
        assertTrue(portA.offer(new UnsafeBuffer(toB), 0, toB.length));
        assertEquals(IP_C, s32(underA.tx.get(underA.tx.size() - 1), 24 + 16), "flooded to the remaining peer");
    }

    @Test
    void floodsGoOnlyToTheFloodSubsetWhileUnicastAndReceiveUseEveryPeer()
    {
        a.setPeers(VNI, List.of(IP_B, IP_C), List.of(IP_C));
        assertThrows(IllegalArgumentException.class, () -> a.setPeers(VNI, List.of(IP_B), List.of(IP_C)),
            "a flood target must be a peer");

        // Broadcast: C only.
        final byte[] broadcast = arpRequest(MAC_A, 0x0A000001, 0x0A000009);
        assertTrue(portA.offer(new UnsafeBuffer(broadcast), 0, broadcast.length));
        assertEquals(1, underA.tx.size());
        assertEquals(IP_C, s32(underA.tx.get(0), 24 + 16));

        // B, not flooded, is still accepted as a source (its MAC is learned) and reached by unicast.
        final byte[] fromB = udp4(MAC_A, MAC_B, 2, 1, new byte[50]);
        assertTrue(portB.offer(new UnsafeBuffer(fromB), 0, fromB.length));
        underA.rx.add(underB.tx.get(0));
        assertEquals(1, PortRx.receive(portA, this::collect, 10));
        assertTrue(portA.remoteMacPeer(MAC_B) > 0);
        underA.tx.clear();
        final byte[] toB = udp4(MAC_B, MAC_A, 1, 2, new byte[50]);
        assertTrue(portA.offer(new UnsafeBuffer(toB), 0, toB.length));
        assertEquals(1, underA.tx.size());
        assertEquals(IP_B, s32(underA.tx.get(0), 24 + 16));

        // Nobody else has the VNI: a broadcast goes nowhere and is counted.
        a.setPeers(VNI, List.of(IP_B, IP_C), List.of());
        underA.tx.clear();
        assertTrue(portA.offer(new UnsafeBuffer(broadcast), 0, broadcast.length));
        assertTrue(underA.tx.isEmpty());
        assertEquals(1, portA.txDrops(TxDrop.NO_PEERS));
    }
}
