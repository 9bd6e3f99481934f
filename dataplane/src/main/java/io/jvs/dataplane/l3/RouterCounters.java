package io.jvs.dataplane.l3;

import io.jvs.tap.counters.CounterLayout;
import io.jvs.tap.counters.CounterTable;
import io.jvs.tap.counters.CountersRegistry;
import org.agrona.concurrent.AtomicBuffer;

import java.util.Map;

/**
 * The router's counters: one {@link RouterCounter} record in the instance's {@link CountersRegistry}. One writer
 * (the forwarding thread, where the router runs) with plain read + release write; readers use volatile reads.
 * The set has one writer, so a counter is at {@code ordinal * 8}: no table lookup per increment.
 */
public final class RouterCounters
{
    private final CounterTable record;
    private final AtomicBuffer buffer;

    /** Counters in a registry of their own (tests, benchmarks). */
    public RouterCounters()
    {
        this(new CountersRegistry(1, CounterLayout.of(RouterCounter.class).length()));
    }

    public RouterCounters(final CountersRegistry registry)
    {
        if (!CounterLayout.of(RouterCounter.class).singleWriter())
        {
            throw new IllegalStateException("RouterCounter offsets are ordinal * 8 only with one writer");
        }
        record = registry.newRecord(RouterCounter.class, "router", 0, 0);
        buffer = record.buffer();
    }

    /** Writer thread only. */
    public void increment(final RouterCounter counter)
    {
        CounterTable.increment(buffer, offset(counter));
    }

    /** Writer thread only. */
    public void add(final RouterCounter counter, final long delta)
    {
        CounterTable.add(buffer, offset(counter), delta);
    }

    /** Writer thread only. */
    public void setConnections(final long value)
    {
        buffer.putLongRelease(offset(RouterCounter.NAT_CONNECTIONS), value);
    }

    public long get(final RouterCounter counter)
    {
        return buffer.getLongVolatile(offset(counter));
    }

    public long connections()
    {
        return get(RouterCounter.NAT_CONNECTIONS);
    }

    /** label -> value for every counter, from the registry (allocates; control path). */
    public Map<String, Long> snapshot()
    {
        return record.values(0);
    }

    private static int offset(final RouterCounter counter)
    {
        return counter.ordinal() * Long.BYTES;
    }
}
