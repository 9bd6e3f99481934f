package io.jvs.dataplane.l3;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The router's counters, one long per {@link RouterCounter} plus gauges, in one off-heap buffer. One writer (the
 * forwarding thread, where the router runs) with plain read + release write; readers use volatile reads.
 */
public final class RouterCounters
{
    /** Gauges after the counters: live connections. */
    public static final int GAUGE_CONNECTIONS = RouterCounter.values().length;
    private static final int SLOTS = GAUGE_CONNECTIONS + 1;

    private final AtomicBuffer buffer =
        new UnsafeBuffer(BufferUtil.allocateDirectAligned(SLOTS * Long.BYTES, BitUtil.CACHE_LINE_LENGTH));

    /** Writer thread only. */
    public void increment(final RouterCounter counter)
    {
        add(counter, 1);
    }

    /** Writer thread only. */
    public void add(final RouterCounter counter, final long delta)
    {
        final int offset = counter.ordinal() * Long.BYTES;
        buffer.putLongRelease(offset, buffer.getLong(offset) + delta);
    }

    /** Writer thread only. */
    public void setConnections(final long value)
    {
        buffer.putLongRelease(GAUGE_CONNECTIONS * Long.BYTES, value);
    }

    public long get(final RouterCounter counter)
    {
        return buffer.getLongVolatile(counter.ordinal() * Long.BYTES);
    }

    public long connections()
    {
        return buffer.getLongVolatile(GAUGE_CONNECTIONS * Long.BYTES);
    }

    /** label -> value for every counter (allocates; control path). */
    public Map<String, Long> snapshot()
    {
        final Map<String, Long> values = new LinkedHashMap<>();
        for (final RouterCounter counter : RouterCounter.values())
        {
            values.put(counter.label(), get(counter));
        }
        values.put("nat_connections", connections());
        return values;
    }
}
