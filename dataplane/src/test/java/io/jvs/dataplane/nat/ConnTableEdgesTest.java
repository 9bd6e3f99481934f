package io.jvs.dataplane.nat;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ConnTable's deadlines at tick granularity, the expiry sweep's time-to-records arithmetic, handle matching, counters
 * of a reused record, and the index size against the connections in use. Found by mutation testing
 * (docs/mutation-testing.md): ConnTableTest checks find/add/remove against a model, but its deadlines are far from
 * any edge and its only counted record is record 0.
 */
class ConnTableEdgesTest
{
    private static final long TICK = 1L << ConnTable.TICK_SHIFT;
    /** A tick-aligned time well past 0 (0 means "never swept" to expire()). */
    private static final long T0 = 1000 * TICK;
    private static final int TCP = 6;

    private static int add(final ConnTable table, final int i, final long expiresAt)
    {
        return table.add(ConnTable.keyA(i, 100), ConnTable.keyB(TCP, 1000 + i, 80),
            ConnTable.keyA(100, i), ConnTable.keyB(TCP, 80, 1000 + i), expiresAt, 1, 0);
    }

    @Test
    void aConnectionNeverExpiresBeforeItsDeadlineAndDoesAtIt()
    {
        final ConnTable table = new ConnTable(4);
        final int aligned = add(table, 1, T0 + 5 * TICK);
        assertFalse(table.isExpired(aligned, T0 + 5 * TICK - 1));
        assertTrue(table.isExpired(aligned, T0 + 5 * TICK), "at the deadline");
        assertEquals(5 * TICK, table.expiresInNanos(aligned, T0));
        assertEquals(-TICK, table.expiresInNanos(aligned, T0 + 6 * TICK));

        final int unaligned = add(table, 2, T0 + 5 * TICK + 1); // rounded up to the next tick
        assertFalse(table.isExpired(unaligned, T0 + 5 * TICK + 1));
        assertFalse(table.isExpired(unaligned, T0 + 6 * TICK - 1));
        assertTrue(table.isExpired(unaligned, T0 + 6 * TICK));

        table.update(aligned, 2, 3, T0 + 9 * TICK);
        assertEquals(9 * TICK, table.expiresInNanos(aligned, T0));
        assertEquals(2, table.state(aligned));
        assertEquals(3, table.flags(aligned));
        table.expiresAt(aligned, T0 + 7 * TICK);
        assertEquals(7 * TICK, table.expiresInNanos(aligned, T0));
        assertEquals(2, table.state(aligned), "the deadline alone changed");
    }

    @Test
    void theSweepExaminesAsManyRecordsAsItsElapsedTimeIsWorthAndRemovesAtTheDeadline()
    {
        final int capacity = 1000; // one record per millisecond of a one-second sweep
        final ConnTable table = new ConnTable(capacity);
        for (int i = 0; i < capacity; i++)
        {
            add(table, i, T0);
        }
        final List<Integer> expired = new ArrayList<>();
        assertEquals(0, table.expire(T0, expired::add), "the first call starts the clock");
        final long ms = 1_000_000L;
        assertEquals(0, table.expire(T0 + ms / 2, expired::add), "half a record's worth");
        assertEquals(1, table.expire(T0 + ms, expired::add), "the half carried over makes one");
        assertEquals(List.of(0), expired, "record 0, expired exactly at its deadline");
        assertEquals(3, table.expire(T0 + 4 * ms, expired::add));
        assertEquals(List.of(0, 1, 2, 3), expired);
        assertEquals(capacity - 4, table.expire(T0 + 100 * ConnTable.SWEEP_PERIOD_NANOS, expired::add),
            "a long pause sweeps every record once");
        assertEquals(0, table.size());
    }

    @Test
    void aSweepStepIsBoundedAndContinuesWhereTheLastEnded()
    {
        final int capacity = 3 * ConnTable.MAX_EXPIRE_STEP;
        final ConnTable table = new ConnTable(capacity, false);
        for (int i = 0; i < capacity; i++)
        {
            add(table, i, T0);
        }
        table.expire(T0, r -> { });
        final List<Integer> expired = new ArrayList<>();
        assertEquals(ConnTable.MAX_EXPIRE_STEP, table.expire(T0 + ConnTable.SWEEP_PERIOD_NANOS, expired::add));
        assertEquals(ConnTable.MAX_EXPIRE_STEP, table.expire(T0 + 2 * ConnTable.SWEEP_PERIOD_NANOS, expired::add));
        assertEquals(ConnTable.MAX_EXPIRE_STEP, (int)expired.get(ConnTable.MAX_EXPIRE_STEP));
    }

