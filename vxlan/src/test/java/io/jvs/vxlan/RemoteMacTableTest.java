package io.jvs.vxlan;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class RemoteMacTableTest
{
    private static PeerSet peers(final int... ids)
    {
        final List<RemoteVtep> list = new ArrayList<>();
        for (final int id : ids)
        {
            list.add(new RemoteVtep(id, 0x0A000000 + id, new Neighbour(0x0A000000 + id)));
        }
        return new PeerSet(list);
    }

    @Test
    void learnsMovesRefreshesAndBounds()
    {
        final RemoteMacTable t = new RemoteMacTable(2, 1000);
        assertEquals(RemoteMacTable.LEARNED, t.learn(0x02_0000_0001L, 5, 0));
        assertEquals(RemoteMacTable.REFRESHED, t.learn(0x02_0000_0001L, 5, 1));
        assertEquals(RemoteMacTable.MOVED, t.learn(0x02_0000_0001L, 6, 2));
        assertEquals(6, t.lookup(0x02_0000_0001L));
        assertEquals(RemoteMacTable.LEARNED, t.learn(0x02_0000_0002L, 5, 3));
        assertEquals(RemoteMacTable.TABLE_FULL, t.learn(0x02_0000_0003L, 5, 3));
        assertEquals(RemoteMacTable.NONE, t.lookup(0x02_0000_0003L));
        assertEquals(2, t.size());
    }

    @Test
    void agesAndForgetsRemovedPeers()
    {
        final RemoteMacTable t = new RemoteMacTable(100, 1000);
        t.learn(0x02_0000_0001L, 1, 0);
        t.learn(0x02_0000_0002L, 2, 900);
        assertEquals(0, t.sweep(500, peers(1, 2), 1 << 20));
        assertEquals(1, t.sweep(1500, peers(1, 2), 1 << 20), "entry seen at 0 ages at 1500");
        assertEquals(RemoteMacTable.NONE, t.lookup(0x02_0000_0001L));
        assertEquals(1, t.sweep(1600, peers(1), 1 << 20), "peer 2 left");
        assertEquals(0, t.size());
    }

    @Test
    void churnAgainstModel()
    {
        final Random random = new Random(3);
        final RemoteMacTable t = new RemoteMacTable(300, 50);
        final Map<Long, Integer> model = new HashMap<>();
        final Map<Long, Long> seen = new HashMap<>();
        final PeerSet all = peers(1, 2, 3, 4);
        for (long now = 0; now < 20_000; now++)
        {
            final long mac = 0x02_0000_0000L + random.nextInt(400);
            final int id = 1 + random.nextInt(4);
            final int r = t.learn(mac, id, now);
            if (r != RemoteMacTable.TABLE_FULL)
            {
                model.put(mac, id);
                seen.put(mac, now);
            }
            else
            {
                assertEquals(300, model.size());
            }
            if (now % 10 == 0)
            {
                t.sweep(now, all, 1 << 20);
                final long n = now;
                seen.entrySet().removeIf(e ->
                {
                    final boolean old = n - e.getValue() > 50;
                    if (old)
                    {
                        model.remove(e.getKey());
                    }
                    return old;
                });
            }
            assertEquals(model.size(), t.size());
        }
        for (long m = 0x02_0000_0000L; m < 0x02_0000_0000L + 400; m++)
        {
            assertEquals(model.getOrDefault(m, RemoteMacTable.NONE), t.lookup(m), "mac " + m);
        }
    }
}
