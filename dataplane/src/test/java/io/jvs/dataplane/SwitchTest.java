package io.jvs.dataplane;

import io.jvs.dataplane.mac.MacEntry;
import io.jvs.dataplane.engine.DropReason;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.testing.Frames;
import io.jvs.dataplane.testing.MemoryPort;
import io.jvs.tap.VnetHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Forwarding through the real agents and threads, with in-memory ports. */
class SwitchTest
{
    private static final long WAIT_NANOS = 5_000_000_000L;
    private static final long MAC1 = MacAddress.parse("02:00:00:00:00:01");
    private static final long MAC2 = MacAddress.parse("02:00:00:00:00:02");
    private static final long MAC3 = MacAddress.parse("02:00:00:00:00:03");
    private static final long MAC9 = MacAddress.parse("02:00:00:00:00:09");

    private Switch sw;

    @AfterEach
    void close()
    {
        if (null != sw)
        {
            sw.close();
        }
    }

    private static SwitchConfig config(
        final SwitchConfig.ThreadingMode mode, final String idle, final long agingNanos)
    {
        final SwitchConfig d = SwitchConfig.defaults();
        return new SwitchConfig(mode, idle, 1 << 20, d.batchSize(), 1024, agingNanos);
    }

    private static void await(final String what, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + WAIT_NANOS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail("timed out waiting for " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    private PortStats stats(final int portId)
    {
        return sw.portStats().stream().filter(s -> s.portId() == portId).findFirst().orElseThrow();
    }

    private BridgeDomainStats bdStats(final int bd)
    {
        return sw.bridgeDomainStats().stream().filter(s -> s.bridgeDomainId() == bd).findFirst().orElseThrow();
    }

    /** Waits until every frame injected so far has been forwarded or dropped. */
    private void awaitQuiet(final MemoryPort... ports)
    {
        await("ports drained", () ->
        {
            for (final MemoryPort p : ports)
            {
                if (p.pendingRx() > 0)
                {
                    return false;
                }
            }
            return true;
        });
        sw.sync();
    }

    private static List<Integer> markers(final MemoryPort port)
    {
        return port.sent().stream().map(Frames::marker).collect(Collectors.toList());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({ "SHARED, poll", "DEDICATED, poll", "SHARED, backoff", "DEDICATED, busy", "SHARED, yield",
        "SHARED, sleep" })
    void floodsUnknownThenForwardsKnownUnicastOnly(final SwitchConfig.ThreadingMode mode, final String idle)
    {
        sw = Switch.start(config(mode, idle, SwitchConfig.DEFAULT_MAC_AGING_NANOS));
        final int bd = sw.createBridgeDomain("net1");
        final MemoryPort m1 = new MemoryPort("m1");
        final MemoryPort m2 = new MemoryPort("m2");
        final MemoryPort m3 = new MemoryPort("m3");
        final int p1 = sw.addPort(m1, bd);
        final int p2 = sw.addPort(m2, bd);
        final int p3 = sw.addPort(m3, bd);

        // MAC2 unknown: flooded to m2 and m3, never back to m1.
        final byte[] first = Frames.simple(MAC2, MAC1, 1);
        m1.inject(first);
        await("flood", () -> m2.sent().size() == 1 && m3.sent().size() == 1);
        assertArrayEquals(first, m2.sent().peek(), "frame (with vnet header) passes unchanged");
        assertTrue(m1.sent().isEmpty());

        // Reply learned MAC2 on m2; MAC1 is known: only m1 gets it.
        m2.inject(Frames.simple(MAC1, MAC2, 2));
        await("unicast", () -> m1.sent().size() == 1);
        // Now MAC2 is known: unicast from m3 goes to m2 only.
        m3.inject(Frames.simple(MAC2, MAC3, 3));
        await("unicast 2", () -> m2.sent().size() == 2);
        awaitQuiet(m1, m2, m3);

        assertEquals(List.of(2), markers(m1));
        assertEquals(List.of(1, 3), markers(m2));
        assertEquals(List.of(1), markers(m3));

        final BridgeDomainStats b = bdStats(bd);
        assertEquals(2, b.forwardedPackets());
        assertEquals(1, b.floodedPackets());
        assertEquals(3, b.learned());
        assertEquals(3, b.macEntries());
        assertEquals(3, b.ports());
        assertTrue(b.drops().values().stream().allMatch(v -> v == 0), b.drops().toString());

        final int frameBytes = first.length - VnetHeader.LENGTH;
        final PortStats s1 = stats(p1);
        assertEquals(1, s1.rxPackets());
        assertEquals(frameBytes, s1.rxBytes());
        assertEquals(1, s1.txPackets());
        assertEquals(frameBytes, s1.txBytes());
        assertEquals(2, stats(p2).txPackets());
        assertEquals(1, stats(p3).txPackets());
        assertTrue(m2.flushes() >= 1);

        final Map<String, Integer> macs = sw.macTable().stream()
            .collect(Collectors.toMap(MacEntry::mac, MacEntry::portId));
        assertEquals(Map.of("02:00:00:00:00:01", p1, "02:00:00:00:00:02", p2, "02:00:00:00:00:03", p3), macs);
        assertEquals("m2", sw.macTable().stream().filter(e -> e.portId() == p2).findFirst().orElseThrow().portName());

        final LatencySnapshot latency = sw.latency();
        assertEquals(3, latency.count());
        assertTrue(latency.maxMicros() > 0 && latency.p50Micros() <= latency.maxMicros());
    }

    @Test
    void namesThreadsByMode()
    {
        sw = Switch.start(config(SwitchConfig.ThreadingMode.DEDICATED, "poll", SwitchConfig.DEFAULT_MAC_AGING_NANOS));
        final List<String> names = Thread.getAllStackTraces().keySet().stream().map(Thread::getName).toList();
        assertTrue(names.contains("jvs-rx") && names.contains("jvs-fwd"), names.toString());
        sw.close();
        sw = Switch.start(config(SwitchConfig.ThreadingMode.SHARED, "poll", SwitchConfig.DEFAULT_MAC_AGING_NANOS));
        final List<String> shared = Thread.getAllStackTraces().keySet().stream().map(Thread::getName).toList();
        assertTrue(shared.contains("jvs-switch"), shared.toString());
    }

    @Test
    void broadcastFloodsWithinBridgeDomainOnlyAndDomainsAreIsolated()
    {
        sw = Switch.start(SwitchConfig.defaults());
        final int red = sw.createBridgeDomain("red");
        final int blue = sw.createBridgeDomain("blue");
        final MemoryPort r1 = new MemoryPort("r1");
        final MemoryPort r2 = new MemoryPort("r2");
        final MemoryPort b1 = new MemoryPort("b1");
        final MemoryPort b2 = new MemoryPort("b2");
        final int pr1 = sw.addPort(r1, red);
        final int pr2 = sw.addPort(r2, red);
        final int pb1 = sw.addPort(b1, blue);
        sw.addPort(b2, blue);

        // The same MACs exist in both domains (containers on two networks can reuse addresses).
        r1.inject(Frames.simple(MacAddress.BROADCAST, MAC1, 10));
        b1.inject(Frames.simple(MacAddress.BROADCAST, MAC1, 20));
        r2.inject(Frames.simple(MAC1, MAC2, 11));     // MAC1 known in red on r1
        b2.inject(Frames.simple(MAC1, MAC2, 21));     // MAC1 known in blue on b1
        b2.inject(Frames.simple(MAC3, MAC2, 22));     // unknown in blue: flood to b1 only
        await("all delivered", () -> r1.sent().size() == 1 && b1.sent().size() == 2);
        awaitQuiet(r1, r2, b1, b2);

        assertEquals(List.of(10), markers(r2));
        assertEquals(List.of(11), markers(r1));
        assertEquals(List.of(20), markers(b2));
        assertEquals(List.of(21, 22), markers(b1));
        for (final MemoryPort p : List.of(r1, r2))
        {
            assertTrue(p.sent().stream().allMatch(f -> Frames.marker(f) < 20), "blue frame in red");
        }

        final List<MacEntry> macs = sw.macTable();
        assertEquals(4, macs.size());
        assertTrue(macs.contains(new MacEntry(red, "02:00:00:00:00:01", pr1, "r1", 0, false)) ||
            macs.stream().anyMatch(e -> e.bridgeDomainId() == red && e.portId() == pr1));
        assertTrue(macs.stream().anyMatch(e -> e.bridgeDomainId() == blue && e.portId() == pb1 &&
            e.mac().equals("02:00:00:00:00:01")));
        assertTrue(macs.stream().noneMatch(e -> e.bridgeDomainId() == red && e.portName().startsWith("b")));

        assertEquals(1, bdStats(red).floodedPackets());
        assertEquals(2, bdStats(blue).floodedPackets());
        assertEquals(1, bdStats(red).forwardedPackets());
        assertEquals(1, bdStats(blue).forwardedPackets());
        assertEquals(0, stats(pr2).drops().get("isolation"));
    }

    @Test
    void malformedAndInvalidFramesAreCountedAndForwardingContinues()
    {
        sw = Switch.start(SwitchConfig.defaults());
        final int bd = sw.createBridgeDomain("n");
        final MemoryPort m1 = new MemoryPort("m1");
        final MemoryPort m2 = new MemoryPort("m2");
        final int p1 = sw.addPort(m1, bd);
        sw.addPort(m2, bd);

        m1.inject(new byte[3]);                                              // shorter than a vnet header
        m1.inject(Frames.withVnet(new byte[13]));                             // shorter than Ethernet
        m1.inject(Frames.simple(MAC2, MacAddress.parse("01:00:5e:00:00:01"), 1)); // multicast source
        m1.inject(Frames.simple(MAC2, 0, 2));                                 // zero source
        m1.inject(Frames.simple(MAC2, MAC1, 3));                              // good
        await("good frame", () -> m2.sent().size() == 1);
        awaitQuiet(m1, m2);
        assertEquals(List.of(3), markers(m2));

        final PortStats s = stats(p1);
        assertEquals(5, s.rxPackets());
        assertEquals(2, s.drops().get(DropReason.MALFORMED.label()));
        assertEquals(2, s.drops().get(DropReason.INVALID_SOURCE.label()));
        final BridgeDomainStats b = bdStats(bd);
        assertEquals(2, b.drops().get("malformed"));
        assertEquals(2, b.drops().get("invalid_source"));
        assertEquals(1, b.learned(), "nothing learned from dropped frames");
        assertEquals(0, sw.engineStats().agentErrors());
    }

    @Test
    void samePortAndTxFullAndTooLongAreDrops()
    {
        sw = Switch.start(SwitchConfig.defaults());
        final int bd = sw.createBridgeDomain("n");
        final MemoryPort m1 = new MemoryPort("m1");
        final MemoryPort m2 = new MemoryPort("m2");
        final int p1 = sw.addPort(m1, bd);
        final int p2 = sw.addPort(m2, bd);

        m1.inject(Frames.simple(MAC9, MAC1, 1));
        m1.inject(Frames.simple(MAC9, MAC3, 2));
        await("flood", () -> m2.sent().size() == 2);
        m1.inject(Frames.simple(MAC3, MAC1, 3)); // MAC3 was learned on m1 itself: same port
        awaitQuiet(m1, m2);
        assertEquals(1, stats(p1).drops().get("same_port"));
        assertEquals(2, m2.sent().size());

        m2.txLimit(0);
        m1.inject(Frames.simple(MAC9, MAC1, 4));
        awaitQuiet(m1, m2);
        assertEquals(1, stats(p2).drops().get("tx_full"), "counted on the egress port");
        assertEquals(1, bdStats(bd).drops().get("tx_full"));

        m2.txLimit(Integer.MAX_VALUE);
        final MemoryPort small = new MemoryPort("small");
        small.maxFrameLength(30);
        final int p3 = sw.addPort(small, bd);
        m1.inject(Frames.simple(MAC9, MAC1, 5));
        awaitQuiet(m1, m2);
        assertEquals(1, stats(p3).drops().get("too_long"));
        assertTrue(small.sent().isEmpty());
        assertEquals(List.of(1, 2, 5), markers(m2));
    }

    @Test
    void agentErrorIsCountedAndForwardingGoesOn()
    {
        sw = Switch.start(SwitchConfig.defaults());
        final int bd = sw.createBridgeDomain("n");
        final MemoryPort m1 = new MemoryPort("m1");
        final MemoryPort m2 = new MemoryPort("m2");
        sw.addPort(m1, bd);
        sw.addPort(m2, bd);
        m2.failOffers(new IllegalStateException("test: offer blew up"));
        m1.inject(Frames.simple(MAC2, MAC1, 1));
        await("error counted", () -> sw.engineStats().agentErrors() == 1);
        assertTrue(sw.lastAgentError().getMessage().contains("offer blew up"));
        m2.failOffers(null);
        m1.inject(Frames.simple(MAC2, MAC1, 2));
        await("forwarding resumed", () -> m2.sent().size() == 1);
        assertEquals(List.of(2), markers(m2));
    }

    @Test
    void removingPortFlushesItsMacsAndClosesIt()
    {
        sw = Switch.start(SwitchConfig.defaults());
        final int bd = sw.createBridgeDomain("n");
        final MemoryPort m1 = new MemoryPort("m1");
        final MemoryPort m2 = new MemoryPort("m2");
        final MemoryPort m3 = new MemoryPort("m3");
        sw.addPort(m1, bd);
        final int p2 = sw.addPort(m2, bd);
        sw.addPort(m3, bd);
        m2.inject(Frames.simple(MacAddress.BROADCAST, MAC2, 1));
        m2.inject(Frames.simple(MacAddress.BROADCAST, MAC9, 2));
        m3.inject(Frames.simple(MacAddress.BROADCAST, MAC3, 3));
        awaitQuiet(m2, m3);
        sw.addStaticMac(bd, MAC1, p2);
        assertEquals(4, sw.macTable().size());

        sw.removePort(p2);
        assertTrue(m2.isClosed());
        final List<MacEntry> left = sw.macTable();
        assertEquals(1, left.size(), left.toString());
        assertEquals("02:00:00:00:00:03", left.get(0).mac());
        assertEquals(1, bdStats(bd).macEntries());
        assertEquals(2, bdStats(bd).ports());
        assertFalse(sw.portStats().stream().anyMatch(s -> s.portId() == p2));

        // MAC2 is unknown again: flooded to m3 only, and m2 gets nothing.
        final int before = m2.sent().size();
        m1.inject(Frames.simple(MAC2, MAC1, 4));
        await("flooded to m3", () -> markers(m3).contains(4));
        assertEquals(before, m2.sent().size());
    }

    @Test
    void staticMacIsNotMovedByLearningAndFlushKeepsIt()
    {
        sw = Switch.start(SwitchConfig.defaults());
        final int bd = sw.createBridgeDomain("n");
        final MemoryPort m1 = new MemoryPort("m1");
        final MemoryPort m2 = new MemoryPort("m2");
        final int p1 = sw.addPort(m1, bd);
        final int p2 = sw.addPort(m2, bd);
        sw.addStaticMac(bd, MAC1, p1);
        m2.inject(Frames.simple(MAC9, MAC1, 1)); // MAC1 appears on m2: static entry must hold
        m2.inject(Frames.simple(MAC9, MAC2, 2));
        awaitQuiet(m1, m2);
        List<MacEntry> macs = sw.macTable();
        assertTrue(macs.contains(new MacEntry(bd, "02:00:00:00:00:01", p1, "m1", 0, true)), macs.toString());
        assertEquals(0, bdStats(bd).moves());

        m2.inject(Frames.simple(MAC2, MAC9, 3)); // learn MAC9 on m2, then move it to m1
        awaitQuiet(m2);
        m1.inject(Frames.simple(MAC2, MAC9, 4));
        await("move", () -> bdStats(bd).moves() == 1);
        macs = sw.macTable();
        assertTrue(macs.stream().anyMatch(e -> e.mac().equals("02:00:00:00:00:09") && e.portId() == p1));

        sw.flushMacs(bd);
        macs = sw.macTable();
        assertEquals(List.of(new MacEntry(bd, "02:00:00:00:00:01", p1, "m1", 0, true)), macs);
        assertEquals(1, bdStats(bd).macEntries());
        assertEquals(p2, stats(p2).portId());
    }

    @Test
    void learnedMacsAgeOut()
    {
        sw = Switch.start(config(SwitchConfig.ThreadingMode.SHARED, "poll", 200_000_000L));
        final int bd = sw.createBridgeDomain("n");
        final MemoryPort m1 = new MemoryPort("m1");
        final MemoryPort m2 = new MemoryPort("m2");
        sw.addPort(m1, bd);
        sw.addPort(m2, bd);
        m1.inject(Frames.simple(MAC2, MAC1, 1));
        await("learned", () -> bdStats(bd).learned() == 1);
        await("aged", () -> bdStats(bd).aged() == 1);
        assertTrue(sw.macTable().isEmpty());
        assertEquals(0, bdStats(bd).macEntries());
    }

    @Test
    void invalidRequestsThrowAndChangeNothing()
    {
        sw = Switch.start(SwitchConfig.defaults());
        final int bd = sw.createBridgeDomain("n");
        final int other = sw.createBridgeDomain("o");
        final MemoryPort m1 = new MemoryPort("m1");
        final int p1 = sw.addPort(m1, bd);
        final List<PortStats> ports = sw.portStats();
        final List<BridgeDomainStats> bds = sw.bridgeDomainStats();

        assertThrows(IllegalArgumentException.class, () -> sw.createBridgeDomain("n"));
        assertThrows(IllegalArgumentException.class, () -> sw.createBridgeDomain(" "));
        assertMessage("unknown bridge domain 99", () -> sw.addPort(new MemoryPort("x"), 99));
        assertMessage("already attached", () -> sw.addPort(m1, other));
        assertMessage("still has ports", () -> sw.removeBridgeDomain(bd));
        assertMessage("unknown bridge domain 77", () -> sw.removeBridgeDomain(77));
        assertMessage("unknown port 55", () -> sw.removePort(55));
        assertMessage("unknown port 55", () -> sw.addStaticMac(bd, MAC1, 55));
        assertMessage("not " + other, () -> sw.addStaticMac(other, MAC1, p1));
        assertMessage("unicast", () -> sw.addStaticMac(bd, MacAddress.BROADCAST, p1));
        assertMessage("unknown bridge domain 0", () -> sw.flushMacs(0));

        assertEquals(ports, sw.portStats());
        assertEquals(bds, sw.bridgeDomainStats());
        assertTrue(sw.macTable().isEmpty());
        assertFalse(m1.isClosed());

        sw.removePort(p1);
        sw.removeBridgeDomain(bd);
        assertEquals(List.of(other), sw.bridgeDomainStats().stream().map(BridgeDomainStats::bridgeDomainId).toList());
        sw.close();
        assertThrows(IllegalStateException.class, () -> sw.createBridgeDomain("z"));
    }

    @Test
    void staticMacIntoFullTableIsRefused()
    {
        sw = Switch.start(new SwitchConfig(SwitchConfig.ThreadingMode.SHARED, "poll", 1 << 16, 16, 2,
            SwitchConfig.DEFAULT_MAC_AGING_NANOS));
        final int bd = sw.createBridgeDomain("n");
        final int p1 = sw.addPort(new MemoryPort("m1"), bd);
        sw.addStaticMac(bd, MAC1, p1);
        sw.addStaticMac(bd, MAC2, p1);
        assertMessage("MAC table full", () -> sw.addStaticMac(bd, MAC3, p1));
        assertEquals(2, sw.macTable().size());
    }

    @Test
    void rejectsBadConfig()
    {
        final SwitchConfig d = SwitchConfig.defaults();
        assertThrows(IllegalArgumentException.class, () -> Switch.start(
            new SwitchConfig(d.threadingMode(), "spin-forever", d.ringCapacityBytes(), d.batchSize(),
                d.macTableCapacity(), d.macAgingNanos())));
        assertThrows(IllegalArgumentException.class, () -> Switch.start(
            new SwitchConfig(d.threadingMode(), "poll", 100_000, d.batchSize(), d.macTableCapacity(),
                d.macAgingNanos())));
        assertThrows(IllegalArgumentException.class, () -> Switch.start(
            new SwitchConfig(d.threadingMode(), "poll", d.ringCapacityBytes(), 0, d.macTableCapacity(),
                d.macAgingNanos())));
    }

    @Test
    void manyFramesAcrossManyPortsAllAccountedFor()
    {
        sw = Switch.start(config(SwitchConfig.ThreadingMode.DEDICATED, "poll", SwitchConfig.DEFAULT_MAC_AGING_NANOS));
        final int bd = sw.createBridgeDomain("n");
        final List<MemoryPort> ports = new ArrayList<>();
        for (int i = 0; i < 8; i++)
        {
            final MemoryPort p = new MemoryPort("m" + i);
            ports.add(p);
            sw.addPort(p, bd);
        }
        // Every port announces itself (broadcast), then sends unicast to each other port.
        for (int i = 0; i < 8; i++)
        {
            ports.get(i).inject(Frames.simple(MacAddress.BROADCAST, MAC1 + i, -1));
        }
        awaitQuiet(ports.toArray(new MemoryPort[0]));
        final int rounds = 200;
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < 8; i++)
            {
                for (int j = 0; j < 8; j++)
                {
                    if (i != j)
                    {
                        ports.get(i).inject(Frames.simple(MAC1 + j, MAC1 + i, r * 64 + i * 8 + j));
                    }
                }
            }
        }
        awaitQuiet(ports.toArray(new MemoryPort[0]));
        for (int j = 0; j < 8; j++)
        {
            final MemoryPort p = ports.get(j);
            final long expected = 7 + (long)rounds * 7;
            assertEquals(expected, p.sent().size(), "port m" + j);
            final int me = j;
            assertTrue(p.sent().stream().filter(f -> Frames.marker(f) >= 0)
                .allMatch(f -> Frames.marker(f) % 8 == me && Frames.src(f) != MAC1 + me));
        }
        assertEquals(rounds * 56, bdStats(bd).forwardedPackets());
        assertEquals(8, bdStats(bd).floodedPackets());
    }

    private static void assertMessage(final String fragment, final org.junit.jupiter.api.function.Executable call)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, call);
        assertTrue(ex.getMessage().contains(fragment), "message '" + ex.getMessage() + "' lacks '" + fragment + "'");
    }
}