    @Test
    void matchesOnlyTheHandlesOwnDirectionKeyOfARecordInUse()
    {
        final ConnTable table = new ConnTable(4);
        add(table, 0, T0);
        final int r = add(table, 1, T0);
        final long a = ConnTable.keyA(1, 100);
        final long b = ConnTable.keyB(TCP, 1001, 80);
        final long replyA = ConnTable.keyA(100, 1);
        final long replyB = ConnTable.keyB(TCP, 80, 1001);
        assertTrue(table.matches(r << 1, a, b));
        assertTrue(table.matches((r << 1) | 1, replyA, replyB));
        assertFalse(table.matches((r << 1) | 1, a, b), "the original key is not the reply direction's");
        assertFalse(table.matches(r << 1, replyA, replyB));
        assertFalse(table.matches(r << 1, a, ConnTable.keyB(TCP, 1001, 81)));
        assertFalse(table.matches(r << 1, ConnTable.keyA(1, 101), b));
        assertFalse(table.matches(r << 1, a, ConnTable.keyB(17, 1001, 80)), "another protocol");
        assertEquals(replyA, table.tupleA(r, 1));
        assertEquals(b, table.tupleB(r, 0));
        table.remove(r);
        assertFalse(table.matches(r << 1, a, b), "a removed record matches nothing");
        assertFalse(table.inUse(r));
        assertFalse(table.inUse(3), "never used");
        assertTrue(table.inUse(0));
        assertThrows(IllegalArgumentException.class, () -> table.remove(r));
        assertThrows(IndexOutOfBoundsException.class, () -> table.inUse(4));
    }

    @Test
    void aReusedRecordCountsFromZeroInBothDirections()
    {
        final ConnTable table = new ConnTable(8, true);
        add(table, 0, T0);
        add(table, 1, T0);
        final int r = add(table, 2, T0);
        assertEquals(2, r);
        table.countPacket(r << 1);
        table.countPacket((r << 1) | 1);
        table.countPacket((r << 1) | 1);
        assertEquals(1, table.packets(r, 0));
        assertEquals(2, table.packets(r, 1));
        assertEquals(0, table.packets(1, 1), "the neighbour's counters are its own");
        table.remove(r);
        assertEquals(r, add(table, 5, T0), "the freed record is reused first");
        assertEquals(0, table.packets(r, 0));
        assertEquals(0, table.packets(r, 1));
    }

    @Test
    void protocolsMustMatchAndFitInAByte()
    {
        final ConnTable table = new ConnTable(1);
        assertThrows(IllegalArgumentException.class,
            () -> table.add(1, ConnTable.keyB(6, 1, 2), 2, ConnTable.keyB(17, 2, 1), T0, 1, 0));
        assertThrows(IllegalArgumentException.class,
            () -> table.add(1, ConnTable.keyB(256, 1, 2), 2, ConnTable.keyB(256, 2, 1), T0, 1, 0));
        assertEquals(0, table.size());
        assertEquals(0, table.add(1, ConnTable.keyB(255, 1, 2), 2, ConnTable.keyB(255, 2, 1), T0, 1, 0));
        assertEquals(0, table.find(1, ConnTable.keyB(255, 1, 2)));
        assertEquals(255, ConnTable.protocol(table.tupleB(0, 1)));
        assertThrows(IllegalArgumentException.class, () -> new ConnTable(0));
        assertThrows(IllegalArgumentException.class, () -> new ConnTable(NatConfig.MAX_CAPACITY + 1));
    }

    @Test
    void theIndexDoublesOnlyWhenMoreThanAQuarterOfItsSlotsWouldHoldConnections()
    {
        final ConnTable table = new ConnTable(10_000, false);
        final int initial = table.indexSlots();
        assertEquals(1 << ConnTable.MIN_INDEX_BITS, initial);
        for (int i = 0; i < initial / 4; i++)
        {
            add(table, i, T0);
        }
        assertEquals(initial, table.indexSlots(), "two keys per connection: half the slots in use");
        add(table, initial / 4, T0);
        assertEquals(2 * initial, table.indexSlots());
        for (int i = 0; i <= initial / 4; i++)
        {
            assertEquals(i << 1, table.find(ConnTable.keyA(i, 100), ConnTable.keyB(TCP, 1000 + i, 80)));
            assertEquals((i << 1) | 1, table.find(ConnTable.keyA(100, i), ConnTable.keyB(TCP, 80, 1000 + i)));
        }

        final ConnTable small = new ConnTable(100, false);
        assertEquals(1 << ConnTable.MIN_INDEX_BITS, small.indexSlots(), "never below the minimum");
        for (int i = 0; i < 100; i++)
        {
            add(small, i, T0);
        }
        assertEquals(1 << ConnTable.MIN_INDEX_BITS, small.indexSlots(), "4 x 100 slots fit in the minimum");
    }
}
