package io.jvs.dataplane;

import java.util.Arrays;
import java.util.TreeSet;

/**
 * Where the switch threads run, from a placement spec: {@value #AUTO}, {@value #NONE} or a CPU list ("1", "2,3",
 * "4-7").
 * <p>
 * A switch thread left to the scheduler moves between CPUs and lands beside the containers it serves: on a
 * 2-CPU host, iperf3 through jvs moved ±8 % with where the scheduler put the three busy threads (docs/dataplane.md).
 * {@value #AUTO} binds each switch thread to a CPU of its own among the last CPUs the daemon may use and leaves the
 * first one to everything else; when there are not that many (one CPU, or two with dedicated threads) it binds
 * nothing rather than stack spinning threads on one CPU. With a list, switch thread i runs on the list's CPU i
 * (round robin when there are more threads).
 */
public final class SwitchCpus
{
    public static final String AUTO = "auto";
    public static final String NONE = "none";
    /** Largest CPU number a list may name (cpu_set_t bound used by the native side). */
    public static final int MAX_CPU = 8191;

    private SwitchCpus()
    {
    }

    /** Checks the spec's syntax; throws IllegalArgumentException naming what is wrong. */
    public static void validate(final String spec)
    {
        if (null == spec)
        {
            throw new IllegalArgumentException("switch CPUs spec is null");
        }
        if (!AUTO.equals(spec) && !NONE.equals(spec))
        {
            parseList(spec);
        }
    }

    /**
     * The CPU of each of {@code threads} switch threads, or an empty array to leave them unbound.
     *
     * @param allowed the CPUs this process may run on, ascending.
     * @throws IllegalArgumentException when the spec is malformed or names a CPU not in {@code allowed}.
     */
    public static int[] resolve(final String spec, final int threads, final int[] allowed)
    {
        validate(spec);
        if (threads < 1)
        {
            throw new IllegalArgumentException("threads=" + threads);
        }
        if (NONE.equals(spec))
        {
            return new int[0];
        }
        final int[] cpus = new int[threads];
        if (AUTO.equals(spec))
        {
            if (allowed.length - 1 < threads)
            {
                return new int[0]; // no CPU of its own for each thread beside the one left to the host
            }
            for (int i = 0; i < threads; i++)
            {
                cpus[i] = allowed[allowed.length - 1 - i];
            }
            return cpus;
        }
        final int[] list = parseList(spec);
        for (final int cpu : list)
        {
            if (Arrays.binarySearch(allowed, cpu) < 0)
            {
                throw new IllegalArgumentException("CPU " + cpu + " is not one this process may run on (allowed: " +
                    format(allowed) + ")");
            }
        }
        for (int i = 0; i < threads; i++)
        {
            cpus[i] = list[i % list.length];
        }
        return cpus;
    }

    /** "0-3,6" style text of ascending CPUs. */
    public static String format(final int[] cpus)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < cpus.length; i++)
        {
            int j = i;
            while (j + 1 < cpus.length && cpus[j + 1] == cpus[j] + 1)
            {
                j++;
            }
            if (text.length() > 0)
            {
                text.append(',');
            }
            text.append(cpus[i]);
            if (j > i)
            {
                text.append('-').append(cpus[j]);
            }
            i = j;
        }
        return text.toString();
    }

    private static int[] parseList(final String spec)
    {
        final TreeSet<Integer> cpus = new TreeSet<>();
        for (final String item : spec.split(",", -1))
        {
            final String[] range = item.trim().split("-", -1);
            if (range.length > 2)
            {
                throw badList(spec);
            }
            final int first = parseCpu(spec, range[0]);
            final int last = range.length == 2 ? parseCpu(spec, range[1]) : first;
            if (last < first)
            {
                throw badList(spec);
            }
            for (int cpu = first; cpu <= last; cpu++)
            {
                cpus.add(cpu);
            }
        }
        return cpus.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int parseCpu(final String spec, final String text)
    {
        final String trimmed = text.trim();
        if (trimmed.isEmpty() || !trimmed.chars().allMatch(Character::isDigit) || trimmed.length() > 4)
        {
            throw badList(spec);
        }
        final int cpu = Integer.parseInt(trimmed);
        if (cpu > MAX_CPU)
        {
            throw badList(spec);
        }
        return cpu;
    }

    private static IllegalArgumentException badList(final String spec)
    {
        return new IllegalArgumentException("switch CPUs '" + spec + "': expected " + AUTO + ", " + NONE +
            " or a CPU list such as 1 or 2,3 or 4-7 (0.." + MAX_CPU + ")");
    }
}
