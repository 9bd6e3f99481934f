package io.jvs.dataplane.l3;

import io.jvs.dataplane.Routing;
import io.jvs.dataplane.Switch;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.testing.MemoryPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.function.Predicate;

import static io.jvs.dataplane.l3.V6Frames.IP;
import static io.jvs.dataplane.l3.V6Frames.L4;
import static io.jvs.dataplane.l3.V6Frames.addr;
import static io.jvs.dataplane.l3.RouterWaits.awaitCounter;
import static io.jvs.dataplane.l3.RouterWaits.next;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router's IPv6 path through the real agents, with in-memory ports: a dual-stack network (2001:db8:78::/64,
 * gateway ::1, containers ::2 and ::3; IPv4 10.78.0.0/24) and the host port with fd6a:7673:0:1::2/64 (the host
 * is ::1). Every checksum the router writes is checked with {@link V6Frames#referenceSum}.
 */
class Ipv6RouterTest
{
    private static final long C1_MAC = MacAddress.parse("02:00:00:00:00:02");
    private static final long C2_MAC = MacAddress.parse("02:00:00:00:00:03");
    private static final long HOST_MAC = MacAddress.parse("02:00:00:00:00:77");
    private static final byte[] GW = addr("2001:db8:78::1");
    private static final byte[] C1 = addr("2001:db8:78::2");
    private static final byte[] C2 = addr("2001:db8:78::3");
    private static final byte[] HOST = addr("fd6a:7673:0:1::1");
    private static final byte[] ROUTER_HOST = addr("fd6a:7673:0:1::2");

    private Switch sw;
    private Routing routing;
    private MemoryPort c1;
    private MemoryPort c2;
    private MemoryPort host;
    private int bd;
    private long gwMac;
    private byte[] gwLinkLocal;

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
        bd = sw.createBridgeDomain("net");
        c1 = new MemoryPort("c1");
        c2 = new MemoryPort("c2");
        sw.addPort(c1, bd);
        sw.addPort(c2, bd);
        routing.setGateway(bd, "10.78.0.1", 24, false);
        routing.setIpv6Gateway(bd, "2001:db8:78::1", 64);
        gwMac = routing.gatewayMac(bd);
        gwLinkLocal = eui64LinkLocal(gwMac);
        host = new MemoryPort("host");
        routing.setHostPort(host, "10.213.0.2/30");
        routing.setHostPortIpv6("fd6a:7673:0:1::2/64");
    }

    /** fe80:: + EUI-64, computed here byte by byte (RFC 4291 appendix A). */
    private static byte[] eui64LinkLocal(final long mac)
    {
        final byte[] a = addr("fe80::");
        a[8] = (byte)((mac >>> 40) ^ 0x02);
        a[9] = (byte)(mac >>> 32);
        a[10] = (byte)(mac >>> 24);
        a[11] = (byte)0xFF;
        a[12] = (byte)0xFE;
        a[13] = (byte)(mac >>> 16);
        a[14] = (byte)(mac >>> 8);
        a[15] = (byte)mac;
        return a;
    }

    private static Predicate<byte[]> icmpv6(final int type)
    {
        return f -> V6Frames.isIpv6(f) && V6Frames.nextHeader(f) == 58 && V6Frames.icmpType(f) == type;
    }

    private long counter(final RouterCounter counter)
    {
        return routing.routerCounters().get(counter);
    }

    /** The container asks for the gateway's MAC, as the kernel does before its first packet. */
    private byte[] solicit(final MemoryPort port, final long mac, final byte[] src, final byte[] target)
    {
        final byte[] group = V6Frames.solicitedNode(target);
        port.inject(V6Frames.ethernet(V6Frames.solicitedNodeMac(target), mac, V6Frames.ipv6(src, group, 58, 255,
            V6Frames.icmpv6(src, group, 135, 0, V6Frames.ndBody(0, target, 1, mac)))));
        return next(port, icmpv6(136));
    }

    private static byte[] echo(final byte[] src, final byte[] dst, final int hopLimit, final int id)
    {
        return V6Frames.ipv6(src, dst, 58, hopLimit, V6Frames.icmpv6(src, dst, 128, 0, V6Frames.echoBody(id, 1, 56)));
    }

    @Test
    void neighbourSolicitationForTheGatewayGetsASolicitedRouterAdvertisement()
    {
        start();
        for (final byte[] target : new byte[][] {GW, gwLinkLocal})
        {
            final byte[] na = solicit(c1, C1_MAC, C1, target);
            assertEquals(C1_MAC, L3Frames.dstMac(na));
            assertEquals(gwMac, L3Frames.srcMac(na));
            assertArrayEquals(target, V6Frames.src(na), "from the address solicited");
            assertArrayEquals(C1, V6Frames.dst(na));
            assertEquals(255, V6Frames.hopLimit(na));
            assertEquals(0, V6Frames.icmpCode(na));
            assertEquals(0xE0, V6Frames.u8(na, L4 + 4), "router, solicited, override");
            assertArrayEquals(target, Arrays.copyOfRange(na, L4 + 8, L4 + 24));
            assertEquals(2, V6Frames.u8(na, L4 + 24), "target link-layer address option");
            assertEquals(1, V6Frames.u8(na, L4 + 25));
            assertEquals(gwMac, V6Frames.mac(na, L4 + 26));
            assertEquals(32, V6Frames.payloadLength(na));
            assertTrue(V6Frames.icmpv6ChecksumOk(na), "ICMPv6 checksum over the pseudo-header");
        }
        assertEquals(MacAddress.toString(gwMac), routing.ipv6Gateways().get(0).mac());
        assertArrayEquals(gwLinkLocal, addr(routing.ipv6Gateways().get(0).linkLocal()));

        // A unicast probe (NUD) for the gateway, and a solicitation for another container: only the first answered.
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, V6Frames.ipv6(C1, GW, 58, 255,
            V6Frames.icmpv6(C1, GW, 135, 0, V6Frames.ndBody(0, GW, 1, C1_MAC)))));
        assertArrayEquals(C1, V6Frames.dst(next(c1, icmpv6(136))));
        final byte[] group = V6Frames.solicitedNode(C2);
        c1.inject(V6Frames.ethernet(V6Frames.solicitedNodeMac(C2), C1_MAC, V6Frames.ipv6(C1, group, 58, 255,
            V6Frames.icmpv6(C1, group, 135, 0, V6Frames.ndBody(0, C2, 1, C1_MAC)))));
        // Invalid: hop limit 254 (may have crossed a router), and a bad checksum.
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, V6Frames.ipv6(C1, GW, 58, 254,
            V6Frames.icmpv6(C1, GW, 135, 0, V6Frames.ndBody(0, GW, 1, C1_MAC)))));
        final byte[] badSum = V6Frames.ethernet(gwMac, C1_MAC, V6Frames.ipv6(C1, GW, 58, 255,
            V6Frames.icmpv6(C1, GW, 135, 0, V6Frames.ndBody(0, GW, 1, C1_MAC))));
        badSum[L4 + 10] ^= 1;
        c1.inject(badSum);
        awaitCounter(routing, RouterCounter.DROP_BAD_ICMPV6_CHECKSUM, 1);
        assertEquals(1, counter(RouterCounter.DROP_NDP_INVALID));
        assertEquals(3, counter(RouterCounter.NDP_ADVERTS_SENT));
        assertEquals(0, sw.engineStats().agentErrors(), String.valueOf(sw.lastAgentError()));
    }

    @Test
    void routerSolicitationGetsARouterAdvertisementOfThePrefixWithoutAutoconfiguration()
    {
        start();
        final byte[] allRouters = addr("ff02::2");
        c1.inject(V6Frames.ethernet(0x3333_0000_0002L, C1_MAC, V6Frames.ipv6(C1, allRouters, 58, 255,
            V6Frames.icmpv6(C1, allRouters, 133, 0, new byte[] {0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 2}))));
        final byte[] ra = next(c1, icmpv6(134));
        assertEquals(0x3333_0000_0001L, L3Frames.dstMac(ra));
        assertArrayEquals(gwLinkLocal, V6Frames.src(ra), "RFC 4861 6.1.2: from the link-local address");
        assertArrayEquals(addr("ff02::1"), V6Frames.dst(ra));
        assertEquals(255, V6Frames.hopLimit(ra));
        assertTrue(V6Frames.icmpv6ChecksumOk(ra));
        assertEquals(64, V6Frames.u8(ra, L4 + 4), "cur hop limit");
        assertEquals(0, V6Frames.u8(ra, L4 + 5), "no managed/other flags");
        assertEquals(1800, V6Frames.u32(ra, L4 + 4) & 0xFFFF, "router lifetime");
        int option = L4 + 16;
        assertEquals(1, V6Frames.u8(ra, option));
        assertEquals(gwMac, V6Frames.mac(ra, option + 2));
        option += 8;
        assertEquals(5, V6Frames.u8(ra, option));
        assertEquals(1500, V6Frames.u32(ra, option + 4));
        option += 8;
        assertEquals(3, V6Frames.u8(ra, option));
        assertEquals(4, V6Frames.u8(ra, option + 1));
        assertEquals(64, V6Frames.u8(ra, option + 2));
        assertEquals(0x80, V6Frames.u8(ra, option + 3), "on-link, not autonomous: addresses are static");
        assertArrayEquals(addr("2001:db8:78::"), Arrays.copyOfRange(ra, option + 16, option + 32));
        assertEquals(1, counter(RouterCounter.NDP_ROUTER_ADVERTS_SENT));
    }

    @Test
    void echoToTheGatewayAndItsLinkLocalAddressIsAnsweredAndInvalidRequestsAreCounted()
    {
        start();
        for (final byte[] target : new byte[][] {GW, gwLinkLocal})
        {
            final byte[] src = target == GW ? C1 : eui64LinkLocal(C1_MAC);
            c1.inject(V6Frames.ethernet(gwMac, C1_MAC, echo(src, target, 64, 77)));
            final byte[] reply = next(c1, icmpv6(129));
            assertArrayEquals(target, V6Frames.src(reply));
            assertArrayEquals(src, V6Frames.dst(reply));
            assertEquals(C1_MAC, L3Frames.dstMac(reply));
            assertEquals(gwMac, L3Frames.srcMac(reply));
            assertEquals(Router.LOCAL_TTL, V6Frames.hopLimit(reply));
            assertEquals(77, V6Frames.u32(reply, L4 + 4) >>> 16, "identifier kept");
            assertEquals(4 + 4 + 56, V6Frames.payloadLength(reply));
            assertTrue(V6Frames.icmpv6ChecksumOk(reply));
        }
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, echo(addr("::"), GW, 64, 1)));
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, echo(addr("ff02::1"), GW, 64, 2)));
        final byte[] bad = V6Frames.ethernet(gwMac, C1_MAC, echo(C1, GW, 64, 3));
        bad[L4 + 20] ^= 0x40;
        c1.inject(bad);
        awaitCounter(routing, RouterCounter.DROP_BAD_ICMPV6_CHECKSUM, 1);
        assertEquals(2, counter(RouterCounter.DROP_ECHO_BAD_SOURCE));
        assertEquals(2, counter(RouterCounter.ICMPV6_ECHO_REPLIES));
    }

    /** Sends c1 -> host and answers the router's solicitation on the host link; returns the forwarded frame. */
    private byte[] firstPacketToHost()
    {
        solicit(c1, C1_MAC, C1, GW); // the router learns C1's MAC from the solicitation's option
        final byte[] udp = V6Frames.ipv6(C1, HOST, 17, 64, V6Frames.udp(5000, 7, 100));
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, udp));
        final byte[] ns = next(host, icmpv6(135));
        assertEquals(V6Frames.solicitedNodeMac(HOST), L3Frames.dstMac(ns));
        assertArrayEquals(V6Frames.solicitedNode(HOST), V6Frames.dst(ns));
        assertArrayEquals(ROUTER_HOST, V6Frames.src(ns));
        assertArrayEquals(HOST, Arrays.copyOfRange(ns, L4 + 8, L4 + 24));
        assertEquals(255, V6Frames.hopLimit(ns));
        assertTrue(V6Frames.icmpv6ChecksumOk(ns));
        final long hostRouterMac = L3Frames.srcMac(ns);
        assertEquals(hostRouterMac, V6Frames.mac(ns, L4 + 26), "source link-layer option");
        host.inject(V6Frames.ethernet(hostRouterMac, HOST_MAC, V6Frames.ipv6(HOST, ROUTER_HOST, 58, 255,
            V6Frames.icmpv6(HOST, ROUTER_HOST, 136, 0, V6Frames.ndBody(0x60, HOST, 2, HOST_MAC)))));
        final byte[] forwarded = next(host, f -> V6Frames.isIpv6(f) && V6Frames.nextHeader(f) == 17);
        assertEquals(HOST_MAC, L3Frames.dstMac(forwarded));
        assertEquals(hostRouterMac, L3Frames.srcMac(forwarded));
        assertEquals(63, V6Frames.hopLimit(forwarded));
        assertArrayEquals(Arrays.copyOfRange(udp, 8, udp.length), Arrays.copyOfRange(forwarded, IP + 8,
            forwarded.length), "addresses and payload unchanged");
        return forwarded;
    }

    @Test
    void forwardsBetweenTheNetworkAndTheHostDecrementingTheHopLimit()
    {
        start();
        final byte[] forwarded = firstPacketToHost();
        final long hostRouterMac = L3Frames.srcMac(forwarded);

        // Back: the router knows C1 from its solicitation, no NS needed.
        host.inject(V6Frames.ethernet(hostRouterMac, HOST_MAC, V6Frames.ipv6(HOST, C1, 17, 64, V6Frames.udp(7, 5000, 10))));
        final byte[] back = next(c1, f -> V6Frames.isIpv6(f) && V6Frames.nextHeader(f) == 17);
        assertEquals(C1_MAC, L3Frames.dstMac(back));
        assertEquals(gwMac, L3Frames.srcMac(back));
        assertEquals(63, V6Frames.hopLimit(back));
        assertEquals(2, counter(RouterCounter.ROUTED_IPV6));
        assertEquals(1, counter(RouterCounter.NDP_SOLICITS_SENT));
        assertTrue(routing.neighbours().stream().anyMatch(l -> l.equals("host fd6a:7673:0:1::1 " +
            MacAddress.toString(HOST_MAC))), routing.neighbours().toString());
    }

    @Test
    void hopLimitOneGetsTimeExceededAndTooBigGetsPacketTooBigWithTheNextHopMtu()
    {
        start();
        final byte[] forwarded = firstPacketToHost();
        final long hostRouterMac = L3Frames.srcMac(forwarded);

        final byte[] expiring = V6Frames.ipv6(C1, HOST, 17, 1, V6Frames.udp(5000, 33434, 20));
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, expiring));
        final byte[] te = next(c1, icmpv6(3));
        assertEquals(0, V6Frames.icmpCode(te));
        assertArrayEquals(GW, V6Frames.src(te), "from the gateway's address");
        assertArrayEquals(C1, V6Frames.dst(te));
        assertEquals(8 + expiring.length, V6Frames.payloadLength(te));
        assertArrayEquals(expiring, Arrays.copyOfRange(te, L4 + 8, te.length), "the packet quoted whole");
        assertTrue(V6Frames.icmpv6ChecksumOk(te));

        routing.setGatewayMtu(bd, 1280);
        final byte[] big = V6Frames.ipv6(HOST, C1, 17, 64, V6Frames.udp(7, 5000, 1400));
        host.inject(V6Frames.ethernet(hostRouterMac, HOST_MAC, big));
        final byte[] ptb = next(host, icmpv6(2));
        assertEquals(HOST_MAC, L3Frames.dstMac(ptb));
        assertArrayEquals(ROUTER_HOST, V6Frames.src(ptb), "from the router's address on the host link");
        assertArrayEquals(HOST, V6Frames.dst(ptb));
        assertEquals(1280, V6Frames.u32(ptb, L4 + 4), "the next-hop MTU");
        assertEquals(1280 - 40, V6Frames.payloadLength(ptb), "quote cut to fit the IPv6 minimum MTU");
        assertArrayEquals(Arrays.copyOf(big, 1280 - 48), Arrays.copyOfRange(ptb, L4 + 8, ptb.length));
        assertTrue(V6Frames.icmpv6ChecksumOk(ptb));
        assertEquals(1, counter(RouterCounter.ICMPV6_TIME_EXCEEDED));
        assertEquals(1, counter(RouterCounter.ICMPV6_PACKET_TOO_BIG));
        assertEquals(1, counter(RouterCounter.DROP_TOO_BIG));
    }

    @Test
    void noRouteIsUnreachableAndOtherNetworksAreIsolated()
    {
        start();
        solicit(c1, C1_MAC, C1, GW);
        final byte[] outside = V6Frames.ipv6(C1, addr("2001:db8:ffff::1"), 17, 64, V6Frames.udp(1, 2, 4));
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, outside));
        final byte[] unreachable = next(c1, icmpv6(1));
        assertEquals(0, V6Frames.icmpCode(unreachable), "no route to destination");
        assertTrue(V6Frames.icmpv6ChecksumOk(unreachable));

        final int other = sw.createBridgeDomain("other");
        final MemoryPort c3 = new MemoryPort("c3");
        sw.addPort(c3, other);
        routing.setIpv6Gateway(other, "2001:db8:79::1", 64);
        final long drops = counter(RouterCounter.DROP_NO_ROUTE);
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, V6Frames.ipv6(C1, addr("2001:db8:79::5"), 17, 64,
            V6Frames.udp(1, 2, 4))));
        awaitCounter(routing, RouterCounter.DROP_NO_ROUTE, drops + 1);

        // Without inter-container communication, a container cannot reach another through the gateway either.
        sw.setInterContainer(bd, false);
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, V6Frames.ipv6(C1, C2, 17, 64, V6Frames.udp(1, 2, 4))));
        awaitCounter(routing, RouterCounter.DROP_ICC, 1);
        sw.sync();
        assertNull(c3.sent().poll(), "nothing crossed into the other network");
        assertEquals(0, counter(RouterCounter.ROUTED_IPV6));
        assertEquals(1, counter(RouterCounter.ICMPV6_UNREACHABLE), "isolation is silent");
    }

    @Test
    void malformedIpv6IsCountedAndDropped()
    {
        start();
        final byte[] good = V6Frames.ethernet(gwMac, C1_MAC, echo(C1, GW, 64, 1));
        final byte[] longPayload = good.clone();
        longPayload[IP + 4] = 0x7F; // payload length past the frame
        c1.inject(longPayload);
        c1.inject(Arrays.copyOf(good, IP + 20)); // truncated fixed header
        // A hop-by-hop header claiming more bytes than the packet has.
        final byte[] hbh = new byte[] {58, 8, 0, 0, 0, 0, 0, 0};
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, V6Frames.ipv6(C1, GW, 0, 64, hbh)));
        // A chain of 9 destination-options headers: longer than the parser walks.
        final byte[] chain = new byte[9 * 8 + 8];
        for (int i = 0; i < 9; i++)
        {
            chain[i * 8] = (byte)(i == 8 ? 58 : 60);
        }
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, V6Frames.ipv6(C1, GW, 60, 64, chain)));
        awaitCounter(routing, RouterCounter.DROP_MALFORMED_IPV6, 4);
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, V6Frames.ipv6(C1, GW, 58, 64, new byte[3]))); // ICMPv6 cut short
        awaitCounter(routing, RouterCounter.DROP_MALFORMED_ICMP, 1);
        // Still answering afterwards.
        c1.inject(good);
        next(c1, icmpv6(129));
        assertEquals(0, sw.engineStats().agentErrors(), "no exception from malformed input");
    }

    @Test
    void anIpv6OnlyNetworkHasALegOfItsOwnAndGatewaysComeAndGo()
    {
        start();
        final int v6only = sw.createBridgeDomain("v6only");
        final MemoryPort c4 = new MemoryPort("c4");
        sw.addPort(c4, v6only);
        routing.setIpv6Gateway(v6only, "fd00:4::1", 64);
        final long mac = routing.gatewayMac(v6only);
        assertEquals(0x0242_0000_0001L, mac, "02:42 + the address's last 32 bits");
        final byte[] src = addr("fd00:4::2");
        final long c4Mac = MacAddress.parse("02:00:00:00:00:04");
        c4.inject(V6Frames.ethernet(mac, c4Mac, echo(src, addr("fd00:4::1"), 64, 9)));
        assertArrayEquals(src, V6Frames.dst(next(c4, icmpv6(129))));
        routing.setGatewayMtu(v6only, 1400); // an IPv6-only network's link has an MTU too
        c4.inject(L3Frames.frame(mac, c4Mac, L3Frames.ipv4(1, L3Frames.ip("10.99.0.2"), L3Frames.ip("10.78.0.1"), 64,
            L3Frames.icmpEcho(8, 1, 1))));
        awaitCounter(routing, RouterCounter.DROP_NO_ADDRESS_FAMILY, 1);
        assertThrows(IllegalArgumentException.class, () -> routing.setIpv6Gateway(v6only, "fd00:4::9", 64));
        assertThrows(IllegalArgumentException.class, () -> routing.setIpv6Gateway(v6only + 7, "fe80::1", 64));
        assertThrows(IllegalArgumentException.class, () -> routing.setIpv6Gateway(v6only, "10.0.0.1", 64));

        final int legs = routing.portStats().size();
        routing.removeIpv6Gateway(v6only);
        assertEquals(legs - 1, routing.portStats().size(), "the IPv6-only leg went with its gateway");
        // The dual-stack network keeps its leg while one family's gateway remains.
        routing.removeGateway(bd);
        assertEquals(legs - 1, routing.portStats().size());
        c1.inject(V6Frames.ethernet(gwMac, C1_MAC, echo(C1, GW, 64, 5)));
        next(c1, icmpv6(129));
        routing.removeIpv6Gateway(bd);
        assertEquals(legs - 2, routing.portStats().size());
        assertTrue(routing.ipv6Gateways().isEmpty());
    }

    @Test
    void removingANetworkTakesBothGatewaysAndTheLegAlong()
    {
        start();
        final int v6only = sw.createBridgeDomain("v6only");
        routing.setIpv6Gateway(v6only, "fd00:4::1", 64);
        final int legs = routing.portStats().size();
        sw.removeBridgeDomain(v6only);
        assertEquals(legs - 1, routing.portStats().size());
        sw.removePort(sw.portStats().stream().filter(p -> p.name().equals("c1")).findFirst().orElseThrow().portId());
        sw.removePort(sw.portStats().stream().filter(p -> p.name().equals("c2")).findFirst().orElseThrow().portId());
        sw.removeBridgeDomain(bd); // dual stack
        assertEquals(legs - 2, routing.portStats().size());
        assertTrue(routing.ipv6Gateways().isEmpty());
        assertTrue(routing.gateways().isEmpty());
        // The ids can take gateways again.
        final int again = sw.createBridgeDomain("again");
        routing.setIpv6Gateway(again, "fd00:4::1", 64);
        routing.setGateway(again, "10.78.0.1", 24, false);
        assertEquals(1, routing.ipv6Gateways().size());
        assertEquals(0, sw.engineStats().agentErrors(), String.valueOf(sw.lastAgentError()));
    }

    @Test
    void invalidRequestsAreRefusedAndChangeNothing()
    {
        start();
        final int other = sw.createBridgeDomain("other");
        final int legs = routing.portStats().size();
        for (final String bad : new String[] {"ff02::1", "::", "::1", "fe80::1", "10.0.0.1", "fd00::1/64", "nonsense"})
        {
            assertThrows(IllegalArgumentException.class, () -> routing.setIpv6Gateway(other, bad, 64), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> routing.setIpv6Gateway(other, "fd00:9::1", 0));
        assertThrows(IllegalArgumentException.class, () -> routing.setIpv6Gateway(other, "fd00:9::1", 129));
        assertThrows(IllegalArgumentException.class, () -> routing.setIpv6Gateway(bd, "fd00:9::1", 64),
            "one IPv6 gateway per network");
        assertThrows(IllegalArgumentException.class, () -> routing.removeIpv6Gateway(other));
        assertThrows(IllegalArgumentException.class, () -> routing.setHostPortIpv6("fd6a:7673:0:2::2/64"),
            "the host port has one already");
        assertThrows(IllegalArgumentException.class, () -> routing.setHostPortIpv6("fd6a:7673:0:2::2"));
        assertEquals(legs, routing.portStats().size(), "no leg left behind");
        assertEquals(1, routing.ipv6Gateways().size());
        assertEquals("fd6a:7673:0:1::2/64", routing.hostPortIpv6Address());

        routing.removeHostPortIpv6();
        assertNull(routing.hostPortIpv6Address());
        routing.setHostPortIpv6("fd6a:7673:0:2::2/64");
        routing.removeHostPort();
        assertNull(routing.hostPortIpv6Address(), "IPv6 goes with the host port");
        assertThrows(IllegalArgumentException.class, () -> routing.setHostPortIpv6("fd6a:7673:0:2::2/64"),
            "no host port");
        assertEquals(0, sw.engineStats().agentErrors(), String.valueOf(sw.lastAgentError()));
    }
}
