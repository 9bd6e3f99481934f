package io.jvs.tap.counters;

import java.util.Locale;

/**
 * One counter of a label set. A label set is an enum implementing this interface: the enum is a record type of the
 * {@link CountersRegistry}, each constant one long in every record of that type, named by {@link #label()} (the
 * key {@code jvs stats} shows). This is the one way jvs declares counters.
 * <p>
 * Counters written by different threads must not share a cache line: constants of one writer are declared next
 * to each other and give the same {@link #writer()}; {@link CounterLayout} starts each writer's run on a new line.
 */
public interface Counter
{
    /** The writer of a set whose counters all have one writing thread. */
    int SINGLE_WRITER = 0;

    /** The enum constant's name ({@link Enum#name()}). */
    String name();

    /**
     * Stable, lower_snake_case name: the JSON key under which the counter is reported; the constant's name in lower
     * case unless a set says otherwise (control path only: it allocates).
     */
    default String label()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Position in the set (the enum's ordinal). */
    int ordinal();

    /** Which thread writes this counter, as a small number private to the set. */
    default int writer()
    {
        return SINGLE_WRITER;
    }
}
