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

class Neighbour6TableTest
{
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long T0 = 1000 * SECOND;
    private static final long PREFIX = 0xFD00_0078_0000_0000L;

    private final List<String> probes = new ArrayList<>();
    private final Neighbour6Table.Prober prober =
        (iface, high, low, mac) -> probes.add(iface + "/" + Long.toHexString(low) + "/" + mac);

    private long sweep(final Neighbour6Table table, final long from, final long nanos)
    {
        long t = from;
        for (; t < from + nanos; t += SECOND / 10)
        {
            table.sweep(t, prober);
        }
        return t;
    }

    @Test
    void addressesDifferingOnlyInOneHalfOrTheInterfaceAreDifferentNeighbours()
    {
        final Neighbour6Table table = new Neighbour6Table(16);
        final int a = table.findOrCreate(1, PREFIX, 2);
        final int b = table.findOrCreate(1, PREFIX + 1, 2);
        final int c = table.findOrCreate(2, PREFIX, 2);
        final int d = table.findOrCreate(1, PREFIX, 3);
        assertEquals(4, table.size());
        assertEquals(4, java.util.Set.of(a, b, c, d).size());
        assertTrue(table.resolve(a, 0x0200_0000_0001L, T0));
        assertEquals(0x0200_0000_0001L, table.mac(table.find(1, PREFIX, 2)));
        assertEquals(Neighbour6Table.UNRESOLVED, table.mac(table.find(2, PREFIX, 2)));
        assertEquals(a, table.findOrCreate(1, PREFIX, 2), "the remembered slot");
    }

    @Test
    void staleEntryInUseIsProbedThenRemovedAndUnusedOnesAreCollected()
    {
        final Neighbour6Table table = new Neighbour6Table(16);
        final long mac = 0x0200_0000_0007L;
        table.resolve(table.findOrCreate(3, PREFIX, 7), mac, T0);
        table.resolve(table.findOrCreate(3, PREFIX, 8), mac, T0);
        final int slot = table.find(3, PREFIX, 7);
        assertFalse(table.needsProbe(slot, T0 + NeighbourTable.REACHABLE_NANOS));
        long t = T0 + NeighbourTable.REACHABLE_NANOS + SECOND;
        assertTrue(table.needsProbe(slot, t));
        table.sweep(T0, prober);
        table.requested(slot, t); // the router's first probe, on use
        t = sweep(table, t, 10 * SECOND);
        assertEquals(List.of("3/7/" + mac, "3/7/" + mac), probes, "two more probes");
        assertEquals(Neighbour6Table.NOT_FOUND, table.find(3, PREFIX, 7), "gone after the third went unanswered");
        assertNotEquals(Neighbour6Table.NOT_FOUND, table.find(3, PREFIX, 8), "unused, stale, kept a while");
        sweep(table, t, 80 * SECOND);
        assertEquals(Neighbour6Table.NOT_FOUND, table.find(3, PREFIX, 8), "collected 60 s after going stale");
        assertEquals(0, table.size());
    }

    @Test
    void boundedAndFlushedPerInterface()
    {
        final Neighbour6Table table = new Neighbour6Table(8);
        for (int i = 0; i < 8; i++)
        {
            assertNotEquals(Neighbour6Table.NOT_FOUND, table.findOrCreate(i % 2, PREFIX, i));
        }
        assertEquals(Neighbour6Table.NOT_FOUND, table.findOrCreate(0, PREFIX, 100), "full");
        table.flushInterface(0);
        assertEquals(4, table.size());
        for (int i = 0; i < 8; i++)
        {
            assertEquals(i % 2 == 1, table.find(i % 2, PREFIX, i) != Neighbour6Table.NOT_FOUND);
        }
        assertNotEquals(Neighbour6Table.NOT_FOUND, table.findOrCreate(0, PREFIX, 100), "room again");
    }

    @Test
    void randomAddRemoveMatchesAModel()
    {
        final Neighbour6Table table = new Neighbour6Table(256);
        final Map<String, Long> model = new HashMap<>();
        final SplittableRandom random = new SplittableRandom(11);
        for (int step = 0; step < 20_000; step++)
        {
            final int iface = random.nextInt(3);
            final long high = random.nextBoolean() ? PREFIX : PREFIX + random.nextInt(4);
            final long low = random.nextInt(64);
            final String key = iface + "/" + high + "/" + low;
            final int slot = table.find(iface, high, low);
            assertEquals(model.containsKey(key), slot != Neighbour6Table.NOT_FOUND, key);
            if (slot != Neighbour6Table.NOT_FOUND && random.nextInt(3) == 0)
            {
                table.remove(slot);
                model.remove(key);
            }
            else if (slot == Neighbour6Table.NOT_FOUND && model.size() < 256)
            {
                final long mac = 0x0200_0000_0000L | step;
                table.resolve(table.findOrCreate(iface, high, low), mac, T0);
                model.put(key, mac);
            }
            else if (slot != Neighbour6Table.NOT_FOUND)
            {
                assertEquals(model.get(key), table.mac(table.findOrCreate(iface, high, low)), key);
            }
        }
        assertEquals(model.size(), table.size());
    }
}
