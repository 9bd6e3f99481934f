package io.jvs.dataplane.l3;

import io.jvs.dataplane.engine.L3Output;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static io.jvs.dataplane.l3.L3Frames.IP;
import static io.jvs.dataplane.l3.L3Frames.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ICMP errors the router originates, egress MTU and neighbour expiry, driving the {@link Router} directly with a
 * hand-moved clock (so the rate limit and ARP timers are deterministic). A network 10.78.0.0/24 (gateway .1,
 * container .2) on leg port 1, the uplink 10.77.0.2/24 via 10.77.0.1 on port 2, the host link 169.254.77.2/30 on
 * port 3.
 */
class RouterIcmpTest
{
    private static final int BD = 1;
    private static final int LEG_PORT = 1;
    private static final int UPLINK_PORT = 2;
    private static final int HOST_PORT = 3;
    private static final long GW_MAC = MacAddress.parse("02:42:0a:4e:00:01");
    private static final long UPLINK_MAC = MacAddress.parse("02:42:0a:4d:00:02");
    private static final long HOST_ROUTER_MAC = MacAddress.parse("02:42:a9:fe:4d:02");
    private static final long C1_MAC = MacAddress.parse("02:00:00:00:00:02");
    private static final long OUT_MAC = MacAddress.parse("02:00:00:00:00:99");
    private static final long HOST_MAC = MacAddress.parse("02:00:00:00:00:77");
    private static final int GW = ip("10.78.0.1");
    private static final int C1 = ip("10.78.0.2");
    private static final int UPLINK = ip("10.77.0.2");
    private static final int OUT = ip("10.77.0.1");
    private static final int REMOTE = ip("198.18.0.7");
    private static final int HOST_ROUTER = ip("169.254.77.2");
    private static final int HOST = ip("169.254.77.1");
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    /** One frame the router emitted: on which port, bridged (leg) or routed. */
    private record Sent(int port, boolean bridged, byte[] frame)
    {
    }

    private final ArrayDeque<Sent> sent = new ArrayDeque<>();
    private final RouterCounters counters = new RouterCounters();
    private Router router;
    private long now = 5 * SECOND;

    @BeforeEach
    void setUp()
    {
        router = new Router(NatConfig.defaults(), counters);
        router.output(new L3Output()
        {
            public void injectBridged(final int legPort, final MutableDirectBuffer buffer, final int offset,
                final int length)
            {
                sent.add(new Sent(legPort, true, copy(buffer, offset, length)));
            }

            public boolean transmitRouted(final int port, final MutableDirectBuffer buffer, final int offset,
                final int length)
            {
                sent.add(new Sent(port, false, copy(buffer, offset, length)));
                return true;
            }
        });
        tick(0);
        router.addLeg(BD, LEG_PORT, GW_MAC, GW, 24, false);
        router.setUplink(UPLINK_PORT, UPLINK_MAC, UPLINK, 24, OUT);
        router.setHost(HOST_PORT, HOST_ROUTER_MAC, HOST_ROUTER, 30);
        // Neighbours announce themselves by asking for the router's addresses.
        inject(LEG_PORT, L3Frames.arp(1, C1_MAC, C1, 0, GW, MacAddress.BROADCAST));
        inject(UPLINK_PORT, L3Frames.arp(1, OUT_MAC, OUT, 0, UPLINK, MacAddress.BROADCAST));
        inject(HOST_PORT, L3Frames.arp(1, HOST_MAC, HOST, 0, HOST_ROUTER, MacAddress.BROADCAST));
        sent.clear();
    }

    private static byte[] copy(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        final byte[] b = new byte[length];
        buffer.getBytes(offset, b);
        return b;
    }

    private void tick(final long nanos)
    {
        now += nanos;
        router.doWork(now);
    }

