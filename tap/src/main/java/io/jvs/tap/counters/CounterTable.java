package io.jvs.tap.counters;

import org.agrona.concurrent.AtomicBuffer;

import java.util.Map;

/**
 * {@code capacity} records of one label set in the {@link CountersRegistry}'s values buffer: record {@code id} at
 * {@code id * recordLength()} of {@link #buffer()}, so an owner that numbers its objects densely (port ids, bridge
 * domain ids) finds a counter with arithmetic only, and can precompute offsets as constants.
 * <p>
 * Writes: each counter has exactly one writing thread, which uses {@link #increment}/{@link #add}/{@link #set}
 * (plain read, release write: no CAS, no lock, no allocation). Reads: {@link #get}, volatile, any thread.
 */
public final class CounterTable
{
    private final CountersRegistry registry;
    private final CounterLayout layout;
    private final int typeId;
    private final int firstRecord;
    private final int valuesOffset;
    private final int capacity;
    private final int recordLength;
    private final AtomicBuffer buffer;

    CounterTable(
        final CountersRegistry registry, final CounterLayout layout, final int typeId, final int firstRecord,
        final int valuesOffset, final int capacity, final AtomicBuffer buffer)
    {
        this.registry = registry;
        this.layout = layout;
        this.typeId = typeId;
        this.firstRecord = firstRecord;
        this.valuesOffset = valuesOffset;
        this.capacity = capacity;
        this.recordLength = layout.length();
        this.buffer = buffer;
    }

    /** Single writer: only the thread owning the counter at {@code offset} may call it. */
    public void increment(final int offset)
    {
        increment(buffer, offset);
    }

    /** Single writer. */
    public void add(final int offset, final long delta)
    {
        add(buffer, offset, delta);
    }

    /**
     * Single writer: counter number {@code ordinal} of record {@code id}. Callers pass their enum constant's
     * {@code ordinal()} (a final method of a concrete type, so no interface call on the packet path); for drop and
     * exception counters, where the offset lookup does not matter.
     */
    public void incrementCounter(final int id, final int ordinal)
    {
        increment(recordOffset(id) + layout.offset(ordinal));
    }

    /**
     * {@link #increment(int)} on a table's {@link #buffer()} held by the owner: one load less per increment for
     * owners whose hot path keeps the buffer in a field of its own.
     */
    public static void increment(final AtomicBuffer buffer, final int offset)
    {
        buffer.putLongRelease(offset, buffer.getLong(offset) + 1);
    }

    /** {@link #add(int, long)} on a table's {@link #buffer()} held by the owner. */
    public static void add(final AtomicBuffer buffer, final int offset, final long delta)
    {
        buffer.putLongRelease(offset, buffer.getLong(offset) + delta);
    }

    /** Single writer (gauges). */
    public void set(final int offset, final long value)
    {
        buffer.putLongRelease(offset, value);
    }

    /** Any thread: the latest value published by the owner. */
    public long get(final int offset)
    {
        return buffer.getLongVolatile(offset);
    }

    /** Any thread. */
    public long get(final int id, final Counter counter)
    {
        return get(offset(id, counter));
    }

    /** Any thread: record {@code id}'s counters by label, in declaration order (allocates: control path). */
    public Map<String, Long> values(final int id)
    {
        return registry.values(layout, valuesOffset + recordOffset(id));
    }

    /** Offset of {@code counter} in record {@code id} (control path; hot paths keep the offsets as constants). */
    public int offset(final int id, final Counter counter)
    {
        return recordOffset(id) + layout.offset(counter);
    }

    public int recordOffset(final int id)
    {
        return id * recordLength;
    }

    /**
     * Zeroes record {@code id} and makes it visible to readers under {@code label}, {@code key} and {@code group}.
     * Only while no writer owns the record (before it is handed to one): that hand-off publishes the zeros.
     */
    public void open(final int id, final String label, final long key, final long group)
    {
        registry.open(this, id, label, key, group);
    }

    /** Hides record {@code id} from readers; its values stay until it is opened again. */
    public void close(final int id)
    {
        registry.close(this, id);
    }

    public AtomicBuffer buffer()
    {
        return buffer;
    }

    public CounterLayout layout()
    {
        return layout;
    }

    public int capacity()
    {
        return capacity;
    }

    public int recordLength()
    {
        return recordLength;
    }

    CountersRegistry registry()
    {
        return registry;
    }

    int typeId()
    {
        return typeId;
    }

    int firstRecord()
    {
        return firstRecord;
    }

    int valuesOffset()
    {
        return valuesOffset;
    }

    @Override
    public String toString()
    {
        return "CounterTable{" + layout.type().getSimpleName() + " x " + capacity + '}';
    }
}
