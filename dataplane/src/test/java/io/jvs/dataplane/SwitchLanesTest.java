package io.jvs.dataplane;

import io.jvs.dataplane.mac.MacEntry;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.testing.Frames;
import io.jvs.dataplane.testing.MemoryPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Forwarding with several lanes: ports spread over lanes, frames crossing between them, one MAC table. */
class SwitchLanesTest
{
    private static final long WAIT_NANOS = 20_000_000_000L; // generous: a loaded 2-CPU machine runs four threads here
    private static final long[] MACS = {
        MacAddress.parse("02:00:00:00:01:01"), MacAddress.parse("02:00:00:00:01:02"),
        MacAddress.parse("02:00:00:00:01:03"), MacAddress.parse("02:00:00:00:01:04") };

    private Switch sw;

    @AfterEach
    void close()
    {
        if (null != sw)
        {
            sw.close();
        }
    }

    private static SwitchConfig lanes(final int lanes, final String idle)
    {
        final SwitchConfig d = SwitchConfig.defaults();
        return new SwitchConfig(SwitchConfig.ThreadingMode.SHARED, idle, 1 << 20, d.batchSize(), 1024,
            SwitchConfig.DEFAULT_MAC_AGING_NANOS, 0, 0, d.portRxSlots(), SwitchCpus.NONE, lanes);
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

    @Test
    void portsAreSpreadOverLanesAndFramesCrossBetweenThem()
    {
        sw = Switch.start(lanes(2, "poll"));
        assertEquals(2, sw.lanes());
        final int bd = sw.createBridgeDomain("net");
        final MemoryPort[] m = new MemoryPort[4];
        final int[] ids = new int[4];
        for (int i = 0; i < 4; i++)
        {
            m[i] = new MemoryPort("m" + i);
            ids[i] = sw.addPort(m[i], bd);
        }
        assertArrayEquals(new int[] {2, 2}, sw.portsPerLane(), "new ports go to the lane with fewest");

        // Unknown destination from m0 (lane 0): flooded to m1 (lane 1), m2 (lane 0), m3 (lane 1), not back to m0.
        final byte[] flood = Frames.simple(MACS[3], MACS[0], 1);
        m[0].inject(flood);
        await("flood to every other port", () -> m[1].sent().size() == 1 && m[2].sent().size() == 1 &&
            m[3].sent().size() == 1);
        assertArrayEquals(flood, m[3].sent().peek(), "the frame crosses lanes unchanged");
        assertTrue(m[0].sent().isEmpty());

        // m3 (lane 1) answers m0: MACS[0] was learned by lane 0, lane 1 finds it: one copy, to m0 only.
        m[3].inject(Frames.simple(MACS[0], MACS[3], 2));
        await("unicast to m0", () -> m[0].sent().size() == 1);
        // And m0 to m3 now goes to m3 only: lane 1 learned MACS[3], lane 0 uses it.
        m[0].inject(Frames.simple(MACS[3], MACS[0], 3));
        await("unicast to m3", () -> m[3].sent().size() == 2);
        sw.sync();
        assertEquals(1, m[1].sent().size(), "m1 saw only the flood");
        assertEquals(1, m[2].sent().size(), "m2 saw only the flood");
        assertEquals(List.of(1, 3), m[3].sent().stream().map(Frames::marker).toList());

        // Counters of both lanes are summed: each port's RX on its lane, TX on the lane that owns it.
        assertEquals(2, stats(ids[0]).rxPackets());
        assertEquals(1, stats(ids[0]).txPackets());
        assertEquals(1, stats(ids[3]).rxPackets());
        assertEquals(2, stats(ids[3]).txPackets());
        final BridgeDomainStats bds = bdStats(bd);
        assertEquals(1, bds.floodedPackets());
        assertEquals(2, bds.forwardedPackets());
        assertEquals(2, bds.learned());
        assertEquals(2, bds.macEntries(), "MACs learned on either lane are in the one table");
        final List<MacEntry> table = sw.macTable();
        assertTrue(table.stream().anyMatch(e -> e.portId() == ids[3] && "m3".equals(e.portName())),
            "lane 0 names a port of lane 1: " + table);
    }

    @Test
    void aPortThatLeftIsFloodedToNotCountedAsIsolation()
    {
        sw = Switch.start(lanes(2, "poll"));
        final int bd = sw.createBridgeDomain("net");
        final MemoryPort a = new MemoryPort("a");
        final MemoryPort b = new MemoryPort("b");
        final MemoryPort c = new MemoryPort("c");
        sw.addPort(a, bd); // lane 0
        final int pb = sw.addPort(b, bd); // lane 1
        sw.addPort(c, bd); // lane 0
        b.inject(Frames.simple(MACS[0], MACS[1], 1));
        await("b's flood", () -> a.sent().size() == 1 && c.sent().size() == 1);
        sw.removePort(pb);
        assertArrayEquals(new int[] {1, 1}, sw.portsPerLane(), "2 against 0: one of lane 0's ports moved");
        a.inject(Frames.simple(MACS[1], MACS[0], 2));
        await("flooded to c, b being gone", () -> c.sent().size() == 2);
        sw.sync();
        assertEquals(0, bdStats(bd).drops().get("isolation"));
        assertTrue(b.sent().isEmpty());
        assertTrue(sw.macTable().stream().noneMatch(e -> e.portId() == pb), "b's MACs left with it");
        // A new port goes to the emptier lane again.
        sw.addPort(new MemoryPort("d"), bd);
        assertArrayEquals(new int[] {2, 1}, sw.portsPerLane());
    }

    @Test
    void aRemovalThatUnbalancesTheLanesMovesAPortAndItKeepsForwarding()
    {
        sw = Switch.start(lanes(2, "poll"));
        final int bd = sw.createBridgeDomain("net");
        final MemoryPort[] m = new MemoryPort[6];
        final int[] ids = new int[6];
        for (int i = 0; i < m.length; i++)
        {
            m[i] = new MemoryPort("m" + i);
            ids[i] = sw.addPort(m[i], bd); // even i: lane 0, odd i: lane 1
        }
        assertArrayEquals(new int[] {3, 3}, sw.portsPerLane());
        sw.removePort(ids[1]);
        assertArrayEquals(new int[] {3, 2}, sw.portsPerLane(), "one apart: nothing moves");
        sw.removePort(ids[3]);
        assertArrayEquals(new int[] {2, 2}, sw.portsPerLane(), "two apart: a port of lane 0 moved to lane 1");
        final List<Integer> lanesNow = sw.portStats().stream().map(PortStats::lane).toList();
        assertEquals(2, lanesNow.stream().filter(l -> l == 1).count(), "stats show the move: " + lanesNow);

        // Every remaining pair still talks, the moved port included, in order.
        final int[] left = {0, 2, 4, 5};
        for (final int i : left)
        {
            m[i].inject(Frames.simple(MacAddress.BROADCAST, MACS[0] + i, 0));
        }
        // Each of the four gets the other three's broadcasts; wait for all of them before clearing, or a late one
        // would land among the counted frames.
        await("every port announced itself", () -> m[0].sent().size() == 3 && m[2].sent().size() == 3 &&
            m[4].sent().size() == 3 && m[5].sent().size() == 3);
        sw.sync();
        for (final int i : left)
        {
            m[i].sent().clear();
        }
        final int n = 500;
        for (int k = 1; k <= n; k++)
        {
            for (final int i : left)
            {
                final int to = left[(java.util.Arrays.binarySearch(left, i) + 1) % left.length];
                m[i].inject(Frames.simple(MACS[0] + to, MACS[0] + i, k));
            }
        }
        for (final int i : left)
        {
            await("frames to m" + i, () -> m[i].sent().size() == n);
            int expected = 1;
            for (final byte[] frame : m[i].sent())
            {
                assertEquals(expected++, Frames.marker(frame), "order into m" + i);
            }
        }
    }

    @Test
    void manyFramesBothWaysAcrossLanesKeepTheirOrder()
    {
        sw = Switch.start(lanes(2, "backoff"));
        final int bd = sw.createBridgeDomain("net");
        final MemoryPort a = new MemoryPort("a");
        final MemoryPort b = new MemoryPort("b");
        sw.addPort(a, bd);
        sw.addPort(b, bd);
        a.inject(Frames.simple(MACS[1], MACS[0], 0));
        await("a's first frame", () -> b.sent().size() == 1);
        b.inject(Frames.simple(MACS[0], MACS[1], 0));
        await("b's first frame", () -> a.sent().size() == 1);
        final int n = 5_000;
        for (int i = 1; i <= n; i++)
        {
            a.inject(Frames.simple(MACS[1], MACS[0], i));
            b.inject(Frames.simple(MACS[0], MACS[1], i));
        }
        await("every frame across", () -> a.sent().size() == n + 1 && b.sent().size() == n + 1);
        int expected = 0;
        for (final byte[] frame : a.sent())
        {
            assertEquals(expected++, Frames.marker(frame), "order from b to a");
        }
        expected = 0;
        for (final byte[] frame : b.sent())
        {
            assertEquals(expected++, Frames.marker(frame), "order from a to b");
        }
    }

    @Test
    void badLaneCountsAreRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> lanes(0, "poll"));
        final SwitchConfig d = SwitchConfig.defaults();
        final IllegalArgumentException dedicated = assertThrows(IllegalArgumentException.class, () -> Switch.start(
            new SwitchConfig(SwitchConfig.ThreadingMode.DEDICATED, "poll", 1 << 20, d.batchSize(), 1024,
                SwitchConfig.DEFAULT_MAC_AGING_NANOS, 0, 0, d.portRxSlots(), SwitchCpus.NONE, 2)));
        assertTrue(dedicated.getMessage().contains("one lane"), dedicated.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Switch.start(lanes(65, "poll")));
        assertEquals(1, SwitchLanes.resolve("auto", 2));
        assertEquals(1, SwitchLanes.resolve("auto", 1));
        assertEquals(4, SwitchLanes.resolve("auto", 8));
        assertEquals(2, SwitchLanes.resolve("2", 2));
        final IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
            () -> SwitchLanes.resolve("3", 2));
        assertTrue(tooMany.getMessage().contains("at most one lane per CPU"), tooMany.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SwitchLanes.resolve("x", 2));
        assertThrows(IllegalArgumentException.class, () -> SwitchLanes.resolve("0", 2));
    }
}