    private void inject(final int port, final byte[] frame)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(frame.clone());
        if (port == LEG_PORT)
        {
            router.onBridgedFrame(port, buffer, 0, frame.length);
        }
        else
        {
            router.onRoutedFrame(port, buffer, 0, frame.length);
        }
    }

    private byte[] fromC1(final byte[] ipv4)
    {
        return L3Frames.frame(GW_MAC, C1_MAC, ipv4);
    }

    private long count(final RouterCounter counter)
    {
        return counters.get(counter);
    }

    /** The next IPv4 frame sent, ARP skipped; null if none. */
    private Sent nextIpv4()
    {
        Sent s;
        while ((s = sent.poll()) != null)
        {
            if (L3Frames.etherType(s.frame()) == 0x0800)
            {
                return s;
            }
        }
        return null;
    }

    /** Checks an ICMP error's framing and checksums; returns its quote (the offending datagram's first bytes). */
    private static byte[] assertIcmpError(final Sent s, final int port, final long ethDst, final long ethSrc,
        final int src, final int dst, final int type, final int code)
    {
        return assertIcmpError(s, port, ethDst, ethSrc, src, dst, type, code, 64);
    }

    private static byte[] assertIcmpError(final Sent s, final int port, final long ethDst, final long ethSrc,
        final int src, final int dst, final int type, final int code, final int ttl)
    {
        assertNotNull(s, "an ICMP error was sent");
        final byte[] f = s.frame();
        assertEquals(port, s.port());
        assertEquals(ethDst, L3Frames.dstMac(f));
        assertEquals(ethSrc, L3Frames.srcMac(f));
        assertEquals(1, L3Frames.protocol(f));
        assertEquals(src, L3Frames.src(f));
        assertEquals(dst, L3Frames.dst(f));
        assertEquals(ttl, L3Frames.ttl(f));
        assertEquals(type, L3Frames.icmpType(f));
        assertEquals(code, f[IP + 21] & 0xFF);
        assertTrue(L3Frames.ipChecksumOk(f), "IP checksum");
        assertTrue(L3Frames.l4ChecksumOk(f), "ICMP checksum");
        final int total = ByteBuffer.wrap(f).getShort(IP + 2) & 0xFFFF;
        assertEquals(IP + total, f.length);
        assertTrue(total <= 576, "at most 576 bytes: " + total);
        for (int i = 0; i < VnetHeader.LENGTH; i++)
        {
            assertEquals(0, f[i], "no offload state on a built frame");
        }
        return Arrays.copyOfRange(f, IP + 28, f.length);
    }

    private static byte[] ipOf(final byte[] frame)
    {
        return Arrays.copyOfRange(frame, IP, frame.length);
    }

    /** Rewrites the IPv4 flags/fragment word (and TTL) of a frame, fixing the header checksum. */
    private static byte[] withFlags(final byte[] frame, final int flagsFragment, final int ttl)
    {
        final ByteBuffer b = ByteBuffer.wrap(frame);
        b.putShort(IP + 6, (short)flagsFragment);
        b.put(IP + 8, (byte)ttl);
        b.putShort(IP + 10, (short)0);
        b.putShort(IP + 10, (short)(~L3Frames.sum(frame, IP, IP + 20) & 0xFFFF));
        return frame;
    }

    // ------------------------------------------------------------------------------------------------ time exceeded

    @Test
    void ttlOneToBeRoutedGetsTimeExceededFromTheIngressLeg()
    {
        final byte[] probe = fromC1(L3Frames.ipv4(17, C1, REMOTE, 1, L3Frames.udp(40000, 33434, 24)));
        inject(LEG_PORT, probe);
        final Sent s = nextIpv4();
        final byte[] quote = assertIcmpError(s, LEG_PORT, C1_MAC, GW_MAC, GW, C1, 11, 0);
        assertTrue(s.bridged());
        assertArrayEquals(ipOf(probe), quote, "the whole (short) datagram, as sent");
        assertNull(nextIpv4());
        assertEquals(1, count(RouterCounter.ICMP_TIME_EXCEEDED));
        assertEquals(1, count(RouterCounter.DROP_TTL));
        assertEquals(0, count(RouterCounter.NAT_CREATED), "no connection for a packet that expires");

        inject(LEG_PORT, fromC1(L3Frames.ipv4(17, C1, REMOTE, 2, L3Frames.udp(40000, 33435, 24))));
        final Sent forwarded = nextIpv4();
        assertNotNull(forwarded);
        assertEquals(UPLINK_PORT, forwarded.port());
        assertEquals(1, L3Frames.ttl(forwarded.frame()));
    }

    @Test
    void ttlExpiryOfATranslatedFlowQuotesThePacketAsReceived()
    {
        inject(LEG_PORT, fromC1(L3Frames.ipv4(17, C1, REMOTE, 64, L3Frames.udp(5353, 53, 20))));
        final int natPort = L3Frames.sport(nextIpv4().frame());
        // The reply comes back with TTL 1: the error goes to the outside peer, quoting what it sent.
        final byte[] reply = L3Frames.frame(UPLINK_MAC, OUT_MAC,
            L3Frames.ipv4(17, REMOTE, UPLINK, 1, L3Frames.udp(53, natPort, 20)));
        inject(UPLINK_PORT, reply);
        final Sent s = nextIpv4();
        assertArrayEquals(ipOf(reply), assertIcmpError(s, UPLINK_PORT, OUT_MAC, UPLINK_MAC, UPLINK, REMOTE, 11, 0));
        assertEquals(1, count(RouterCounter.NAT_TRANSLATED), "only the outbound packet was translated");

        // An outbound packet of the flow with TTL 1: quoted untranslated, to the container.
        final byte[] outbound = fromC1(L3Frames.ipv4(17, C1, REMOTE, 1, L3Frames.udp(5353, 53, 20)));
        inject(LEG_PORT, outbound);
        assertArrayEquals(ipOf(outbound), assertIcmpError(nextIpv4(), LEG_PORT, C1_MAC, GW_MAC, GW, C1, 11, 0));
    }

    @Test
    void quoteIsCappedSoTheErrorIsAtMost576Bytes()
    {
        final byte[] big = fromC1(L3Frames.ipv4(17, C1, REMOTE, 1, L3Frames.udp(40000, 33434, 1000)));
        inject(LEG_PORT, big);
        final byte[] quote = assertIcmpError(nextIpv4(), LEG_PORT, C1_MAC, GW_MAC, GW, C1, 11, 0);
        assertEquals(IcmpErrors.MAX_QUOTE_LENGTH, quote.length);
        assertArrayEquals(Arrays.copyOfRange(big, IP, IP + quote.length), quote);
    }

    // ------------------------------------------------------------------------------------------------ unreachable

    @Test
    void noRouteGetsNetUnreachable()
    {
        router.clearUplink();
        final byte[] packet = fromC1(L3Frames.ipv4(6, C1, REMOTE, 64, L3Frames.tcp(40000, 443, 0x02, 0)));
        inject(LEG_PORT, packet);
        assertArrayEquals(ipOf(packet), assertIcmpError(nextIpv4(), LEG_PORT, C1_MAC, GW_MAC, GW, C1, 3, 0));
        assertEquals(1, count(RouterCounter.ICMP_NET_UNREACHABLE));
        assertEquals(1, count(RouterCounter.DROP_NO_ROUTE));
    }

    @Test
    void internalNetworkGetsNetUnreachableOutward()
    {
        router.removeLeg(BD);
        router.addLeg(BD, LEG_PORT, GW_MAC, GW, 24, true);
        inject(LEG_PORT, fromC1(L3Frames.ipv4(17, C1, REMOTE, 64, L3Frames.udp(1, 2, 3))));
        assertIcmpError(nextIpv4(), LEG_PORT, C1_MAC, GW_MAC, GW, C1, 3, 0);
    }

    @Test
    void udpToARouterAddressGetsPortUnreachableTcpDoesNot()
    {
        final byte[] udp = fromC1(L3Frames.ipv4(17, C1, GW, 64, L3Frames.udp(40000, 9999, 8)));
        inject(LEG_PORT, udp);
        assertArrayEquals(ipOf(udp), assertIcmpError(nextIpv4(), LEG_PORT, C1_MAC, GW_MAC, GW, C1, 3, 3));
        assertEquals(1, count(RouterCounter.ICMP_PORT_UNREACHABLE));
        assertEquals(1, count(RouterCounter.DROP_TO_ROUTER));

        // To the uplink address from outside: same (the address is the router's, nothing is published there).
        inject(UPLINK_PORT, L3Frames.frame(UPLINK_MAC, OUT_MAC,
            L3Frames.ipv4(17, REMOTE, UPLINK, 64, L3Frames.udp(40000, 9999, 8))));
        assertIcmpError(nextIpv4(), UPLINK_PORT, OUT_MAC, UPLINK_MAC, UPLINK, REMOTE, 3, 3);

        inject(LEG_PORT, fromC1(L3Frames.ipv4(6, C1, GW, 64, L3Frames.tcp(40000, 9999, 0x02, 0))));
        assertNull(nextIpv4());
        assertEquals(2, count(RouterCounter.ICMP_PORT_UNREACHABLE));
    }

    @Test
    void hostUnreachableQuotesTheContainersOwnPacket()
    {
        final int absent = ip("10.77.0.99");
        final byte[] ping = fromC1(L3Frames.ipv4(1, C1, absent, 64, L3Frames.icmpEcho(8, 4242, 1)));
        inject(LEG_PORT, ping);
        Sent error = null;
        int requests = 0;
        for (int i = 0; i < 50 && error == null; i++)
        {
            tick(SECOND / 10);
            for (final Sent s : sent)
            {
                requests += L3Frames.etherType(s.frame()) == 0x0806 ? 1 : 0;
            }
            error = nextIpv4();
        }
        assertEquals(Router.ARP_MAX_REQUESTS, requests, "broadcast requests before giving up");
        assertEquals(1, count(RouterCounter.DROP_ARP_UNRESOLVED));
        // Routed back through the NAT like any translated error: one hop.
        final byte[] quote = assertIcmpError(error, LEG_PORT, C1_MAC, GW_MAC, GW, C1, 3, 1, 63);
        // The held packet was masqueraded; the error quotes it as the container sent it (TTL one less).
        final byte[] expected = ipOf(ping);
        assertEquals(ByteBuffer.wrap(expected).getInt(12), ByteBuffer.wrap(quote).getInt(12), "inner source");
        assertEquals(4242, ByteBuffer.wrap(quote).getShort(24) & 0xFFFF, "inner identifier");
        assertEquals(L3Frames.sum(quote, 0, 20), 0xFFFF, "inner IP checksum");
        assertEquals(1, count(RouterCounter.ICMP_HOST_UNREACHABLE));
        assertEquals(1, count(RouterCounter.NAT_ICMP_ERRORS));

        // The failed neighbour is forgotten: the next packet asks again.
        tick(2 * SECOND);
        sent.clear();
        inject(LEG_PORT, fromC1(L3Frames.ipv4(1, C1, absent, 64, L3Frames.icmpEcho(8, 4242, 2))));
        final Sent arp = sent.poll();
        assertNotNull(arp);
        assertEquals(0x0806, L3Frames.etherType(arp.frame()));
    }

    @Test
    void hostUnreachableWithoutNatGoesBackAsIs()
    {
        final int absent = ip("10.78.0.50");
        final byte[] packet = L3Frames.frame(HOST_ROUTER_MAC, HOST_MAC,
            L3Frames.ipv4(17, HOST, absent, 64, L3Frames.udp(40000, 80, 10)));
        inject(HOST_PORT, packet);
        Sent error = null;
        for (int i = 0; i < 50 && error == null; i++)
        {
            tick(SECOND / 10);
            error = nextIpv4();
        }
        final byte[] quote = assertIcmpError(error, HOST_PORT, HOST_MAC, HOST_ROUTER_MAC, HOST_ROUTER, HOST, 3, 1);
        assertEquals(absent, ByteBuffer.wrap(quote).getInt(16));
        assertEquals(63, quote[8] & 0xFF, "the held packet had been through the TTL decrement");
    }

    // ------------------------------------------------------------------------------------------------ MTU

    @Test
    void dfPacketLargerThanTheEgressMtuGetsFragmentationNeeded()
    {
        router.setMtu(Router.UPLINK, 1400);
        final byte[] big = fromC1(L3Frames.ipv4(17, C1, REMOTE, 64, L3Frames.udp(40000, 53, 1472)));
        inject(LEG_PORT, big);
        final Sent s = nextIpv4();
        final byte[] quote = assertIcmpError(s, LEG_PORT, C1_MAC, GW_MAC, GW, C1, 3, 4);
        assertEquals(1400, ByteBuffer.wrap(s.frame()).getShort(IP + 26) & 0xFFFF, "next-hop MTU");
        assertEquals(0, ByteBuffer.wrap(s.frame()).getShort(IP + 24), "unused");
        assertArrayEquals(Arrays.copyOfRange(big, IP, IP + quote.length), quote);
        assertEquals(1, count(RouterCounter.ICMP_FRAG_NEEDED));
        assertEquals(1, count(RouterCounter.DROP_TOO_BIG));
        assertEquals(0, count(RouterCounter.NAT_CREATED));

        inject(LEG_PORT, fromC1(L3Frames.ipv4(17, C1, REMOTE, 64, L3Frames.udp(40000, 53, 1372))));
        assertEquals(UPLINK_PORT, nextIpv4().port(), "exactly the MTU passes");
    }

    @Test
    void tooBigWithoutDfIsDroppedSilently()
    {
        router.setMtu(Router.UPLINK, 1400);
        inject(LEG_PORT, withFlags(fromC1(L3Frames.ipv4(17, C1, REMOTE, 64, L3Frames.udp(40000, 53, 1472))), 0, 64));
        assertNull(nextIpv4());
        assertEquals(1, count(RouterCounter.DROP_TOO_BIG));
        assertEquals(0, count(RouterCounter.ICMP_FRAG_NEEDED));
    }

    @Test
    void gsoFrameIsMeasuredBySegment()
    {
        router.setMtu(Router.UPLINK, 1400);
        final byte[] segmentTooBig = gso(fromC1(L3Frames.ipv4(6, C1, REMOTE, 64, L3Frames.tcp(40000, 5201, 0x10, 8000))),
            1448);
        inject(LEG_PORT, segmentTooBig);
        final Sent s = nextIpv4();
        assertIcmpError(s, LEG_PORT, C1_MAC, GW_MAC, GW, C1, 3, 4);
        assertEquals(1400, ByteBuffer.wrap(s.frame()).getShort(IP + 26) & 0xFFFF);

        inject(LEG_PORT, gso(fromC1(L3Frames.ipv4(6, C1, REMOTE, 64, L3Frames.tcp(40000, 5201, 0x10, 8000))), 1360));
        final Sent passed = nextIpv4();
        assertNotNull(passed);
        assertEquals(UPLINK_PORT, passed.port(), "40 bytes of headers + 1360 = 1400 per segment");
    }

    private static byte[] gso(final byte[] frame, final int gsoSize)
    {
        final ByteBuffer b = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);
        b.put(VnetHeader.GSO_TYPE_OFFSET, (byte)VnetHeader.GSO_TCPV4);
        b.putShort(VnetHeader.HDR_LEN_OFFSET, (short)(14 + 40));
        b.putShort(VnetHeader.GSO_SIZE_OFFSET, (short)gsoSize);
        return frame;
    }

    @Test
    void mtuOutOfRangeIsRefused()
    {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> router.setMtu(Router.UPLINK, 67));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> router.setMtu(BD + 1, 1500));
        assertEquals(Router.DEFAULT_MTU, router.mtu(BD));
    }

    // ------------------------------------------------------------------------------------------------ never send

    private void assertSuppressed(final byte[] frame, final String why)
    {
        assertSuppressed(LEG_PORT, frame, why);
    }

    private void assertSuppressed(final int port, final byte[] frame, final String why)
    {
        final long before = count(RouterCounter.ICMP_ERRORS_SUPPRESSED);
        inject(port, frame);
        assertNull(nextIpv4(), why + ": no error");
        assertEquals(before + 1, count(RouterCounter.ICMP_ERRORS_SUPPRESSED), why);
    }

    @Test
    void noErrorAboutAnIcmpError()
    {
        // Routed host -> network (no NAT on the way), TTL 1.
        final byte[] inner = L3Frames.ipv4(17, C1, HOST, 64, L3Frames.udp(1, 2, 8));
        for (final int type : new int[] {3, 4, 5, 11, 12, 99})
        {
            assertSuppressed(HOST_PORT, L3Frames.frame(HOST_ROUTER_MAC, HOST_MAC,
                L3Frames.ipv4(1, HOST, C1, 1, L3Frames.icmpError(type, 0, inner, 28))), "ICMP type " + type);
        }
        // Echo is a query, not an error: a traceroute -I probe gets its time exceeded.
        inject(LEG_PORT, fromC1(L3Frames.ipv4(1, C1, REMOTE, 1, L3Frames.icmpEcho(8, 7, 1))));
        assertIcmpError(nextIpv4(), LEG_PORT, C1_MAC, GW_MAC, GW, C1, 11, 0);
    }

    @Test
    void noErrorAboutANonFirstFragment()
    {
        // Fragments between the network and the host are routed (no NAT): TTL 1 there, from the host.
        final byte[] fromHost = L3Frames.frame(HOST_ROUTER_MAC, HOST_MAC,
            L3Frames.ipv4(17, HOST, C1, 1, L3Frames.udp(1, 2, 40)));
        final long before = count(RouterCounter.ICMP_ERRORS_SUPPRESSED);
        inject(HOST_PORT, withFlags(fromHost.clone(), 0x2000 | 185, 1));
        assertNull(nextIpv4(), "later fragment");
        assertEquals(before + 1, count(RouterCounter.ICMP_ERRORS_SUPPRESSED));
        inject(HOST_PORT, withFlags(fromHost.clone(), 0x2000, 1));
        assertIcmpError(nextIpv4(), HOST_PORT, HOST_MAC, HOST_ROUTER_MAC, HOST_ROUTER, HOST, 11, 0);
    }

    @Test
    void noErrorAboutBroadcastOrMulticastDestinations()
    {
        assertSuppressed(fromC1(L3Frames.ipv4(17, C1, ip("255.255.255.255"), 1, L3Frames.udp(1, 2, 8))), "limited");
        assertSuppressed(fromC1(L3Frames.ipv4(17, C1, ip("224.0.0.251"), 1, L3Frames.udp(1, 2, 8))), "multicast");
        assertSuppressed(fromC1(L3Frames.ipv4(17, C1, ip("10.77.0.255"), 1, L3Frames.udp(1, 2, 8))), "directed");
    }

    @Test
    void noErrorAboutASourceThatIsNotOneHost()
    {
        for (final String source : new String[] {"0.0.0.0", "127.0.0.1", "224.1.2.3", "240.0.0.1",
            "255.255.255.255", "10.78.0.255"})
        {
            assertSuppressed(fromC1(L3Frames.ipv4(17, ip(source), REMOTE, 1, L3Frames.udp(1, 2, 8))), source);
        }
    }

    // ------------------------------------------------------------------------------------------------ rate limit

    @Test
    void errorsAreRateLimitedLikeLinux()
    {
        final byte[] probe = fromC1(L3Frames.ipv4(17, C1, REMOTE, 1, L3Frames.udp(40000, 33434, 8)));
        for (int i = 0; i < 60; i++)
        {
            inject(LEG_PORT, probe);
        }
        assertEquals(Router.ICMP_ERRORS_BURST, count(RouterCounter.ICMP_TIME_EXCEEDED), "the burst");
        assertEquals(10, count(RouterCounter.ICMP_ERRORS_RATE_LIMITED));
        assertEquals(60, count(RouterCounter.DROP_TTL), "every packet is still a counted drop");

        tick(TimeUnit.MILLISECONDS.toNanos(5)); // 1000/s: five more
        for (int i = 0; i < 10; i++)
        {
            inject(LEG_PORT, probe);
        }
        assertEquals(Router.ICMP_ERRORS_BURST + 5, count(RouterCounter.ICMP_TIME_EXCEEDED));

        tick(10 * SECOND); // refills to the burst, not beyond
        for (int i = 0; i < 100; i++)
        {
            inject(LEG_PORT, probe);
        }
        assertEquals(2 * Router.ICMP_ERRORS_BURST + 5, count(RouterCounter.ICMP_TIME_EXCEEDED));
    }

    @Test
    void fragmentationNeededIsNotRateLimited()
    {
        router.setMtu(Router.UPLINK, 1400);
        final byte[] big = fromC1(L3Frames.ipv4(17, C1, REMOTE, 64, L3Frames.udp(40000, 53, 1472)));
        for (int i = 0; i < 200; i++)
        {
            inject(LEG_PORT, big);
        }
        assertEquals(200, count(RouterCounter.ICMP_FRAG_NEEDED));
        assertEquals(0, count(RouterCounter.ICMP_ERRORS_RATE_LIMITED));
    }

    // ------------------------------------------------------------------------------------------------ neighbours

    @Test
    void staleNeighbourIsProbedAndForgottenWhenSilent()
    {
        final byte[] toC1 = L3Frames.frame(HOST_ROUTER_MAC, HOST_MAC,
            L3Frames.ipv4(17, HOST, C1, 64, L3Frames.udp(1, 2, 8)));
        inject(HOST_PORT, toC1);
        assertEquals(LEG_PORT, nextIpv4().port());
        assertTrue(sent.isEmpty(), "confirmed: no ARP");

        tick(NeighbourTable.REACHABLE_NANOS + SECOND);
        sent.clear();
        inject(HOST_PORT, toC1);
        final Sent probe = sent.poll();
        assertNotNull(probe);
        assertEquals(0x0806, L3Frames.etherType(probe.frame()));
        assertEquals(C1_MAC, L3Frames.dstMac(probe.frame()), "unicast probe to the known MAC");
        assertEquals(LEG_PORT, nextIpv4().port(), "still forwarded while probing");

        // No answer: two more probes a second apart, then the entry is gone and the next packet broadcasts.
        int probes = 1;
        for (int i = 0; i < 100; i++)
        {
            tick(SECOND / 10);
            for (Sent s; (s = sent.poll()) != null; )
            {
                probes++;
                assertEquals(C1_MAC, L3Frames.dstMac(s.frame()));
            }
        }
        assertEquals(NeighbourTable.MAX_PROBES, probes);
        inject(HOST_PORT, toC1);
        final Sent request = sent.poll();
        assertNotNull(request);
        assertEquals(MacAddress.BROADCAST, L3Frames.dstMac(request.frame()));
        assertNull(nextIpv4(), "held while resolving");
    }

    @Test
    void answeredProbeKeepsTheNeighbour()
    {
        tick(NeighbourTable.REACHABLE_NANOS + SECOND);
        final byte[] toC1 = L3Frames.frame(HOST_ROUTER_MAC, HOST_MAC,
            L3Frames.ipv4(17, HOST, C1, 64, L3Frames.udp(1, 2, 8)));
        inject(HOST_PORT, toC1);
        assertEquals(0x0806, L3Frames.etherType(sent.poll().frame()));
        inject(LEG_PORT, L3Frames.arp(2, C1_MAC, C1, GW_MAC, GW, GW_MAC));
        sent.clear();
        for (int i = 0; i < 50; i++)
        {
            tick(SECOND / 10);
        }
        assertTrue(sent.isEmpty(), "confirmed again: no more probes");
        inject(HOST_PORT, toC1);
        assertEquals(LEG_PORT, nextIpv4().port());
    }
}
