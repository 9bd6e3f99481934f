package io.jvs.dataplane.mac;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * How far each {@link MacTable#age} call sweeps, slot by slot: a table whose entries each sit in their home slot (so
 * no deletion moves another) and whose slot of each entry the test learns from {@link MacTable#ageSlots} one slot at
 * a time on an identical table. Then the time-to-slots arithmetic is checked exactly, which
 * MacTableTest's end-to-end aging (entries gone within 1.25x the aging time) cannot see. Found by mutation testing
 * (docs/mutation-testing.md); also the argument checks at their boundaries.
 */
class MacTableAgingStepTest
{
    private static final int CAPACITY = 8;
    private static final int SLOTS = 16;
    /** Sweep period = aging / 4 = 1600 ns: 100 ns per slot. */
    private static final long AGING = 4 * 1600;
    private static final long PER_SLOT = AGING / MacTable.SWEEPS_PER_AGING_TIME / SLOTS;
    private static final long T0 = 1_000_000;

    /** Up to CAPACITY entries learned at time 0, none of them off its home slot. */
    private static MacTable spread(final List<Long> macs)
    {
        final MacTable table = new MacTable(CAPACITY, 1, AGING);
        for (long mac = 0x0200_0000_0001L; macs.size() < CAPACITY; mac++)
        {
            table.learn(1, mac, 1, 0);
            if (table.maxProbeLength() > 0)
            {
                table.remove(1, mac);
            }
            else
            {
                macs.add(mac);
            }
        }
        return table;
    }

    /** Slot of each entry, found by aging one slot at a time from slot 0. */
    private static Map<Long, Integer> slots()
    {
        final List<Long> macs = new ArrayList<>();
        final MacTable table = spread(macs);
        final Map<Long, Integer> slotOf = new HashMap<>();
        for (int slot = 0; slot < SLOTS; slot++)
        {
            final int s = slot;
            table.ageSlots(AGING, 1, (bd, mac, port) -> slotOf.put(mac, s));
        }
        assertEquals(CAPACITY, slotOf.size());
        return slotOf;
    }

    /** Entries in slots [from, to). */
    private static List<Long> inSlots(final Map<Long, Integer> slotOf, final int from, final int to)
    {
        final List<Long> macs = new ArrayList<>();
        slotOf.forEach((mac, slot) ->
        {
            if (slot >= from && slot < to)
            {
                macs.add(mac);
            }
        });
        macs.sort(null);
        return macs;
    }

    @Test
    void eachCallSweepsTheSlotsItsElapsedTimeIsWorthAndCarriesTheRemainder()
    {
        final Map<Long, Integer> slotOf = slots();
        final MacTable table = spread(new ArrayList<>());
        assertEquals(SLOTS, table.slots());
        final List<Long> aged = new ArrayList<>();
        final MacTable.AgedHandler handler = (bd, mac, port) -> aged.add(mac);

        assertEquals(0, table.age(T0, handler), "the first call only starts the clock, expired or not");
        assertEquals(CAPACITY, table.size());

        assertEquals(inSlots(slotOf, 0, 4).size(), table.age(T0 + 4 * PER_SLOT + PER_SLOT / 2, handler));
        assertEquals(inSlots(slotOf, 0, 4), sorted(aged));

        // Half a slot was left over; 30 % of one more is not a slot yet, 60 % makes one (and keeps 10 %).
        long now = T0 + 4 * PER_SLOT + PER_SLOT / 2 + PER_SLOT * 3 / 10;
        assertEquals(0, table.age(now, handler));
        now += PER_SLOT * 3 / 10;
        table.age(now, handler);
        assertEquals(inSlots(slotOf, 0, 5), sorted(aged));
        now += PER_SLOT * 2;
        table.age(now, handler);
        assertEquals(inSlots(slotOf, 0, 7), sorted(aged));

        // A long pause is worth one full sweep at most: slots 7..15 and 0..6 again (nothing left there).
        now += 100 * AGING;
        table.age(now, handler);
        assertEquals(inSlots(slotOf, 0, SLOTS), sorted(aged));
        assertEquals(0, table.size());
        assertEquals(0, table.age(now, handler), "no time, no slots");
    }

    @Test
    void afterALongPauseTheSweepGoesOnAtTheNormalPace()
    {
        final Map<Long, Integer> slotOf = slots();
        final List<Long> macs = new ArrayList<>();
        final MacTable table = spread(macs);
        table.age(T0, null);
        final long now = T0 + 100 * AGING;
        table.age(now, null);
        assertEquals(0, table.size(), "one full sweep");
        for (final long mac : macs)
        {
            table.learn(1, mac, 1, 0); // back into the same home slots, expired
        }
        final List<Long> aged = new ArrayList<>();
        assertFalse(inSlots(slotOf, 0, 8).isEmpty(), "the check below needs an entry in slots 0..7");
        table.age(now + 8 * PER_SLOT, (bd, mac, port) -> aged.add(mac));
        assertEquals(inSlots(slotOf, 0, 8), sorted(aged), "the sweep went on from slot 0, half a sweep's worth");
    }

    @Test
    void aClockThatGoesBackAgesNothing()
    {
        final MacTable table = spread(new ArrayList<>());
        table.age(T0, null);
        assertEquals(0, table.age(T0 - 100 * PER_SLOT, null));
        assertEquals(CAPACITY, table.size());
        table.age(T0 + SLOTS * PER_SLOT, null);
        assertEquals(0, table.size(), "a full sweep from where it was");
    }

    @Test
    void sweepsOverAnEmptyTableStillMoveTheCursor()
    {
        final Map<Long, Integer> slotOf = slots();
        final MacTable table = new MacTable(CAPACITY, 1, AGING);
        table.ageSlots(AGING, 5, null); // empty: only the cursor moves, to slot 5
        final List<Long> macs = new ArrayList<>();
        spread(macs);
        for (final long mac : macs)
        {
            table.learn(1, mac, 1, 0); // each into its home slot, as in spread()
        }
        assertEquals(CAPACITY, table.size());
        final List<Long> aged = new ArrayList<>();
        table.ageSlots(AGING, 3, (bd, mac, port) -> aged.add(mac));
        assertEquals(inSlots(slotOf, 5, 8), sorted(aged));
    }

    @Test
    void freshAndStaticEntriesStayWhenTheirSlotIsSwept()
    {
        final MacTable table = spread(new ArrayList<>());
        final long now = AGING;
        final long[] fresh = new long[1];
        table.forEach((bd, mac, port, lastSeen, isStatic) -> fresh[0] = mac);
        // Refreshed at the first time a refresh is written (they are at most refreshNanos apart): not aged at `now`.
        table.learn(1, fresh[0], 1, table.refreshNanos());
        assertEquals(CAPACITY - 1, table.ageSlots(now, SLOTS, null));
        assertEquals(1, table.lookup(1, fresh[0]));
        assertEquals(0, table.ageSlots(now + table.refreshNanos() - 1, SLOTS, null), "just under the aging time");
        assertEquals(1, table.ageSlots(now + table.refreshNanos(), SLOTS, null), "exactly the aging time: gone");

        final MacTable statics = spread(new ArrayList<>());
        final long[] one = new long[1];
        statics.forEach((bd, mac, port, lastSeen, isStatic) -> one[0] = mac);
        statics.putStatic(1, one[0], 2, 0);
        assertEquals(CAPACITY - 1, statics.ageSlots(10 * AGING, SLOTS, null));
        assertEquals(2, statics.lookup(1, one[0]));
    }

    @Test
    void argumentsAreCheckedAtTheirBoundaries()
    {
        assertEquals(1, new MacTable(1, 1, 1).capacity());
        assertEquals(SLOTS, new MacTable(1, 1, 1).slots(), "never fewer than 16 slots");
        assertEquals(SLOTS, new MacTable(CAPACITY, 1, 1).slots(), "2 x 8");
        assertEquals(4 * SLOTS, new MacTable(CAPACITY * 4 - 1, 1, 1).slots(), "2 x 31 rounds up to 64");
        assertEquals(4 * SLOTS, new MacTable(CAPACITY * 4, 1, 1).slots());
        final MacTable widest = new MacTable(1, MacTable.MAX_BRIDGE_DOMAIN_ID, 1);
        assertEquals(MacTable.LEARNED, widest.learn(MacTable.MAX_BRIDGE_DOMAIN_ID, 0x0200_0000_0001L, 1, 0));
        assertEquals(1, widest.size(MacTable.MAX_BRIDGE_DOMAIN_ID));
        assertThrows(IllegalArgumentException.class, () -> new MacTable(0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new MacTable(MacTable.MAX_CAPACITY + 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new MacTable(1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new MacTable(1, MacTable.MAX_BRIDGE_DOMAIN_ID + 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new MacTable(1, 1, 0));

        final MacTable table = new MacTable(4, 3, AGING);
        assertThrows(IllegalArgumentException.class, () -> table.putStatic(0, 0x0200_0000_0001L, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> table.putStatic(4, 0x0200_0000_0001L, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> table.flushBridgeDomain(0, true));
        assertThrows(IllegalArgumentException.class, () -> table.flushBridgeDomain(4, true));
        assertEquals(0, table.size(), "nothing added by the refused calls");
        assertEquals(0, table.size(4), "no such domain: no entries");
    }

    private static List<Long> sorted(final List<Long> macs)
    {
        final List<Long> copy = new ArrayList<>(macs);
        copy.sort(null);
        return copy;
    }
}
