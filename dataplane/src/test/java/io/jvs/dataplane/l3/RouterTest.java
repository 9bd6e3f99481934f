package io.jvs.dataplane.l3;

import io.jvs.dataplane.Routing;
import io.jvs.dataplane.Switch;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.nat.NatEntry;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.testing.MemoryPort;
import io.jvs.tap.VnetHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jvs.dataplane.l3.L3Frames.IP;
import static io.jvs.dataplane.l3.L3Frames.ip;
import static io.jvs.dataplane.l3.RouterWaits.awaitCounter;
import static io.jvs.dataplane.l3.RouterWaits.next;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router and NAT through the real agents, with in-memory ports: a network 10.78.0.0/24 (gateway .1,
 * containers .2 and .3) and an uplink 10.77.0.2/24 whose outside peer is 10.77.0.1.
 */
class RouterTest
{
    private static final long C1_MAC = MacAddress.parse("02:00:00:00:00:02");
    private static final long C2_MAC = MacAddress.parse("02:00:00:00:00:03");
    private static final long OUT_MAC = MacAddress.parse("02:00:00:00:00:99");
    private static final int GW = ip("10.78.0.1");
    private static final int C1 = ip("10.78.0.2");
    private static final int C2 = ip("10.78.0.3");
    private static final int UPLINK = ip("10.77.0.2");
    private static final int OUT = ip("10.77.0.1");

    private Switch sw;
    private Routing routing;
    private MemoryPort c1;
    private MemoryPort c2;
    private MemoryPort uplink;
    private int bd;
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

    private void start(final NatConfig nat, final boolean internal)
    {
        sw = Switch.start(switchConfig(), nat);
        routing = sw.routing();
        bd = sw.createBridgeDomain("net");
        c1 = new MemoryPort("c1");
        c2 = new MemoryPort("c2");
        sw.addPort(c1, bd);
        sw.addPort(c2, bd);
        routing.setGateway(bd, "10.78.0.1", 24, internal);
        gwMac = routing.gatewayMac(bd);
        uplink = new MemoryPort("uplink");
        routing.setUplink(uplink, "10.77.0.2/24", null);
        // Containers announce themselves the way they do: by asking for the gateway.
        arpForGateway(c1, C1_MAC, C1);
        arpForGateway(c2, C2_MAC, C2);
    }

    /** The switch under test; {@link RouterOnTwoLanesTest} puts c2 on a second lane. */
    SwitchConfig switchConfig()
    {
        return SwitchConfig.defaults();
    }

    private void start()
    {
        start(NatConfig.defaults(), false);
    }

    private void arpForGateway(final MemoryPort port, final long mac, final int ip)
    {
        port.inject(L3Frames.arp(1, mac, ip, 0, GW, MacAddress.BROADCAST));
        final byte[] reply = next(port, f -> L3Frames.etherType(f) == 0x0806 && L3Frames.arpFields(f)[0] == 2);
        final int[] arp = L3Frames.arpFields(reply);
        assertEquals(2, arp[0], "ARP reply");
        assertEquals(GW, arp[1]);
        assertEquals(ip, arp[2]);
        assertEquals(gwMac, L3Frames.arpSenderMac(reply));
        assertEquals(mac, L3Frames.dstMac(reply));
    }
    private static boolean isIpv4(final byte[] f)
    {
        return L3Frames.etherType(f) == 0x0800;
    }

    /** Answers the router's ARP request for the outside peer, as the outside would. */
    private void answerUplinkArp()
    {
        final byte[] request = next(uplink, f -> L3Frames.etherType(f) == 0x0806);
        final int[] arp = L3Frames.arpFields(request);
        assertEquals(1, arp[0]);
        assertEquals(UPLINK, arp[1]);
        assertEquals(OUT, arp[2]);
        uplinkMac = L3Frames.arpSenderMac(request);
        uplink.inject(L3Frames.arp(2, OUT_MAC, OUT, uplinkMac, UPLINK, uplinkMac));
    }

