package io.jvs.dataplane.mac;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MacTableTest
{
    private static final long SECOND = 1_000_000_000L;
    private static final long A = 0x0200_0000_000AL;
    private static final long B = 0x0200_0000_000BL;
    private static final long C = 0x0200_0000_000CL;

    @Test
    void learnsAndLooksUpPerBridgeDomain()
    {
        final MacTable table = new MacTable(100, 10, 300 * SECOND);
        assertEquals(MacTable.NO_PORT, table.lookup(1, A));
        assertEquals(MacTable.LEARNED, table.learn(1, A, 5, 0));
        assertEquals(MacTable.LEARNED, table.learn(2, A, 7, 0));
        assertEquals(5, table.lookup(1, A));
        assertEquals(7, table.lookup(2, A), "same MAC in another bridge domain is another entry");
        assertEquals(MacTable.NO_PORT, table.lookup(3, A));
        assertEquals(MacTable.REFRESHED, table.learn(1, A, 5, 10));
        assertEquals(2, table.size());
        assertEquals(1, table.size(1));
        assertEquals(1, table.size(2));
    }

    @Test
    void countsStationMove()
    {
        final MacTable table = new MacTable(100, 10, 300 * SECOND);
        table.learn(1, A, 5, 0);
        assertEquals(MacTable.MOVED, table.learn(1, A, 6, 1));
        assertEquals(6, table.lookup(1, A));
        assertEquals(1, table.size());
    }

    @Test
    void staticEntriesNeitherMoveNorAge()
    {
        final MacTable table = new MacTable(100, 10, 10 * SECOND);
        table.learn(1, A, 5, 0);
        assertTrue(table.putStatic(1, A, 9, 0), "learned entry turns static");
        assertTrue(table.putStatic(1, B, 9, 0));
        assertEquals(MacTable.STATIC_HELD, table.learn(1, A, 5, 1));
        assertEquals(9, table.lookup(1, A));
        assertEquals(MacTable.REFRESHED, table.learn(1, B, 9, 1));
        ageFully(table, 1000 * SECOND);
        assertEquals(9, table.lookup(1, A));
        assertEquals(9, table.lookup(1, B));
        assertEquals(0, table.flushBridgeDomain(1, false), "a plain flush keeps static entries");
        assertEquals(2, table.flushBridgeDomain(1, true));
        assertEquals(0, table.size());
    }

    @Test
    void boundedCapacity()
    {
        final MacTable table = new MacTable(3, 10, 300 * SECOND);
        assertEquals(MacTable.LEARNED, table.learn(1, A, 1, 0));
        assertEquals(MacTable.LEARNED, table.learn(1, B, 1, 0));
        assertEquals(MacTable.LEARNED, table.learn(2, C, 1, 0));
        assertEquals(MacTable.TABLE_FULL, table.learn(1, C, 1, 0));
        assertEquals(MacTable.NO_PORT, table.lookup(1, C));
        assertEquals(3, table.size());
        assertEquals(MacTable.MOVED, table.learn(1, A, 2, 0), "known entries still update when full");
        assertTrue(table.remove(1, B));
        assertEquals(MacTable.LEARNED, table.learn(1, C, 1, 0));
        assertTrue(table.putStatic(3, A, 9, 0), "a static entry is never refused while any entry is learned");
        assertEquals(3, table.size());
        assertEquals(2, table.learned());
        assertEquals(1, table.learned(1), "port 1, the busiest (1:C, 2:C; port 2 has 1:A), gave one up");
        assertEquals(2, table.lookup(1, A));
        assertTrue(table.putStatic(3, B, 9, 0));
        assertTrue(table.putStatic(3, C, 9, 0));
        assertFalse(table.putStatic(4, A, 9, 0), "only when every entry is static");
        assertEquals(0, table.learned());
    }

    @Test
    void aPortLearnsUpToItsLimitAndCountsStayExactThroughMovesAgingAndFlushes()
    {
        final MacTable table = new MacTable(100, 10, 20, 10 * SECOND, 3, MacTable.UNLIMITED, 10);
        assertEquals(90, table.learnLimit());
        for (int i = 1; i <= 3; i++)
        {
            assertEquals(MacTable.LEARNED, table.learn(1, 0x0200_0000_0000L + i, 5, 0));
        }
        assertEquals(MacTable.PORT_LIMIT, table.learn(1, A, 5, 0));
        assertEquals(MacTable.PORT_LIMIT, table.learn(2, A, 5, 0), "the limit is the port's, in any domain");
        assertEquals(MacTable.REFRESHED, table.learn(1, 0x0200_0000_0001L, 5, 1), "known sources still refresh");
        assertEquals(MacTable.LEARNED, table.learn(1, A, 6, 0), "another port learns");
        assertEquals(MacTable.PORT_LIMIT, table.learn(1, A, 5, 0), "no move onto a port at its limit");
        assertEquals(6, table.lookup(1, A));
        assertEquals(MacTable.MOVED, table.learn(1, 0x0200_0000_0001L, 6, 2), "a move frees room on the old port");
        assertEquals(2, table.learned(5));
        assertEquals(2, table.learned(6));
        assertEquals(MacTable.LEARNED, table.learn(1, B, 5, 3));
        assertTrue(table.putStatic(1, B, 5, 3), "a static entry does not count against learning");
        assertEquals(2, table.learned(5));
        assertEquals(MacTable.LEARNED, table.learn(1, C, 5, 3));
        assertEquals(6, table.size(1));
        assertEquals(5, table.learnedInBridgeDomain(1), "one of them static");

        table.setPortLimit(7, MacTable.UNLIMITED);
        assertEquals(MacTable.UNLIMITED, table.portLimit(7), "a tunnel or LAN port");
        assertEquals(3, table.portLimit(8));

        assertEquals(2, table.flushPort(6));
        assertEquals(0, table.learned(6));
        table.ageSlots(100 * SECOND, table.slots(), null);
        assertEquals(0, table.learned(5), "aged entries leave the count");
        assertEquals(0, table.learned());
        assertEquals(1, table.size(), "the static entry stays");
    }

    @Test
    void aBridgeDomainAndAllLearningAreBoundedSoStaticEntriesKeepTheirRoom()
    {
        final MacTable table = new MacTable(8, 4, 20, 300 * SECOND, MacTable.UNLIMITED, 4, 2);
        for (int i = 1; i <= 4; i++)
        {
            assertEquals(MacTable.LEARNED, table.learn(1, 0x0200_0000_0000L + i, i, 0));
        }
        assertEquals(MacTable.TABLE_FULL, table.learn(1, A, 9, 0), "domain 1 has its 4");
        assertEquals(MacTable.LEARNED, table.learn(2, A, 9, 0));
        assertEquals(MacTable.LEARNED, table.learn(3, A, 9, 0));
        assertEquals(MacTable.TABLE_FULL, table.learn(4, A, 9, 0), "6 learned: the table's learning room");
        assertEquals(4, table.learnedInBridgeDomain(1));
        assertTrue(table.putStatic(4, A, 10, 0));
        assertTrue(table.putStatic(4, B, 10, 0));
        assertEquals(8, table.size());
        assertTrue(table.putStatic(4, C, 10, 0), "full: a learned entry of the busiest port (9) makes way");
        assertEquals(1, table.learned(9));
        assertEquals(8, table.size());
        assertThrows(IllegalArgumentException.class, () -> new MacTable(8, 4, 20, SECOND, 1, 1, 8));
    }

    @Test
    void agesIncrementallyWithControlledClock()
    {
        final long aging = 8 * SECOND;
        final MacTable table = new MacTable(1000, 10, aging);
        final List<Long> aged = new ArrayList<>();
        final MacTable.AgedHandler handler = (bd, mac, port) -> aged.add(mac);
        table.age(0, handler);
        table.learn(1, A, 1, 0);
        table.learn(1, B, 2, 5 * SECOND);

        // A short step examines only a slice of the slots, never the whole table.
        final long step = 1_000_000; // 1 ms of a 2 s sweep period
        long now = 0;
        now += step;
        table.age(now, handler);
        assertTrue(aged.isEmpty());

        long t = now;
        while (t < aging + 3 * SECOND)
        {
            t += 10_000_000; // 10 ms duty cycles
            table.age(t, handler);
            table.learn(1, C, 3, t); // C stays fresh
        }
        assertEquals(List.of(A), aged, "A is past 8 s after a full sweep; B (5 s) is not");
        assertEquals(MacTable.NO_PORT, table.lookup(1, A));
        assertEquals(2, table.lookup(1, B));

        // After B's age passes 8 s and one sweep period (aging / 4) more, B is gone too.
        final long deadline = 5 * SECOND + aging + aging / MacTable.SWEEPS_PER_AGING_TIME + SECOND;
        while (t < deadline)
        {
            t += 10_000_000;
            table.age(t, handler);
            table.learn(1, C, 3, t);
        }
        assertEquals(List.of(A, B), aged);
        assertEquals(3, table.lookup(1, C));
        assertEquals(1, table.size(1));
    }

    @Test
    void ageStepIsBounded()
    {
        final MacTable table = new MacTable(1 << 16, 10, 4 * SECOND);
        final int[] count = {0};
        for (int i = 1; i <= 5000; i++)
        {
            table.learn(1, i, 1, 0);
        }
        table.age(0, null);
        // A huge jump in time still examines at most MAX_SLOTS_PER_AGE_CALL slots.
        final int removed = table.age(1000 * SECOND, (bd, mac, port) -> count[0]++);
        assertTrue(removed <= MacTable.MAX_SLOTS_PER_AGE_CALL, "removed " + removed);
        assertEquals(removed, count[0]);
        assertTrue(table.size() >= 5000 - MacTable.MAX_SLOTS_PER_AGE_CALL);
    }

    @Test
    void flushesByPortAndByBridgeDomain()
    {
        final MacTable table = new MacTable(10_000, 10, 300 * SECOND);
        for (int i = 1; i <= 3000; i++)
        {
            table.learn(1 + (i % 2), i, 1 + (i % 3) * 2 + (i % 2), 0); // bd1 -> ports 2,4,6; bd2 -> ports 1,3,5
        }
        final int before = table.size();
        int expected = 0;
        for (int i = 1; i <= 3000; i++)
        {
            expected += (1 + (i % 3) * 2 + (i % 2)) == 4 ? 1 : 0;
        }
        assertEquals(expected, table.flushPort(4));
        assertEquals(before - expected, table.size());
        for (int i = 1; i <= 3000; i++)
        {
            final int port = 1 + (i % 3) * 2 + (i % 2);
            assertEquals(port == 4 ? MacTable.NO_PORT : port, table.lookup(1 + (i % 2), i), "mac " + i);
        }
        final int bd2 = table.size(2);
        assertEquals(bd2, table.flushBridgeDomain(2, false));
        assertEquals(0, table.size(2));
        for (int i = 1; i <= 3000; i += 2)
        {
            assertEquals(MacTable.NO_PORT, table.lookup(2, i));
        }
        table.forEach((bd, mac, port, lastSeen, isStatic) -> assertEquals(1, bd));
    }

    /** Randomized churn against a HashMap model: deletion must never break a probe chain. */
    @Test
    void churnMatchesModel()
    {
        final Random random = new Random(20240601);
        final int capacity = 4096;
        final MacTable table = new MacTable(capacity, 8, 300 * SECOND);
        final Map<Long, Integer> model = new HashMap<>();
        final long[] universe = new long[capacity * 3];
        for (int i = 0; i < universe.length; i++)
        {
            // Clustered MACs (same OUI, sequential) plus a few random ones, over 4 bridge domains.
            final long mac = (i % 5 == 0) ? (random.nextLong() & 0xFEFF_FFFF_FFFFL) : (0x0242_AC00_0000L + i);
            universe[i] = ((long)(1 + random.nextInt(4)) << 48) | mac;
        }
        for (int op = 0; op < 400_000; op++)
        {
            final long key = universe[random.nextInt(universe.length)];
            final int bd = (int)(key >>> 48);
            final long mac = key & 0xFFFF_FFFF_FFFFL;
            final int action = random.nextInt(10);
            if (action < 5)
            {
                final int port = 1 + random.nextInt(20);
                final int result = table.learn(bd, mac, port, op);
                final Integer old = model.get(key);
                if (null == old)
                {
                    if (model.size() < capacity)
                    {
                        assertEquals(MacTable.LEARNED, result);
                        model.put(key, port);
                    }
                    else
                    {
                        assertEquals(MacTable.TABLE_FULL, result);
                    }
                }
                else
                {
                    assertEquals(old == port ? MacTable.REFRESHED : MacTable.MOVED, result);
                    model.put(key, port);
                }
            }
            else if (action < 8)
            {
                assertEquals(model.remove(key) != null, table.remove(bd, mac));
            }
            else if (action == 8)
            {
                assertEquals(model.getOrDefault(key, MacTable.NO_PORT), table.lookup(bd, mac));
            }
            else if (random.nextInt(2000) == 0)
            {
                final int port = 1 + random.nextInt(20);
                final int removed = table.flushPort(port);
                final int before = model.size();
                model.values().removeIf(p -> p == port);
                assertEquals(before - model.size(), removed);
            }
            assertEquals(model.size(), table.size());
        }
        for (final long key : universe)
        {
            assertEquals(model.getOrDefault(key, MacTable.NO_PORT), table.lookup((int)(key >>> 48), key & 0xFFFF_FFFF_FFFFL));
        }
        int perBd = 0;
        for (int bd = 1; bd <= 4; bd++)
        {
            perBd += table.size(bd);
        }
        assertEquals(model.size(), perBd);
        assertTrue(table.maxProbeLength() < 64, "probe length " + table.maxProbeLength());
    }

    private static void ageFully(final MacTable table, final long now)
    {
        for (int i = 0; i < 4 * table.slots() / MacTable.MAX_SLOTS_PER_AGE_CALL + 4; i++)
        {
            table.ageSlots(now, MacTable.MAX_SLOTS_PER_AGE_CALL, null);
        }
    }
}
