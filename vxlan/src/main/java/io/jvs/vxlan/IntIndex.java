package io.jvs.vxlan;

import java.util.Map;

/**
 * An immutable int-keyed lookup built on the control path and published whole through a volatile field, so the
 * data-path threads read it without locks: open addressing, linear probing, load factor at most 1/2.
 */
final class IntIndex<V>
{
    private static final IntIndex<Object> EMPTY = new IntIndex<>(Map.of());

    private final int[] keys;
    private final Object[] values;
    private final int mask;
    private final int size;

    IntIndex(final Map<Integer, V> entries)
    {
        int capacity = 2;
        while (capacity < entries.size() * 2)
        {
            capacity <<= 1;
        }
        keys = new int[capacity];
        values = new Object[capacity];
        mask = capacity - 1;
        size = entries.size();
        for (final Map.Entry<Integer, V> e : entries.entrySet())
        {
            if (e.getValue() == null)
            {
                throw new IllegalArgumentException("null value for key " + e.getKey());
            }
            int i = slot(e.getKey());
            while (values[i] != null)
            {
                i = (i + 1) & mask;
            }
            keys[i] = e.getKey();
            values[i] = e.getValue();
        }
    }

    @SuppressWarnings("unchecked")
    static <V> IntIndex<V> empty()
    {
        return (IntIndex<V>)EMPTY;
    }

    @SuppressWarnings("unchecked")
    V get(final int key)
    {
        int i = slot(key);
        while (true)
        {
            final Object value = values[i];
            if (value == null || keys[i] == key)
            {
                return (V)value;
            }
            i = (i + 1) & mask;
        }
    }

    int size()
    {
        return size;
    }

    private int slot(final int key)
    {
        return (key * 0x9E3779B9) >>> 16 & mask;
    }
}
