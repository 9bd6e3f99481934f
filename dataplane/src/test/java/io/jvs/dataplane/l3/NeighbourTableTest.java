package io.jvs.dataplane.l3;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NeighbourTableTest
{
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long T0 = 1000 * SECOND;

    private final List<String> probes = new ArrayList<>();
    private final NeighbourTable.Prober prober = (iface, ip, mac) -> probes.add(iface + "/" + ip + "/" + mac);

    /** Sweeps in 100 ms steps from {@code from} for {@code nanos}; @return the time reached. */
    private long sweep(final NeighbourTable table, final long from, final long nanos)
    {
        long t = from;
        for (; t < from + nanos; t += SECOND / 10)
        {
            table.sweep(t, prober);
        }
        return t;
    }

    @Test
    void resolvedEntryGoesStaleAfterTheReachableTime()
    {
        final NeighbourTable table = new NeighbourTable(16);
        final int slot = table.findOrCreate(1, 42);
        assertTrue(table.resolve(slot, 0x0200_0000_0001L, T0), "was unresolved");
        assertFalse(table.needsProbe(slot, T0 + NeighbourTable.REACHABLE_NANOS));
        assertTrue(table.needsProbe(slot, T0 + NeighbourTable.REACHABLE_NANOS + 1));
        table.requested(slot, T0 + NeighbourTable.REACHABLE_NANOS + 1);
        assertFalse(table.needsProbe(slot, T0 + NeighbourTable.REACHABLE_NANOS + 2), "one probe at a time");
        assertFalse(table.resolve(slot, 0x0200_0000_0001L, T0 + 40 * SECOND), "already resolved");
        assertFalse(table.needsProbe(slot, T0 + 41 * SECOND), "confirmed again");
    }

    @Test
    void probedEntryIsRetriedThenRemoved()
    {
        final NeighbourTable table = new NeighbourTable(16);
        final long mac = 0x0200_0000_0007L;
        table.resolve(table.findOrCreate(3, 7), mac, T0);
        long t = T0 + NeighbourTable.REACHABLE_NANOS + SECOND;
        table.sweep(T0, prober);
        table.requested(table.find(3, 7), t); // the router's first probe, on use
        t = sweep(table, t, 10 * SECOND);
        assertEquals(List.of("3/7/" + mac, "3/7/" + mac), probes, "two more probes");
        assertEquals(NeighbourTable.NOT_FOUND, table.find(3, 7), "gone after the third went unanswered");
        assertEquals(0, table.size());
        assertTrue(t > T0);
    }

    @Test
    void unusedStaleEntryIsCollectedAndUnansweredRequestsFail()
    {
        final NeighbourTable table = new NeighbourTable(16);
        table.resolve(table.findOrCreate(1, 1), 0x0200_0000_0001L, T0);
        final int pending = table.findOrCreate(1, 2);
        for (int i = 0; i < NeighbourTable.MAX_PROBES; i++)
        {
            table.requested(pending, T0 + i * SECOND);
        }
        table.sweep(T0, prober);
        long t = sweep(table, T0, 5 * SECOND);
        assertEquals(NeighbourTable.NOT_FOUND, table.find(1, 2), "failed resolution removed");
        assertNotEquals(NeighbourTable.NOT_FOUND, table.find(1, 1));
        t = sweep(table, t, 80 * SECOND); // stale at T0 + 30 s, collected 60 s later
        assertNotEquals(NeighbourTable.NOT_FOUND, table.find(1, 1), "not yet: gc_stale_time not over");
        sweep(table, t, 10 * SECOND);
        assertEquals(NeighbourTable.NOT_FOUND, table.find(1, 1), "stale and unused: collected");
        assertTrue(probes.isEmpty(), "unused entries are not probed");
    }

    @Test
    void boundedAndReusableAfterRemoval()
    {
        final NeighbourTable table = new NeighbourTable(8);
        for (int ip = 0; ip < 8; ip++)
        {
            assertNotEquals(NeighbourTable.NOT_FOUND, table.findOrCreate(0, ip));
        }
        assertEquals(NeighbourTable.NOT_FOUND, table.findOrCreate(0, 99), "full");
        table.remove(table.find(0, 3));
        assertNotEquals(NeighbourTable.NOT_FOUND, table.findOrCreate(0, 99));
        assertEquals(8, table.size());
    }

    /** The per-interface last-hit slot stays right while other entries are removed and shifted around it. */
    @Test
    void repeatedNextHopsFindTheirOwnSlotThroughRemovals()
    {
        final NeighbourTable table = new NeighbourTable(64);
        final Map<Long, Long> model = new HashMap<>();
        final SplittableRandom random = new SplittableRandom(5);
        for (int step = 0; step < 100_000; step++)
        {
            final int iface = random.nextInt(3);
            final int ip = random.nextInt(4) != 0 ? random.nextInt(2) : random.nextInt(100); // mostly 2 next hops
            final long key = NeighbourTable.key(iface, ip);
            if (random.nextInt(4) == 0)
            {
                final int slot = table.find(iface, ip);
                if (slot != NeighbourTable.NOT_FOUND)
                {
                    table.remove(slot);
                    model.remove(key);
                }
                continue;
            }
            final int slot = table.findOrCreate(iface, ip);
            if (slot == NeighbourTable.NOT_FOUND)
            {
                assertEquals(64, model.size(), "refused only when full");
                continue;
            }
            assertEquals(slot, table.find(iface, ip), "the slot the hash probe finds");
            assertEquals(model.getOrDefault(key, NeighbourTable.UNRESOLVED), table.mac(slot));
            final long mac = 0x0200_0000_0000L | step;
            table.resolve(slot, mac, T0);
            model.put(key, mac);
        }
    }

    @Test
    void randomAddRemoveMatchesAModel()
    {
        final NeighbourTable table = new NeighbourTable(512);
        final Map<Long, Long> model = new HashMap<>();
        final SplittableRandom random = new SplittableRandom(11);
        for (int step = 0; step < 200_000; step++)
        {
            final int iface = random.nextInt(4);
            final int ip = random.nextInt(700);
            final long key = NeighbourTable.key(iface, ip);
            if (random.nextInt(3) == 0)
            {
                final int slot = table.find(iface, ip);
                assertEquals(model.containsKey(key), slot != NeighbourTable.NOT_FOUND);
                if (slot != NeighbourTable.NOT_FOUND)
                {
                    table.remove(slot);
                    model.remove(key);
                }
            }
            else
            {
                final int slot = table.findOrCreate(iface, ip);
                if (slot == NeighbourTable.NOT_FOUND)
                {
                    assertEquals(512, model.size(), "refused only when full");
                    assertFalse(model.containsKey(key));
                    continue;
                }
                final long mac = 0x0200_0000_0000L | step;
                table.resolve(slot, mac, T0);
                model.put(key, mac);
            }
            if (step % 1000 == 0)
            {
                assertEquals(model.size(), table.size());
                for (final Map.Entry<Long, Long> e : model.entrySet())
                {
                    final long k = e.getKey();
                    assertEquals(e.getValue(), table.lookup((int)(k >>> 32) - 1, (int)k));
                }
            }
        }
        table.flushInterface(2);
        model.keySet().removeIf(k -> (int)(k >>> 32) - 1 == 2);
        assertEquals(model.size(), table.size());
        for (final Map.Entry<Long, Long> e : model.entrySet())
        {
            final long k = e.getKey();
            assertEquals(e.getValue(), table.lookup((int)(k >>> 32) - 1, (int)k));
        }
        table.forEach((iface, ip, mac) -> assertNotEquals(2, iface));
    }
}