    private long counter(final RouterCounter counter)
    {
        return routing.routerCounters().get(counter);
    }

    @Test
    void pingGatewayIsAnswered()
    {
        start();
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(1, C1, GW, 64, L3Frames.icmpEcho(8, 77, 1))));
        final byte[] reply = next(c1, RouterTest::isIpv4);
        assertEquals(0, L3Frames.icmpType(reply));
        assertEquals(GW, L3Frames.src(reply));
        assertEquals(C1, L3Frames.dst(reply));
        assertEquals(77, L3Frames.icmpId(reply));
        assertTrue(L3Frames.ipChecksumOk(reply));
        assertTrue(L3Frames.l4ChecksumOk(reply));
        assertEquals(1, counter(RouterCounter.ICMP_ECHO_REPLIES));
    }

    @Test
    void echoRepliesHaveAValidHeaderChecksumAndInvalidSourcesOrChecksumsGetNone()
    {
        start();
        final int[] badSources = {0, ip("0.1.2.3"), ip("255.255.255.255"), ip("224.0.0.1"), ip("127.0.0.1"),
            ip("10.78.0.255")};
        for (final int source : badSources)
        {
            c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(1, source, GW, 64, L3Frames.icmpEcho(8, 1, 1))));
        }
        final byte[] badHeader = L3Frames.ipv4(1, C1, GW, 64, L3Frames.icmpEcho(8, 2, 1));
        badHeader[10] ^= 0x01;
        c1.inject(L3Frames.frame(gwMac, C1_MAC, badHeader));
        final byte[] badIcmp = L3Frames.ipv4(1, C1, GW, 64, L3Frames.icmpEcho(8, 3, 1));
        badIcmp[20 + 2] ^= 0x01;
        c1.inject(L3Frames.frame(gwMac, C1_MAC, badIcmp));
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(1, C1, GW, 9, L3Frames.icmpEcho(8, 99, 1))));

        // Frames are handled in order: the first IPv4 frame back is the answer to the last, valid request.
        final byte[] reply = next(c1, RouterTest::isIpv4);
        assertEquals(99, L3Frames.icmpId(reply));
        final UnsafeBuffer frame = new UnsafeBuffer(reply);
        assertEquals(0, Checksum.compute(frame, IP, 20), "the reply's IPv4 header checksum verifies");
        assertEquals(0x45, reply[IP] & 0xFF);
        assertEquals(Router.LOCAL_TTL, L3Frames.ttl(reply));
        assertTrue(L3Frames.ipChecksumOk(reply));
        assertTrue(L3Frames.l4ChecksumOk(reply));
        assertEquals(1, counter(RouterCounter.ICMP_ECHO_REPLIES));
        assertEquals(badSources.length, counter(RouterCounter.DROP_ECHO_BAD_SOURCE));
        assertEquals(2, counter(RouterCounter.DROP_BAD_CHECKSUM));
    }

    @Test
    void withoutInterContainerCommunicationContainersReachTheGatewayButNotEachOther()
    {
        start();
        sw.setInterContainer(bd, false);
        assertFalse(sw.interContainer(bd));
        c1.inject(L3Frames.frame(C2_MAC, C1_MAC, L3Frames.ipv4(17, C1, C2, 64, L3Frames.udp(1000, 2000, 4))));
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(17, C1, C2, 64, L3Frames.udp(1001, 2000, 4))));
        c1.inject(L3Frames.arp(1, C1_MAC, C1, 0, C2, MacAddress.BROADCAST));
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(1, C1, GW, 64, L3Frames.icmpEcho(8, 5, 1))));
        final byte[] reply = next(c1, RouterTest::isIpv4);
        assertEquals(5, L3Frames.icmpId(reply), "the gateway still answers");
        sw.sync();
        assertNull(c2.sent().poll(), "nothing of c1's reached c2: not switched, not routed, no ARP");
        assertEquals(1, counter(RouterCounter.DROP_ICC), "routed back into the network through the gateway");
        final long icc = sw.bridgeDomainStats().stream().filter(s -> s.bridgeDomainId() == bd).findFirst()
            .orElseThrow().drops().get("icc");
        assertEquals(2, icc, "the direct unicast and the ARP broadcast (the leg got it, c2 not)");

        sw.setInterContainer(bd, true); // the positive control: the same frames pass
        c1.inject(L3Frames.frame(C2_MAC, C1_MAC, L3Frames.ipv4(17, C1, C2, 64, L3Frames.udp(1000, 2000, 4))));
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(17, C1, C2, 64, L3Frames.udp(1001, 2000, 4))));
        assertEquals(1000, L3Frames.sport(next(c2, RouterTest::isIpv4)));
        assertEquals(1001, L3Frames.sport(next(c2, RouterTest::isIpv4)), "routed through the gateway");
    }

    @Test
    void udpIsMasqueradedAndRepliesComeBack()
    {
        start();
        final byte[] out = L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(17, C1, OUT, 64, L3Frames.udp(5353, 53, 20)));
        c1.inject(out);
        answerUplinkArp(); // the first packet waited for ARP

        final byte[] sent = next(uplink, RouterTest::isIpv4);
        assertEquals(OUT_MAC, L3Frames.dstMac(sent));
        assertEquals(uplinkMac, L3Frames.srcMac(sent));
        assertEquals(UPLINK, L3Frames.src(sent));
        assertEquals(OUT, L3Frames.dst(sent));
        assertEquals(63, L3Frames.ttl(sent));
        final int natPort = L3Frames.sport(sent);
        assertTrue(natPort >= 32768 && natPort <= 60999, "NAT port " + natPort);
        assertEquals(53, L3Frames.dport(sent));
        assertTrue(L3Frames.ipChecksumOk(sent), "IP checksum");
        assertTrue(L3Frames.l4ChecksumOk(sent), "UDP checksum");

        uplink.inject(L3Frames.frame(uplinkMac, OUT_MAC, L3Frames.ipv4(17, OUT, UPLINK, 64, L3Frames.udp(53, natPort, 33))));
        final byte[] back = next(c1, RouterTest::isIpv4);
        assertEquals(C1_MAC, L3Frames.dstMac(back));
        assertEquals(gwMac, L3Frames.srcMac(back));
        assertEquals(OUT, L3Frames.src(back));
        assertEquals(C1, L3Frames.dst(back));
        assertEquals(53, L3Frames.sport(back));
        assertEquals(5353, L3Frames.dport(back));
        assertTrue(L3Frames.ipChecksumOk(back));
        assertTrue(L3Frames.l4ChecksumOk(back));

        final List<NatEntry> table = routing.natTable();
        assertEquals(1, table.size(), table.toString());
        assertEquals("snat", table.get(0).kind());
        assertEquals("REPLIED", table.get(0).state());
        assertEquals("10.78.0.2:5353 -> 10.77.0.1:53", table.get(0).original());
        assertEquals("10.77.0.1:53 -> 10.77.0.2:" + natPort, table.get(0).reply());
        assertEquals(1, counter(RouterCounter.NAT_CREATED));
        assertEquals(2, counter(RouterCounter.NAT_TRANSLATED));
    }

    @Test
    void checksumPartialTcpKeepsPartialSemantics()
    {
        start();
        final byte[] syn = L3Frames.partial(
            L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(6, C1, OUT, 64, L3Frames.tcp(40000, 80, 0x02, 0))));
        c1.inject(syn);
        answerUplinkArp();
        final byte[] sent = next(uplink, RouterTest::isIpv4);
        assertEquals(VnetHeader.FLAG_NEEDS_CSUM, sent[0] & VnetHeader.FLAG_NEEDS_CSUM, "still NEEDS_CSUM");
        assertEquals(UPLINK, L3Frames.src(sent));
        // The field must now hold the pseudo-header sum of the translated addresses (ports are not in it).
        assertEquals(L3Frames.pseudo(UPLINK, OUT, 6, 20), L3Frames.l4Field(sent, 16));
        assertTrue(L3Frames.ipChecksumOk(sent));
        final ByteBuffer vnet = ByteBuffer.wrap(sent).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(34, vnet.getShort(VnetHeader.CSUM_START_OFFSET));
        assertEquals(16, vnet.getShort(VnetHeader.CSUM_OFFSET_OFFSET));

        // A NEEDS_CSUM frame whose csum_start does not point at the TCP header is refused, not mistranslated.
        final byte[] bad = L3Frames.partial(
            L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(6, C1, OUT, 64, L3Frames.tcp(40001, 80, 0x02, 0))));
        bad[VnetHeader.CSUM_START_OFFSET] = 20;
        c1.inject(bad);
        awaitCounter(routing, RouterCounter.DROP_NAT_BAD_OFFLOAD, 1);
    }

    @Test
    void pingOutwardTranslatesTheIdentifier()
    {
        start();
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(1, C1, OUT, 64, L3Frames.icmpEcho(8, 4242, 1))));
        answerUplinkArp();
        final byte[] sent = next(uplink, RouterTest::isIpv4);
        assertEquals(UPLINK, L3Frames.src(sent));
        final int natId = L3Frames.icmpId(sent);
        assertTrue(L3Frames.l4ChecksumOk(sent), "ICMP checksum after identifier change");
        uplink.inject(L3Frames.frame(uplinkMac, OUT_MAC, L3Frames.ipv4(1, OUT, UPLINK, 64,
            L3Frames.icmpEcho(0, natId, 1))));
        final byte[] back = next(c1, RouterTest::isIpv4);
        assertEquals(0, L3Frames.icmpType(back));
        assertEquals(4242, L3Frames.icmpId(back));
        assertEquals(C1, L3Frames.dst(back));
        assertTrue(L3Frames.l4ChecksumOk(back));
        assertTrue(L3Frames.ipChecksumOk(back));
    }

    @Test
    void icmpErrorIsTranslatedBackToTheInnerFlow()
    {
        start();
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(17, C1, OUT, 64, L3Frames.udp(5353, 9999, 20))));
        answerUplinkArp();
        final byte[] sent = next(uplink, RouterTest::isIpv4);
        final byte[] sentIp = java.util.Arrays.copyOfRange(sent, IP, sent.length);
        // Port unreachable from the outside host, quoting the IP header + 8 bytes as RFC 792 asks.
        final byte[] error = L3Frames.icmpError(3, 3, sentIp, 28);
        uplink.inject(L3Frames.frame(uplinkMac, OUT_MAC, L3Frames.ipv4(1, OUT, UPLINK, 64, error)));
        final byte[] back = next(c1, RouterTest::isIpv4);
        assertEquals(3, L3Frames.icmpType(back));
        assertEquals(OUT, L3Frames.src(back));
        assertEquals(C1, L3Frames.dst(back));
        assertTrue(L3Frames.ipChecksumOk(back));
        assertTrue(L3Frames.l4ChecksumOk(back), "ICMP checksum over the rewritten quote");
        final ByteBuffer b = ByteBuffer.wrap(back);
        final int inner = IP + 28;
        assertEquals(C1, b.getInt(inner + 12), "inner source back to the container");
        assertEquals(OUT, b.getInt(inner + 16));
        assertEquals(5353, b.getShort(inner + 20) & 0xFFFF, "inner source port back to the container's");
        assertEquals(0xFFFF, L3Frames.sum(back, inner, inner + 20), "inner IP checksum");
        assertEquals(1, counter(RouterCounter.NAT_ICMP_ERRORS));
    }

    @Test
    void publishedPortDnatAndRevoke()
    {
        start();
        final int rule = routing.publish("tcp", 8080, 8080, "10.78.0.2", 80);
        uplink.inject(L3Frames.arp(1, OUT_MAC, OUT, 0, UPLINK, MacAddress.BROADCAST));
        final byte[] arpReply = next(uplink, f -> L3Frames.etherType(f) == 0x0806 && L3Frames.arpFields(f)[0] == 2);
        uplinkMac = L3Frames.arpSenderMac(arpReply);
        assertEquals(2, L3Frames.arpFields(arpReply)[0], "uplink address answered by ARP");

        uplink.inject(L3Frames.frame(uplinkMac, OUT_MAC, L3Frames.ipv4(6, OUT, UPLINK, 64,
            L3Frames.tcp(5555, 8080, 0x02, 0))));
        final byte[] syn = next(c1, RouterTest::isIpv4);
        assertEquals(OUT, L3Frames.src(syn));
        assertEquals(C1, L3Frames.dst(syn));
        assertEquals(5555, L3Frames.sport(syn));
        assertEquals(80, L3Frames.dport(syn));
        assertTrue(L3Frames.l4ChecksumOk(syn));

        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(6, C1, OUT, 64, L3Frames.tcp(80, 5555, 0x12, 0))));
        final byte[] synAck = next(uplink, RouterTest::isIpv4);
        assertEquals(UPLINK, L3Frames.src(synAck));
        assertEquals(8080, L3Frames.sport(synAck));
        assertEquals(OUT, L3Frames.dst(synAck));
        assertTrue(L3Frames.l4ChecksumOk(synAck));
        assertEquals("SYN_RECV", routing.natTable().get(0).state());
        assertEquals("dnat", routing.natTable().get(0).kind());

        assertEquals(1, routing.unpublish(rule), "revoking removes the live connection");
        assertTrue(routing.natTable().isEmpty());
        final long misses = counter(RouterCounter.DROP_NAT_MISS);
        uplink.inject(L3Frames.frame(uplinkMac, OUT_MAC, L3Frames.ipv4(6, OUT, UPLINK, 64,
            L3Frames.tcp(5555, 8080, 0x10, 0))));
        awaitCounter(routing, RouterCounter.DROP_NAT_MISS, misses + 1);
        sw.sync();
        assertNull(c1.sent().poll(), "nothing reaches the container after revoke");
    }

    @Test
    void hairpinToOwnNetworksPublishedPort()
    {
        start();
        routing.publish("tcp", 8080, 8081, "10.78.0.2", 80);
        c2.inject(L3Frames.frame(gwMac, C2_MAC, L3Frames.ipv4(6, C2, UPLINK, 64, L3Frames.tcp(6000, 8081, 0x02, 0))));
        final byte[] syn = next(c1, RouterTest::isIpv4);
        assertEquals(UPLINK, L3Frames.src(syn), "hairpin is source-NATed so the reply comes back to the router");
        assertEquals(C1, L3Frames.dst(syn));
        assertEquals(81, L3Frames.dport(syn), "range: 8081 -> 81");
        final int natPort = L3Frames.sport(syn);
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(6, C1, UPLINK, 64, L3Frames.tcp(81, natPort, 0x12, 0))));
        final byte[] synAck = next(c2, RouterTest::isIpv4);
        assertEquals(UPLINK, L3Frames.src(synAck));
        assertEquals(8081, L3Frames.sport(synAck));
        assertEquals(C2, L3Frames.dst(synAck));
        assertEquals(6000, L3Frames.dport(synAck));
        assertTrue(L3Frames.l4ChecksumOk(synAck));
        assertEquals("hairpin", routing.natTable().get(0).kind());
    }

    @Test
    void portExhaustionIsACountedDropAndPortsAreReusedAcrossRemotes()
    {
        start(NatConfig.defaults().withPorts(40000, 40001), false);
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(17, C1, OUT, 64, L3Frames.udp(1001, 53, 4))));
        answerUplinkArp();
        next(uplink, RouterTest::isIpv4);
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(17, C1, OUT, 64, L3Frames.udp(1002, 53, 4))));
        next(uplink, RouterTest::isIpv4);
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(17, C1, OUT, 64, L3Frames.udp(1003, 53, 4))));
        awaitCounter(routing, RouterCounter.DROP_NAT_PORTS_EXHAUSTED, 1);
        // Another remote port: the reply tuple differs, so a port already used for :53 can serve it.
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(17, C1, OUT, 64, L3Frames.udp(1003, 54, 4))));
        final byte[] sent = next(uplink, RouterTest::isIpv4);
        assertTrue(L3Frames.sport(sent) == 40000 || L3Frames.sport(sent) == 40001);
        assertEquals(3, routing.natTable().size());
        assertEquals(0, sw.engineStats().agentErrors());
    }

    @Test
    void connectionsExpire()
    {
        start(NatConfig.defaults().withAllTimeouts(TimeUnit.MILLISECONDS.toNanos(300)), false);
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(17, C1, OUT, 64, L3Frames.udp(1001, 53, 4))));
        answerUplinkArp();
        next(uplink, RouterTest::isIpv4);
        assertEquals(1, routing.natTable().size());
        awaitCounter(routing, RouterCounter.NAT_EXPIRED, 1);
        // The gauge is published after the expiry pass that counted the connection (same duty cycle, a moment later).
        final long deadline = System.nanoTime() + RouterWaits.WAIT_NANOS;
        while (routing.routerCounters().connections() != 0 && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        assertEquals(0, routing.routerCounters().connections());
        assertTrue(routing.natTable().isEmpty());
    }

    @Test
    void internalNetworkHasNoRouteOut()
    {
        start(NatConfig.defaults(), true);
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(17, C1, OUT, 64, L3Frames.udp(1001, 53, 4))));
        awaitCounter(routing, RouterCounter.DROP_NO_ROUTE, 1);
        sw.sync();
        assertNull(uplink.sent().poll());
        assertTrue(routing.natTable().isEmpty());
    }

    @Test
    void malformedFramesAreCountedAndDropped()
    {
        start();
        final byte[] good = L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(6, C1, OUT, 64, L3Frames.tcp(1, 2, 0x02, 0)));

        final byte[] badTotalLength = good.clone();
        badTotalLength[IP + 2] = (byte)0x7F;
        c1.inject(badTotalLength);
        final byte[] badIhl = good.clone();
        badIhl[IP] = 0x43;
        c1.inject(badIhl);
        c1.inject(java.util.Arrays.copyOf(good, IP + 10)); // truncated IPv4 header
        awaitCounter(routing, RouterCounter.DROP_MALFORMED_IPV4, 3);

        final byte[] badDataOffset = good.clone();
        badDataOffset[IP + 20 + 12] = 0x30;
        c1.inject(badDataOffset);
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(6, C1, OUT, 64, new byte[12]))); // truncated TCP
        awaitCounter(routing, RouterCounter.DROP_MALFORMED_TCP, 2);

        final byte[] udp = L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(17, C1, OUT, 64, L3Frames.udp(1, 2, 8)));
        udp[IP + 20 + 5] = 3; // UDP length 3 < 8
        c1.inject(udp);
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(17, C1, OUT, 64, new byte[5])));
        awaitCounter(routing, RouterCounter.DROP_MALFORMED_UDP, 2);

        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(1, C1, OUT, 64, new byte[4])));
        // An ICMP error whose quote is too short to name a flow.
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(1, C1, OUT, 64, new byte[] {3, 3, 0, 0, 0, 0, 0, 0, 0x45})));
        awaitCounter(routing, RouterCounter.DROP_MALFORMED_ICMP, 2);

        c1.inject(java.util.Arrays.copyOf(good, VnetHeader.LENGTH + 8)); // runt Ethernet
        sw.sync();
        assertEquals(0, sw.engineStats().agentErrors(), "no exception from malformed input");
        assertNull(uplink.sent().poll(), "nothing malformed left through the uplink");
        assertTrue(routing.natTable().isEmpty());
    }

    @Test
    void networksAreIsolatedFromEachOther()
    {
        start();
        final int other = sw.createBridgeDomain("other");
        final MemoryPort c3 = new MemoryPort("c3");
        sw.addPort(c3, other);
        routing.setGateway(other, "10.79.0.1", 24, false);
        c1.inject(L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(17, C1, ip("10.79.0.2"), 64, L3Frames.udp(1, 2, 4))));
        awaitCounter(routing, RouterCounter.DROP_NO_ROUTE, 1);
        sw.sync();
        assertNull(c3.sent().poll());
        // Removing the bridge domain takes its gateway along.
        sw.removePort(sw.portStats().stream().filter(p -> p.name().equals("c3")).findFirst().orElseThrow().portId());
        sw.removeBridgeDomain(other);
        assertEquals(1, routing.gateways().size());
    }

    @Test
    void invalidConfigurationIsRefused()
    {
        start();
        assertThrows(IllegalArgumentException.class, () -> routing.setGateway(bd, "10.78.0.1", 24, false));
        assertThrows(IllegalArgumentException.class, () -> routing.publish("sctp", 1, 1, "10.78.0.2", 1));
        routing.publish("udp", 5000, 5010, "10.78.0.2", 5000);
        assertThrows(IllegalArgumentException.class, () -> routing.publish("udp", 5010, 5010, "10.78.0.3", 1));
        assertThrows(IllegalArgumentException.class, () -> routing.setUplink(new MemoryPort("u2"), "1.2.3.4/24", null));
        assertThrows(IllegalArgumentException.class, () -> routing.unpublish(999));
        assertEquals(1, routing.publishedPorts().size());
        assertNotEquals(0, gwMac);
        assertFalse(MacAddress.isMulticast(gwMac));
    }

    /**
     * The TCP tracking state through a masqueraded connection's life, each with its own timeout, and the port reused
     * after the close. Found by mutation testing (docs/mutation-testing.md): no test looked at states past SYN_RECV.
     */
    @Test
    void tcpStatesAndTheirTimeoutsThroughAConnectionsLife()
    {
        final long s = TimeUnit.SECONDS.toNanos(1);
        start(new NatConfig(65536, 32768, 60999, 100 * s, 7000 * s, 300 * s, 10 * s, 30 * s, 120 * s, 30 * s, false),
            false);
        c1.inject(tcpFromC1(0x02));
        answerUplinkArp();
        final int natPort = L3Frames.sport(next(uplink, RouterTest::isIpv4));
        assertTracked("SYN_SENT", 100);
        tcpFromOutside(natPort, 0x12); // SYN ACK
        assertTracked("SYN_RECV", 100);
        tcpFromC1Sent(0x10); // ACK
        assertTracked("ESTABLISHED", 7000);
        tcpFromC1Sent(0x11); // FIN ACK
        assertTracked("FIN_WAIT", 300);
        tcpFromOutside(natPort, 0x11);
        assertTracked("TIME_WAIT", 300);

        tcpFromC1Sent(0x02); // the same ports again: a new connection in the old entry
        assertTracked("SYN_SENT", 100);
        tcpFromC1Sent(0x01); // a FIN of one side only, the old FINs forgotten
        assertTracked("FIN_WAIT", 300);
        tcpFromOutside(natPort, 0x04); // RST
        assertTracked("CLOSE", 10);
        assertEquals(1, routing.natTable().size());
    }

    /**
     * ICMP errors about a TCP flow (quote cut right after the TCP checksum) and about a ping: the quoted transport
     * header comes back exactly as the container sent it (ports or identifier, and the checksum over them). Found by
     * mutation testing (docs/mutation-testing.md): the UDP test above checked addresses and the source port only.
     */
    @Test
    void icmpErrorsRestoreTheQuotedTransportHeaderAndEchoIdentifier()
    {
        start();
        final byte[] syn = tcpFromC1(0x02);
        c1.inject(syn);
        answerUplinkArp();
        final byte[] sentSyn = next(uplink, RouterTest::isIpv4);
        // IP header + 18 bytes of TCP: the checksum field is the last thing quoted.
        final byte[] tcpError = L3Frames.icmpError(3, 1, java.util.Arrays.copyOfRange(sentSyn, IP, sentSyn.length), 38);
        uplink.inject(L3Frames.frame(uplinkMac, OUT_MAC, L3Frames.ipv4(1, ip("10.77.0.254"), UPLINK, 64, tcpError)));
        final byte[] tcpBack = next(c1, RouterTest::isIpv4);
        final int inner = IP + 28;
        assertEquals(ip("10.77.0.254"), L3Frames.src(tcpBack), "a router on the way complained: its own address");
        assertEquals(C1, ByteBuffer.wrap(tcpBack).getInt(inner + 12));
        assertArrayEquals(java.util.Arrays.copyOfRange(syn, IP + 20, IP + 38),
            java.util.Arrays.copyOfRange(tcpBack, inner + 20, inner + 38), "ports and checksum as sent");
        assertTrue(L3Frames.l4ChecksumOk(tcpBack));

        final byte[] ping = L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(1, C1, OUT, 64, L3Frames.icmpEcho(8, 4242, 7)));
        c1.inject(ping);
        final byte[] sentPing = next(uplink, RouterTest::isIpv4);
        assertNotEquals(4242, L3Frames.icmpId(sentPing), "translated");
        final byte[] pingError = L3Frames.icmpError(11, 0, java.util.Arrays.copyOfRange(sentPing, IP, sentPing.length), 28);
        uplink.inject(L3Frames.frame(uplinkMac, OUT_MAC, L3Frames.ipv4(1, OUT, UPLINK, 64, pingError)));
        final byte[] pingBack = next(c1, RouterTest::isIpv4);
        assertEquals(11, L3Frames.icmpType(pingBack));
        assertArrayEquals(java.util.Arrays.copyOfRange(ping, IP + 20, IP + 28),
            java.util.Arrays.copyOfRange(pingBack, inner + 20, inner + 28), "type, checksum, identifier as sent");
        assertTrue(L3Frames.l4ChecksumOk(pingBack));
        assertEquals(2, counter(RouterCounter.NAT_ICMP_ERRORS));
    }

    private byte[] tcpFromC1(final int flags)
    {
        return L3Frames.frame(gwMac, C1_MAC, L3Frames.ipv4(6, C1, OUT, 64, L3Frames.tcp(40000, 80, flags, 0)));
    }

    private void tcpFromC1Sent(final int flags)
    {
        c1.inject(tcpFromC1(flags));
        final byte[] sent = next(uplink, RouterTest::isIpv4);
        assertEquals(flags, sent[IP + 20 + 13] & 0xFF);
    }

    private void tcpFromOutside(final int natPort, final int flags)
    {
        uplink.inject(L3Frames.frame(uplinkMac, OUT_MAC, L3Frames.ipv4(6, OUT, UPLINK, 64,
            L3Frames.tcp(80, natPort, flags, 0))));
        final byte[] back = next(c1, RouterTest::isIpv4);
        assertEquals(40000, L3Frames.dport(back));
        assertEquals(flags, back[IP + 20 + 13] & 0xFF);
    }

    /** The one connection's state, and a deadline this state's timeout (give or take 2 s of test time) away. */
    private void assertTracked(final String state, final long timeoutSeconds)
    {
        final NatEntry entry = routing.natTable().get(0);
        assertEquals(state, entry.state(), entry.toString());
        assertTrue(entry.expiresInSeconds() <= timeoutSeconds && entry.expiresInSeconds() >= timeoutSeconds - 2,
            entry.toString());
    }

}
