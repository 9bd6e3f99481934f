package io.jvs.tap.counters;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every counter of a jvs instance, labelled, in two off-heap buffers, after Agrona's {@code CountersManager}: a
 * metadata buffer of fixed-size records (state, type, key, group, label) and a values buffer. Unlike Agrona's
 * one-long-per-counter slots (128 bytes each), a record here is a whole label set ({@link Counter} enum) packed
 * by {@link CounterLayout}, so the counters one packet touches share a cache line, and a {@link CounterTable} of
 * records can be addressed by a dense id (port id, bridge domain id) with plain arithmetic on the hot path.
 * <p>
 * Threads: allocation ({@link #newTable}, {@link CounterTable#open}, {@link #free}) is the control plane's and
 * synchronized; each counter has one writer (plain read, release write, see {@link CounterTable}); readers on any
 * thread use volatile reads and see a record once its state is {@link #RECORD_ALLOCATED}. A reader racing the
 * close and reopen of the same record may pair the old label with new values: stats, not accounting.
 * <pre>
 *  metadata record (METADATA_LENGTH bytes):
 *    0 state int | 4 type id int | 8 values offset int | 12 label length int | 16 key long | 24 group long
 *   32 label (UTF-8, at most MAX_LABEL_LENGTH bytes)
 * </pre>
 */
public final class CountersRegistry
{
    public static final int METADATA_LENGTH = 128;
    public static final int STATE_OFFSET = 0;
    public static final int TYPE_ID_OFFSET = 4;
    public static final int VALUES_OFFSET_OFFSET = 8;
    public static final int LABEL_LENGTH_OFFSET = 12;
    public static final int KEY_OFFSET = 16;
    public static final int GROUP_OFFSET = 24;
    public static final int LABEL_OFFSET = 32;
    public static final int MAX_LABEL_LENGTH = METADATA_LENGTH - LABEL_OFFSET;

    public static final int RECORD_UNUSED = 0;
    public static final int RECORD_ALLOCATED = 1;
    public static final int RECORD_RECLAIMED = -1;

    /** Enough for a switch's port and bridge domain tables plus the router, overlay and resolver records. */
    public static final int DEFAULT_MAX_RECORDS = 16 * 1024;
    public static final int DEFAULT_VALUES_CAPACITY = 4 * 1024 * 1024;

    /** Visits one allocated record; values are read with {@link #get}. */
    @FunctionalInterface
    public interface RecordVisitor
    {
        void onRecord(CounterLayout layout, long key, long group, String label, int valuesOffset);
    }

    /**
     * One record's values at the time of reading.
     *
     * @param values counter label to value, in declaration order.
     */
    public record Snapshot(long key, long group, String label, Map<String, Long> values)
    {
    }

    private final int maxRecords;
    private final AtomicBuffer metadata;
    private final ByteBuffer valuesMemory;
    private final AtomicBuffer values;
    /** Layout by type id; replaced whole when a type is added, so readers need no lock. */
    private volatile CounterLayout[] types = new CounterLayout[0];
    /** Readers scan metadata records below this. */
    private volatile int recordLimit;
    /** Guarded by this. */
    private final List<CounterTable> freed = new ArrayList<>();
    private int valuesLimit;

    public CountersRegistry()
    {
        this(DEFAULT_MAX_RECORDS, DEFAULT_VALUES_CAPACITY);
    }

    public CountersRegistry(final int maxRecords, final int valuesCapacity)
    {
        if (maxRecords < 1 || valuesCapacity < BitUtil.CACHE_LINE_LENGTH)
        {
            throw new IllegalArgumentException("maxRecords=" + maxRecords + " valuesCapacity=" + valuesCapacity);
        }
        this.maxRecords = maxRecords;
        metadata = new UnsafeBuffer(
            BufferUtil.allocateDirectAligned(maxRecords * METADATA_LENGTH, BitUtil.CACHE_LINE_LENGTH));
        valuesMemory = BufferUtil.allocateDirectAligned(
            BitUtil.align(valuesCapacity, BitUtil.CACHE_LINE_LENGTH), BitUtil.CACHE_LINE_LENGTH);
        values = new UnsafeBuffer(valuesMemory);
    }

    /**
     * Room for {@code capacity} records of the label set {@code type}, ids {@code [0, capacity)}, contiguous so
     * record {@code id} is at {@code id * layout.length()} in {@link CounterTable#buffer()}. No record is visible
     * to readers until {@link CounterTable#open}ed.
     */
    public synchronized <E extends Enum<E> & Counter> CounterTable newTable(final Class<E> type, final int capacity)
    {
        final CounterLayout layout = CounterLayout.of(type);
        final int typeId = typeId(layout);
        for (int i = 0; i < freed.size(); i++)
        {
            final CounterTable table = freed.get(i);
            if (table.typeId() == typeId && table.capacity() == capacity)
            {
                freed.remove(i);
                return table;
            }
        }
        final long bytes = (long)capacity * layout.length();
        if (capacity < 1 || recordLimit + capacity > maxRecords || valuesLimit + bytes > values.capacity())
        {
            throw new IllegalStateException("counters registry full: " + capacity + " x " + type.getSimpleName() +
                " (records " + recordLimit + "/" + maxRecords + ", bytes " + valuesLimit + "/" + values.capacity() + ")");
        }
        final AtomicBuffer view = new UnsafeBuffer(valuesMemory, valuesLimit, (int)bytes);
        final CounterTable table = new CounterTable(this, layout, typeId, recordLimit, valuesLimit, capacity, view);
        valuesLimit += (int)bytes;
        recordLimit += capacity;
        return table;
    }

    /** A table of one record, opened: for a component with one set of counters (the router, a resolver). */
    public <E extends Enum<E> & Counter> CounterTable newRecord(
        final Class<E> type, final String label, final long key, final long group)
    {
        final CounterTable table = newTable(type, 1);
        table.open(0, label, key, group);
        return table;
    }

    /** Closes every record of {@code table} and keeps its memory for the next table of the same type and size. */
    public synchronized void free(final CounterTable table)
    {
        if (table.registry() != this || freed.contains(table))
        {
            throw new IllegalArgumentException("not a live table of this registry");
        }
        for (int id = 0; id < table.capacity(); id++)
        {
            table.close(id);
        }
        freed.add(table);
    }

    synchronized void open(final CounterTable table, final int id, final String label, final long key, final long group)
    {
        final int meta = metadataOffset(table, id);
        if (metadata.getIntVolatile(meta + STATE_OFFSET) == RECORD_ALLOCATED)
        {
            throw new IllegalStateException("record " + id + " of " + table + " is already open");
        }
        final int recordOffset = table.recordOffset(id);
        table.buffer().setMemory(recordOffset, table.layout().length(), (byte)0);
        final byte[] bytes = label.getBytes(StandardCharsets.UTF_8);
        final int length = Math.min(bytes.length, MAX_LABEL_LENGTH);
        metadata.putInt(meta + TYPE_ID_OFFSET, table.typeId());
        metadata.putInt(meta + VALUES_OFFSET_OFFSET, table.valuesOffset() + recordOffset);
        metadata.putInt(meta + LABEL_LENGTH_OFFSET, length);
        metadata.putLong(meta + KEY_OFFSET, key);
        metadata.putLong(meta + GROUP_OFFSET, group);
        metadata.putBytes(meta + LABEL_OFFSET, bytes, 0, length);
        metadata.putIntRelease(meta + STATE_OFFSET, RECORD_ALLOCATED);
    }

    synchronized void close(final CounterTable table, final int id)
    {
        final int meta = metadataOffset(table, id);
        if (metadata.getInt(meta + STATE_OFFSET) == RECORD_ALLOCATED)
        {
            metadata.putIntRelease(meta + STATE_OFFSET, RECORD_RECLAIMED);
        }
    }

    private int metadataOffset(final CounterTable table, final int id)
    {
        if (id < 0 || id >= table.capacity())
        {
            throw new IndexOutOfBoundsException("record " + id + " not in [0, " + table.capacity() + ")");
        }
        return (table.firstRecord() + id) * METADATA_LENGTH;
    }

    private int typeId(final CounterLayout layout)
    {
        final CounterLayout[] known = types;
        for (int i = 0; i < known.length; i++)
        {
            if (known[i] == layout)
            {
                return i;
            }
        }
        final CounterLayout[] more = Arrays.copyOf(known, known.length + 1);
        more[known.length] = layout;
        types = more;
        return known.length;
    }

    // ------------------------------------------------------------------------------------------------- readers

    /** Any thread: the latest value its writer published, at an absolute offset in the values buffer. */
    public long get(final int valuesOffset)
    {
        return values.getLongVolatile(valuesOffset);
    }

    /** Any thread: every open record, in allocation order. */
    public void forEach(final RecordVisitor visitor)
    {
        final CounterLayout[] layouts = types;
        final int limit = recordLimit;
        for (int record = 0; record < limit; record++)
        {
            final int meta = record * METADATA_LENGTH;
            if (metadata.getIntVolatile(meta + STATE_OFFSET) != RECORD_ALLOCATED)
            {
                continue;
            }
            final int typeId = metadata.getInt(meta + TYPE_ID_OFFSET);
            final CounterLayout layout = typeId < layouts.length ? layouts[typeId] : types[typeId];
            final String label = metadata.getStringWithoutLengthUtf8(
                meta + LABEL_OFFSET, metadata.getInt(meta + LABEL_LENGTH_OFFSET));
            visitor.onRecord(layout, metadata.getLong(meta + KEY_OFFSET), metadata.getLong(meta + GROUP_OFFSET),
                label, metadata.getInt(meta + VALUES_OFFSET_OFFSET));
        }
    }

    /** Every open record of the label set {@code type} with its values (allocates: control path). */
    public List<Snapshot> snapshot(final Class<? extends Counter> type)
    {
        final List<Snapshot> records = new ArrayList<>();
        forEach((layout, key, group, label, valuesOffset) ->
        {
            if (layout.type() == type)
            {
                records.add(new Snapshot(key, group, label, values(layout, valuesOffset)));
            }
        });
        return records;
    }

    /** The record of {@code type} with {@code key}, or null. */
    public Snapshot find(final Class<? extends Counter> type, final long key)
    {
        for (final Snapshot record : snapshot(type))
        {
            if (record.key() == key)
            {
                return record;
            }
        }
        return null;
    }

    /** {@code counter} summed over every open record of its set (e.g. a drop over all ports). */
    public long sum(final Counter counter)
    {
        final Class<?> type = setOf(counter);
        final long[] sum = new long[1];
        forEach((layout, key, group, label, valuesOffset) ->
        {
            if (layout.type() == type)
            {
                sum[0] += get(valuesOffset + layout.offset(counter));
            }
        });
        return sum[0];
    }

    Map<String, Long> values(final CounterLayout layout, final int valuesOffset)
    {
        final Map<String, Long> map = new LinkedHashMap<>();
        for (int i = 0; i < layout.count(); i++)
        {
            final Counter counter = layout.counter(i);
            map.put(counter.label(), get(valuesOffset + layout.offset(counter)));
        }
        return map;
    }

    private static Class<?> setOf(final Counter counter)
    {
        final Class<?> type = counter.getClass();
        return type.isEnum() ? type : type.getDeclaringClass();
    }
}
