package io.jvs.dataplane.nat;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ConnTable against a HashMap model under random churn, full table, and expiry. */
class ConnTableTest
{
    private record Key(long a, long b)
    {
    }

    @Test
    void churnMatchesModel()
    {
        final Random random = new Random(7);
        final ConnTable table = new ConnTable(1000);
        final Map<Key, Integer> model = new HashMap<>();
        final Map<Integer, Key[]> records = new HashMap<>();
        for (int step = 0; step < 200_000; step++)
        {
            if (random.nextInt(3) > 0 && records.size() < 1000)
            {
                // Small key space so that collisions and re-adds happen.
                final Key original = new Key(ConnTable.keyA(random.nextInt(50), random.nextInt(50)),
                    ConnTable.keyB(6, random.nextInt(30), 80));
                // Both directions of a connection have one protocol (the record stores it once).
                final Key reply = new Key(original.a ^ 0x1_0000_0000L,
                    ConnTable.keyB(6, 80, ConnTable.sourcePort(original.b)));
                if (model.containsKey(original) || model.containsKey(reply))
                {
                    continue;
                }
                final int record = table.add(original.a, original.b, reply.a, reply.b, 100, 1, 0);
                assertTrue(record >= 0);
                model.put(original, record << 1);
                model.put(reply, (record << 1) | 1);
                records.put(record, new Key[] {original, reply});
            }
            else if (!records.isEmpty())
            {
                final List<Integer> keys = new ArrayList<>(records.keySet());
                final int record = keys.get(random.nextInt(keys.size()));
                final Key[] k = records.remove(record);
                model.remove(k[0]);
                model.remove(k[1]);
                table.remove(record);
            }
            if (step % 1000 == 0)
            {
                for (final Map.Entry<Key, Integer> e : model.entrySet())
                {
                    assertEquals(e.getValue(), table.find(e.getKey().a, e.getKey().b));
                }
                assertEquals(records.size(), table.size());
            }
            final Key probe = new Key(ConnTable.keyA(random.nextInt(50), random.nextInt(50)),
                ConnTable.keyB(6, random.nextInt(30), 80));
            assertEquals(model.getOrDefault(probe, ConnTable.NOT_FOUND), table.find(probe.a, probe.b));
        }
    }

    @Test
    void fullTableChurnAtMaximumLoadKeepsEveryKeyFindable()
    {
        // At capacity the index is at its load bound: long probe runs, and removals (backward shift) must keep every
        // remaining key reachable from its home slot.
        final Random random = new Random(11);
        final int capacity = 5000;
        final ConnTable table = new ConnTable(capacity);
        final Map<Key, Integer> model = new HashMap<>();
        final List<Key[]> byRecord = new ArrayList<>();
        for (int i = 0; i < capacity; i++)
        {
            byRecord.add(null);
        }
        for (int round = 0; round < 20; round++)
        {
            while (table.size() < capacity)
            {
                final Key original = new Key(random.nextLong(), ConnTable.keyB(17, random.nextInt(65536), 53));
                final Key reply = new Key(random.nextLong(), ConnTable.keyB(17, 53, random.nextInt(65536)));
                if (model.containsKey(original) || model.containsKey(reply))
                {
                    continue;
                }
                final int record = table.add(original.a, original.b, reply.a, reply.b, 100, 1, 0);
                model.put(original, record << 1);
                model.put(reply, (record << 1) | 1);
                byRecord.set(record, new Key[] {original, reply});
            }
            assertEquals(ConnTable.NOT_FOUND, table.add(1, 1, 2, 2, 100, 1, 0));
            for (final Map.Entry<Key, Integer> e : model.entrySet())
            {
                assertEquals(e.getValue(), table.find(e.getKey().a, e.getKey().b));
            }
            for (int r = 0; r < capacity; r++)
            {
                if (random.nextInt(3) == 0)
                {
                    final Key[] k = byRecord.set(r, null);
                    model.remove(k[0]);
                    model.remove(k[1]);
                    table.remove(r);
                    assertEquals(ConnTable.NOT_FOUND, table.find(k[0].a, k[0].b));
                }
            }
        }
    }

    @Test
    void fullTableRefusesThenAcceptsAfterRemove()
    {
        final ConnTable table = new ConnTable(4);
        for (int i = 0; i < 4; i++)
        {
            assertTrue(table.add(i, 1, i, 2, 10, 1, 0) >= 0);
        }
        assertEquals(ConnTable.NOT_FOUND, table.add(9, 1, 9, 2, 10, 1, 0));
        table.remove(2);
        assertEquals(2, table.add(9, 1, 9, 2, 10, 1, 0));
        assertEquals(2 << 1, table.find(9, 1));
        assertEquals((2 << 1) | 1, table.find(9, 2));
    }

    @Test
    void expirySweepsOnlyExpiredAndCallsBack()
    {
        final ConnTable table = new ConnTable(100);
        final long t0 = 1_000_000_000L;
        for (int i = 0; i < 100; i++)
        {
            table.add(i, 1, i, 2, t0 + (i % 2 == 0 ? 10 : 10_000_000_000L), 1, 0);
        }
        table.expire(t0, r -> { });
        final List<Integer> expired = new ArrayList<>();
        table.expire(t0 + 2 * ConnTable.SWEEP_PERIOD_NANOS, expired::add);
        assertEquals(50, expired.size());
        assertTrue(expired.stream().allMatch(r -> r % 2 == 0));
        assertEquals(50, table.size());
        for (int i = 0; i < 100; i++)
        {
            assertEquals(i % 2 == 0 ? ConnTable.NOT_FOUND : (i << 1), table.find(i, 1));
        }
    }

    @Test
    void packetCountsOnlyWithAccountingAndIndexGrowsWithUse()
    {
        final ConnTable counting = new ConnTable(10, true);
        final int r = counting.add(1, 1, 2, 2, 100, 1, 0);
        counting.countPacket(r << 1);
        counting.countPacket(r << 1);
        counting.countPacket((r << 1) | 1);
        assertEquals(2, counting.packets(r, 0));
        assertEquals(1, counting.packets(r, 1));

        final ConnTable plain = new ConnTable(100_000, false);
        final int first = plain.indexSlots();
        for (int i = 0; i < 50_000; i++)
        {
            plain.add(i, 1, i, 2, 100, 1, 0);
        }
        assertTrue(first < plain.indexSlots() && plain.indexSlots() <= 4 * 100_000 * 2);
        plain.countPacket(0);
        assertEquals(-1, plain.packets(0, 0));
        for (int i = 0; i < 50_000; i++)
        {
            assertEquals(i << 1, plain.find(i, 1));
            assertEquals((i << 1) | 1, plain.find(i, 2));
        }
    }
}
