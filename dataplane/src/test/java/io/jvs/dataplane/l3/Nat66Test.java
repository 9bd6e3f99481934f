package io.jvs.dataplane.l3;

import io.jvs.dataplane.Routing;
import io.jvs.dataplane.Switch;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.testing.MemoryPort;
import io.jvs.tap.VnetHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Predicate;

import static io.jvs.dataplane.l3.RouterWaits.awaitCounter;
import static io.jvs.dataplane.l3.RouterWaits.next;
import static io.jvs.dataplane.l3.V6Frames.L4;
import static io.jvs.dataplane.l3.V6Frames.addr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NAT66 through the real agents with in-memory ports: a network 2001:db8:78::/64 masqueraded to the uplink's
 * 2001:db8:77::2 (gateway ::1 on the uplink); checksums checked with {@link V6Frames#referenceSum}.
 */
class Nat66Test
{
    private static final long C1_MAC = MacAddress.parse("02:00:00:00:00:02");
    private static final long OUT_MAC = MacAddress.parse("02:00:00:00:00:99");
    private static final byte[] GW = addr("2001:db8:78::1");
    private static final byte[] C1 = addr("2001:db8:78::2");
    private static final byte[] UPLINK = addr("2001:db8:77::2");
    private static final byte[] UPLINK_GW = addr("2001:db8:77::1");
    private static final byte[] REMOTE = addr("2001:db8:ffff::5");

    private Switch sw;
    private Routing routing;
    private MemoryPort c1;
    private MemoryPort uplink;
    private long gwMac;
    private long uplinkMac;

    @AfterEach
    void close()
    {
        if (null != sw)
        {
            sw.close();
        }
    }

    private void start()
    {
        sw = Switch.start(SwitchConfig.defaults(), NatConfig.defaults());
        routing = sw.routing();
        final int bd = sw.createBridgeDomain("net");
        c1 = new MemoryPort("c1");
        sw.addPort(c1, bd);
        routing.setGateway(bd, "10.78.0.1", 24, false);
        routing.setIpv6Gateway(bd, "2001:db8:78::1", 64);
        gwMac = routing.gatewayMac(bd);
        uplink = new MemoryPort("uplink");
        routing.setUplink(uplink, "10.77.0.2/24", null);
        routing.setUplinkIpv6("2001:db8:77::2/64", "2001:db8:77::1");
        // The sandbox asks for the gateway first: the router learns its MAC.
        final byte[] group = V6Frames.solicitedNode(GW);
        c1.inject(V6Frames.ethernet(V6Frames.solicitedNodeMac(GW), C1_MAC, V6Frames.ipv6(C1, group, 58, 255,
            V6Frames.icmpv6(C1, group, 135, 0, V6Frames.ndBody(0, GW, 1, C1_MAC)))));
        next(c1, isIcmpv6(136));
    }

    private static Predicate<byte[]> isIcmpv6(final int type)
    {
        return f -> V6Frames.isIpv6(f) && V6Frames.nextHeader(f) == 58 && V6Frames.icmpType(f) == type;
    }

    private static Predicate<byte[]> isProtocol(final int nextHeader)
    {
        return f -> V6Frames.isIpv6(f) && V6Frames.nextHeader(f) == nextHeader;
    }

    /** The first packet out: the router solicits the uplink's gateway, which answers. */
    private void answerGatewaySolicitation()
    {
        final byte[] ns = next(uplink, isIcmpv6(135));
        assertArrayEquals(UPLINK, V6Frames.src(ns));
        assertArrayEquals(UPLINK_GW, Arrays.copyOfRange(ns, L4 + 8, L4 + 24));
        uplinkMac = L3Frames.srcMac(ns);
        uplink.inject(V6Frames.ethernet(uplinkMac, OUT_MAC, V6Frames.ipv6(UPLINK_GW, UPLINK, 58, 255,
            V6Frames.icmpv6(UPLINK_GW, UPLINK, 136, 0, V6Frames.ndBody(0x60, UPLINK_GW, 2, OUT_MAC)))));
    }

    @Test
    void tcpUdpAndEchoAreMasqueradedToTheUplinkAndRepliesComeBack()
    {
        start();
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, V6Frames.ipv6(C1, REMOTE, 6, 64,
            V6Frames.tcp(C1, REMOTE, 40000, 443, 0x02, 0))));
        answerGatewaySolicitation();
        final byte[] syn = next(uplink, isProtocol(6));
        assertEquals(OUT_MAC, L3Frames.dstMac(syn));
        assertEquals(uplinkMac, L3Frames.srcMac(syn));
        assertArrayEquals(UPLINK, V6Frames.src(syn), "masqueraded");
        assertArrayEquals(REMOTE, V6Frames.dst(syn));
        assertEquals(63, V6Frames.hopLimit(syn));
        final int natPort = V6Frames.u16(syn, L4);
        assertTrue(natPort >= 32768 && natPort <= 60999, "NAT port " + natPort);
        assertEquals(443, V6Frames.u16(syn, L4 + 2));
        assertTrue(V6Frames.l4ChecksumOk(syn), "TCP checksum after the 128-bit address change");

        uplink.inject(V6Frames.ethernet(uplinkMac, OUT_MAC, V6Frames.ipv6(REMOTE, UPLINK, 6, 60,
            V6Frames.tcp(REMOTE, UPLINK, 443, natPort, 0x12, 0))));
        final byte[] synAck = next(c1, isProtocol(6));
        assertArrayEquals(C1, V6Frames.dst(synAck), "back to the sandbox");
        assertArrayEquals(REMOTE, V6Frames.src(synAck));
        assertEquals(40000, V6Frames.u16(synAck, L4 + 2));
        assertEquals(59, V6Frames.hopLimit(synAck));
        assertEquals(C1_MAC, L3Frames.dstMac(synAck));
        assertTrue(V6Frames.l4ChecksumOk(synAck));

        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, V6Frames.ipv6(C1, REMOTE, 17, 64,
            V6Frames.udp(C1, REMOTE, 5353, 53, 12))));
        final byte[] udp = next(uplink, isProtocol(17));
        assertArrayEquals(UPLINK, V6Frames.src(udp));
        assertTrue(V6Frames.l4ChecksumOk(udp));
        final int udpPort = V6Frames.u16(udp, L4);
        uplink.inject(V6Frames.ethernet(uplinkMac, OUT_MAC, V6Frames.ipv6(REMOTE, UPLINK, 17, 60,
            V6Frames.udp(REMOTE, UPLINK, 53, udpPort, 40))));
        final byte[] udpBack = next(c1, isProtocol(17));
        assertEquals(5353, V6Frames.u16(udpBack, L4 + 2));
        assertTrue(V6Frames.l4ChecksumOk(udpBack));

        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, V6Frames.ipv6(C1, REMOTE, 58, 64,
            V6Frames.icmpv6(C1, REMOTE, 128, 0, V6Frames.echoBody(4242, 1, 16)))));
        final byte[] echo = next(uplink, isIcmpv6(128));
        assertArrayEquals(UPLINK, V6Frames.src(echo));
        assertTrue(V6Frames.l4ChecksumOk(echo), "ICMPv6's checksum covers the pseudo-header");
        final int id = V6Frames.u16(echo, L4 + 4);
        uplink.inject(V6Frames.ethernet(uplinkMac, OUT_MAC, V6Frames.ipv6(REMOTE, UPLINK, 58, 60,
            V6Frames.icmpv6(REMOTE, UPLINK, 129, 0, V6Frames.echoBody(id, 1, 16)))));
        final byte[] echoBack = next(c1, isIcmpv6(129));
        assertEquals(4242, V6Frames.u16(echoBack, L4 + 4));
        assertArrayEquals(C1, V6Frames.dst(echoBack));
        assertTrue(V6Frames.l4ChecksumOk(echoBack));
        assertEquals(3, routing.ipv6Connections());
        assertEquals(0, sw.engineStats().agentErrors(), String.valueOf(sw.lastAgentError()));
    }

    @Test
    void checksumPartialFramesGetOnlyTheAddressChangeAndUnsolicitedTrafficIsDropped()
    {
        start();
        final byte[] frame = V6Frames.ethernet(gwMac, C1_MAC, V6Frames.ipv6(C1, REMOTE, 6, 64,
            V6Frames.tcp(C1, REMOTE, 40001, 80, 0x02, 100)));
        // As a veth hands it over: the field holds the folded pseudo-header sum, the vnet header says NEEDS_CSUM.
        final int length = 20 + 100;
        final int pseudo = V6Frames.referenceSum(C1, REMOTE, 6, new byte[0], 0, 0) + length;
        final ByteBuffer b = ByteBuffer.wrap(frame);
        b.putShort(L4 + 16, (short)fold(pseudo));
        b.put(0, (byte)VnetHeader.FLAG_NEEDS_CSUM);
        b.order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(VnetHeader.CSUM_START_OFFSET, (short)(L4 - V6Frames.ETH));
        b.putShort(VnetHeader.CSUM_OFFSET_OFFSET, (short)16);
        c1.inject(frame);
        answerGatewaySolicitation();
        final byte[] out = next(uplink, isProtocol(6));
        assertEquals(fold(V6Frames.referenceSum(UPLINK, REMOTE, 6, new byte[0], 0, 0) + length),
            V6Frames.u16(out, L4 + 16), "the new pseudo-header sum, not finished");
        assertEquals(VnetHeader.FLAG_NEEDS_CSUM, out[0], "still CHECKSUM_PARTIAL for the kernel");

        final long misses = routing.routerCounters().get(RouterCounter.DROP_NAT_MISS);
        uplink.inject(V6Frames.ethernet(uplinkMac, OUT_MAC, V6Frames.ipv6(REMOTE, UPLINK, 6, 60,
            V6Frames.tcp(REMOTE, UPLINK, 443, 12345, 0x02, 0))));
        awaitCounter(routing, RouterCounter.DROP_NAT_MISS, misses + 1);
        final long noRoute = routing.routerCounters().get(RouterCounter.DROP_NO_ROUTE);
        uplink.inject(V6Frames.ethernet(uplinkMac, OUT_MAC, V6Frames.ipv6(REMOTE, C1, 6, 60,
            V6Frames.tcp(REMOTE, C1, 443, 40001, 0x02, 0))));
        awaitCounter(routing, RouterCounter.DROP_NO_ROUTE, noRoute + 1);
        sw.sync();
        assertNull(c1.sent().poll(), "nothing unsolicited reached the sandbox");

        // The uplink's own address answers ping from outside.
        uplink.inject(V6Frames.ethernet(uplinkMac, OUT_MAC, V6Frames.ipv6(REMOTE, UPLINK, 58, 60,
            V6Frames.icmpv6(REMOTE, UPLINK, 128, 0, V6Frames.echoBody(7, 1, 8)))));
        final byte[] reply = next(uplink, isIcmpv6(129));
        assertArrayEquals(UPLINK, V6Frames.src(reply));
        assertTrue(V6Frames.l4ChecksumOk(reply));
        routing.removeUplinkIpv6();
        assertEquals(0, routing.ipv6Connections(), "connections go with the uplink's address");
    }

    @Test
    void errorsFromOutsideRoutersAboutMasqueradedPacketsAreTranslatedBack()
    {
        start();
        final byte[] sent = V6Frames.ipv6(C1, REMOTE, 6, 64, V6Frames.tcp(C1, REMOTE, 40002, 443, 0x18, 1400));
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, sent));
        answerGatewaySolicitation();
        final byte[] out = next(uplink, isProtocol(6));
        final int natPort = V6Frames.u16(out, L4);
        // A router beyond the uplink has a smaller MTU: packet too big, quoting as much of the packet as it left the
        // uplink as fits in 1280 bytes.
        final byte[] quoted = Arrays.copyOfRange(out, V6Frames.IP, V6Frames.IP + 1280 - 48);
        final byte[] body = new byte[4 + quoted.length];
        ByteBuffer.wrap(body).putInt(1280).put(quoted);
        final byte[] router = addr("2001:db8:77::9");
        uplink.inject(V6Frames.ethernet(uplinkMac, OUT_MAC, V6Frames.ipv6(router, UPLINK, 58, 63,
            V6Frames.icmpv6(router, UPLINK, 2, 0, body))));
        final byte[] ptb = next(c1, isIcmpv6(2));
        assertArrayEquals(C1, V6Frames.dst(ptb), "to the sandbox");
        assertArrayEquals(router, V6Frames.src(ptb));
        assertEquals(1280, V6Frames.u32(ptb, L4 + 4), "the MTU kept");
        assertTrue(V6Frames.l4ChecksumOk(ptb), "the error's checksum, computed again");
        final int inner = L4 + 8;
        assertArrayEquals(C1, Arrays.copyOfRange(ptb, inner + 8, inner + 24), "the sandbox sees its own packet");
        assertEquals(40002, V6Frames.u16(ptb, inner + 40));
        assertEquals(V6Frames.u16(sent, 40 + 16), V6Frames.u16(ptb, inner + 40 + 16), "quoted TCP checksum restored");
        assertEquals(1, routing.routerCounters().get(RouterCounter.NAT_ICMP_ERRORS));

        // An error about a port no connection has is not delivered.
        ByteBuffer.wrap(body).putShort(4 + 40, (short)(natPort + 1));
        final long misses = routing.routerCounters().get(RouterCounter.DROP_NAT_MISS);
        uplink.inject(V6Frames.ethernet(uplinkMac, OUT_MAC, V6Frames.ipv6(router, UPLINK, 58, 63,
            V6Frames.icmpv6(router, UPLINK, 2, 0, body))));
        awaitCounter(routing, RouterCounter.DROP_NAT_MISS, misses + 1);
    }

    private static int fold(final int sum)
    {
        int s = sum;
        while ((s >>> 16) != 0)
        {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return s;
    }
}
