package io.jvs.tap.counters;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class CountersRegistryTest
{
    /** Two writers, declared in two runs. */
    enum PortCounter implements Counter
    {
        RX_PACKETS("rx_packets", 0),
        RX_BYTES("rx_bytes", 0),
        TX_PACKETS("tx_packets", 1);

        private final String label;
        private final int writer;

        PortCounter(final String label, final int writer)
        {
            this.label = label;
            this.writer = writer;
        }

        public String label()
        {
            return label;
        }

        public int writer()
        {
            return writer;
        }
    }

    enum Single implements Counter
    {
        A, B, C, D, E, F, G, H, I;

        public String label()
        {
            return name().toLowerCase();
        }
    }

    enum Interleaved implements Counter
    {
        X(0), Y(1), Z(0);

        private final int writer;

        Interleaved(final int writer)
        {
            this.writer = writer;
        }

        public String label()
        {
            return name();
        }

        public int writer()
        {
            return writer;
        }
    }

    @Test
    void eachWriterStartsACacheLineAndRecordsAreWholeLines()
    {
        final CounterLayout ports = CounterLayout.of(PortCounter.class);
        assertEquals(0, ports.offset(PortCounter.RX_PACKETS));
        assertEquals(8, ports.offset(PortCounter.RX_BYTES));
        assertEquals(64, ports.offset(PortCounter.TX_PACKETS), "the second writer's counters on a line of their own");
        assertEquals(128, ports.length());
        assertFalse(ports.singleWriter());

        final CounterLayout single = CounterLayout.of(Single.class);
        assertTrue(single.singleWriter());
        for (final Single counter : Single.values())
        {
            assertEquals(counter.ordinal() * Long.BYTES, single.offset(counter), "dense: offset is ordinal * 8");
        }
        assertEquals(128, single.length(), "9 longs round up to two lines");
        assertSame(single, CounterLayout.of(Single.class), "computed once");
    }

    @Test
    void aWriterWhoseCountersAreSplitIsRefused()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> CounterLayout.of(Interleaved.class));
        assertTrue(ex.getMessage().contains("next to each other"), ex.getMessage());
    }

    @Test
    void aCounterOfAnotherSetIsRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> CounterLayout.of(Single.class).offset(PortCounter.RX_BYTES));
    }

    @Test
    void tableRecordsAreDenseByIdAndOnlyOpenRecordsAreListed()
    {
        final CountersRegistry registry = new CountersRegistry(64, 64 * 1024);
        final CounterTable table = registry.newTable(PortCounter.class, 8);
        assertEquals(128, table.recordLength());
        assertTrue(registry.snapshot(PortCounter.class).isEmpty(), "nothing open yet");

        table.open(3, "veth3", 3, 7);
        table.open(5, "veth5", 5, 7);
        final int rx3 = table.offset(3, PortCounter.RX_PACKETS);
        assertEquals(3 * 128, rx3);
        table.increment(rx3);
        table.add(table.offset(3, PortCounter.RX_BYTES), 1500);
        table.add(table.offset(5, PortCounter.RX_BYTES), 60);
        table.set(table.offset(5, PortCounter.TX_PACKETS), 9);

        final List<CountersRegistry.Snapshot> records = registry.snapshot(PortCounter.class);
        assertEquals(2, records.size());
        assertEquals(new CountersRegistry.Snapshot(3, 7, "veth3",
            Map.of("rx_packets", 1L, "rx_bytes", 1500L, "tx_packets", 0L)), records.get(0));
        assertEquals(List.of("rx_packets", "rx_bytes", "tx_packets"), List.copyOf(records.get(1).values().keySet()),
            "declaration order");
        assertEquals(9L, registry.find(PortCounter.class, 5).values().get("tx_packets"));
        assertNull(registry.find(PortCounter.class, 4));
        assertEquals(1560, registry.sum(PortCounter.RX_BYTES), "summed over the open records");

        table.close(3);
        assertEquals(60, registry.sum(PortCounter.RX_BYTES), "a closed record no longer counts");
        table.open(3, "veth3b", 3, 8);
        assertEquals(0, table.get(3, PortCounter.RX_PACKETS), "reopening zeroes the record");
        assertEquals("veth3b", registry.find(PortCounter.class, 3).label());
        assertThrows(IllegalStateException.class, () -> table.open(3, "again", 3, 8));
        assertThrows(IndexOutOfBoundsException.class, () -> table.open(8, "past the end", 8, 0));
    }

    @Test
    void recordsOfDifferentSetsAreApartAndAFreedTableIsReused()
    {
        final CountersRegistry registry = new CountersRegistry(64, 64 * 1024);
        final CounterTable router = registry.newRecord(Single.class, "router", 0, 0);
        final CounterTable ports = registry.newTable(PortCounter.class, 2);
        router.increment(router.offset(0, Single.I));
        ports.open(1, "p1", 1, 0);
        ports.increment(ports.offset(1, PortCounter.TX_PACKETS));
        assertEquals(1, registry.sum(Single.I));
        assertEquals(0, registry.sum(PortCounter.RX_PACKETS));
        assertEquals(1, registry.sum(PortCounter.TX_PACKETS));

        final CounterTable tunnel = registry.newRecord(Single.class, "vni 10", 10, 0);
        tunnel.increment(tunnel.offset(0, Single.A));
        registry.free(tunnel);
        assertNull(registry.find(Single.class, 10), "freed: no longer listed");
        final CounterTable again = registry.newRecord(Single.class, "vni 11", 11, 0);
        assertSame(tunnel, again, "same type and size: the freed memory is taken again");
        assertEquals(0, again.get(0, Single.A), "and starts from zero");
        assertEquals(List.of("router", "vni 11"),
            registry.snapshot(Single.class).stream().map(CountersRegistry.Snapshot::label).toList());
    }

    @Test
    void aFullRegistryRefusesANewTable()
    {
        final CountersRegistry registry = new CountersRegistry(4, 1024);
        registry.newTable(PortCounter.class, 4);
        final IllegalStateException ex =
            assertThrows(IllegalStateException.class, () -> registry.newTable(PortCounter.class, 1));
        assertTrue(ex.getMessage().contains("full"), ex.getMessage());
    }

    @Test
    void aLabelLongerThanItsRoomIsCut()
    {
        final CountersRegistry registry = new CountersRegistry(4, 1024);
        registry.newRecord(Single.class, "n".repeat(300), 0, 0);
        assertEquals(CountersRegistry.MAX_LABEL_LENGTH, registry.find(Single.class, 0).label().length());
    }

    @Test
    void aReaderThreadSeesEveryIncrementOfTheWriterThread() throws InterruptedException
    {
        final CountersRegistry registry = new CountersRegistry(4, 1024);
        final CounterTable table = registry.newRecord(Single.class, "r", 0, 0);
        final int offset = table.offset(0, Single.B);
        final int increments = 1_000_000;
        final Thread writer = new Thread(() ->
        {
            for (int i = 0; i < increments; i++)
            {
                table.increment(offset);
            }
        });
        writer.start();
        long last = 0;
        while (writer.isAlive())
        {
            final long now = registry.sum(Single.B);
            assertTrue(now >= last, "a reader never sees the counter go back");
            last = now;
        }
        writer.join();
        assertEquals(increments, registry.sum(Single.B), "no increment lost: one writer, no CAS needed");
    }
}
