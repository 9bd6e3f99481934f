package io.jvs.dataplane.mac;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lanes share one table: two threads learn and look up while a third ages and flushes (moving entries by
 * backward shift). A lookup may miss an entry being moved (the frame is flooded) but must never name a port the MAC
 * was not learned on.
 */
class MacTableConcurrencyTest
{
    private static final int MACS_PER_LANE = 2_000;
    private static final long RUN_NANOS = TimeUnit.MILLISECONDS.toNanos(700);

    /** Lane l learns MAC m on port portOf(l, m): a lookup of m may only ever answer that port (or none). */
    private static int portOf(final int lane, final long mac)
    {
        return 1 + lane * 1_000 + (int)(mac % 7);
    }

    private static long mac(final int lane, final int i)
    {
        return 0x0200_0000_0000L | ((long)lane << 24) | i;
    }

    @Test
    void lookupsNeverAnswerAWrongPortWhileOthersLearnAgeAndFlush() throws InterruptedException
    {
        final MacTable table = new MacTable(2 * MACS_PER_LANE + 100, 8, TimeUnit.MILLISECONDS.toNanos(1));
        final AtomicReference<String> wrong = new AtomicReference<>();
        final AtomicLong hits = new AtomicLong();
        final long end = System.nanoTime() + RUN_NANOS;
        final Thread[] lanes = new Thread[2];
        for (int l = 0; l < lanes.length; l++)
        {
            final int lane = l;
            lanes[l] = new Thread(() ->
            {
                long round = 0;
                while (System.nanoTime() < end && null == wrong.get())
                {
                    round++;
                    for (int i = 0; i < MACS_PER_LANE; i++)
                    {
                        final long own = mac(lane, i);
                        table.learn(1, own, portOf(lane, own), System.nanoTime());
                        final int other = 1 - lane;
                        final long theirs = mac(other, (int)((i * 31 + round) % MACS_PER_LANE));
                        final int port = table.lookup(1, theirs);
                        if (port != MacTable.NO_PORT)
                        {
                            hits.incrementAndGet();
                            if (port != portOf(other, theirs))
                            {
                                wrong.compareAndSet(null, "lane " + lane + " looked up " + Long.toHexString(theirs) +
                                    " and got port " + port + ", learned on " + portOf(other, theirs));
                            }
                        }
                    }
                }
            }, "lane-" + l);
        }
        final Thread ager = new Thread(() ->
        {
            int n = 0;
            while (System.nanoTime() < end && null == wrong.get())
            {
                table.age(System.nanoTime(), null);
                if (++n % 50 == 0)
                {
                    table.flushPort(portOf(n % 2, n)); // removes a seventh of one lane's MACs at once
                }
            }
        }, "ager");
        for (final Thread t : lanes)
        {
            t.start();
        }
        ager.start();
        for (final Thread t : lanes)
        {
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        ager.join(TimeUnit.SECONDS.toMillis(10));
        assertNull(wrong.get());
        assertTrue(hits.get() > 0, "lookups found entries the other thread learned");
        int counted = 0;
        final int[] seen = new int[1];
        table.forEach((bd, mac, port, lastSeen, isStatic) -> seen[0]++);
        counted = seen[0];
        assertEquals(table.size(), counted, "the size matches the entries after the race");
        final int[] perPort = new int[MacTable.DEFAULT_MAX_PORT_ID + 1];
        table.forEach((bd, mac, port, lastSeen, isStatic) -> perPort[port]++);
        for (int port = 1; port < perPort.length; port++)
        {
            assertEquals(perPort[port], table.learned(port), "learned count of port " + port + " after the race");
        }
        assertEquals(counted, table.learned());
        assertTrue(table.maxProbeLength() < table.slots(), "probe chains intact");
    }
}
