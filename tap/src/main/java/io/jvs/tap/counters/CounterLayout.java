package io.jvs.tap.counters;

import org.agrona.BitUtil;

import java.util.Arrays;

/**
 * Where each counter of a label set (an enum implementing {@link Counter}) sits in a record: 8 bytes per counter
 * in declaration order, each writer's run starting on a new cache line, the record padded to whole cache lines so
 * records of one table never share a line either. Computed once per enum.
 */
public final class CounterLayout
{
    private static final ClassValue<CounterLayout> LAYOUTS = new ClassValue<>()
    {
        protected CounterLayout computeValue(final Class<?> type)
        {
            return new CounterLayout(type);
        }
    };

    private final Class<?> type;
    private final Counter[] counters;
    private final int[] offsets;
    private final int length;
    private final boolean singleWriter;

    private CounterLayout(final Class<?> type)
    {
        if (!type.isEnum() || !Counter.class.isAssignableFrom(type))
        {
            throw new IllegalArgumentException(type.getName() + " is not an enum implementing Counter");
        }
        this.type = type;
        final Object[] constants = type.getEnumConstants();
        counters = Arrays.copyOf(constants, constants.length, Counter[].class);
        offsets = new int[counters.length];
        final int[] writersSeen = new int[counters.length];
        int writers = 0;
        int offset = 0;
        for (int i = 0; i < counters.length; i++)
        {
            final int writer = counters[i].writer();
            if (i == 0 || writer != counters[i - 1].writer())
            {
                for (int w = 0; w < writers; w++)
                {
                    if (writersSeen[w] == writer)
                    {
                        throw new IllegalArgumentException(type.getName() + ": the counters of writer " + writer +
                            " must be declared next to each other (" + counters[i].label() + ")");
                    }
                }
                writersSeen[writers++] = writer;
                offset = BitUtil.align(offset, BitUtil.CACHE_LINE_LENGTH);
            }
            offsets[i] = offset;
            offset += Long.BYTES;
        }
        length = BitUtil.align(Math.max(offset, Long.BYTES), BitUtil.CACHE_LINE_LENGTH);
        singleWriter = writers <= 1;
    }

    public static <E extends Enum<E> & Counter> CounterLayout of(final Class<E> type)
    {
        return LAYOUTS.get(type);
    }

    /** Byte offset of {@code counter} in a record. */
    public int offset(final Counter counter)
    {
        if (counter.getClass() != type && counter.getClass().getDeclaringClass() != type)
        {
            throw new IllegalArgumentException(counter + " is not a counter of " + type.getName());
        }
        return offsets[counter.ordinal()];
    }

    /** Byte offset of the counter at {@code ordinal} in a record (the caller's enum's own, so no interface call). */
    public int offset(final int ordinal)
    {
        return offsets[ordinal];
    }

    /** Bytes of one record: a whole number of cache lines. */
    public int length()
    {
        return length;
    }

    /** One writer for every counter: counter {@code c} is then at {@code c.ordinal() * 8}. */
    public boolean singleWriter()
    {
        return singleWriter;
    }

    public int count()
    {
        return counters.length;
    }

    /** The counter at {@code index} in declaration order. */
    public Counter counter(final int index)
    {
        return counters[index];
    }

    public Class<?> type()
    {
        return type;
    }
}
