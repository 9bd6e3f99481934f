package io.jvs.benchmarks;

import io.jvs.dataplane.mac.MacTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/** MAC table lookups (hits, in random order), refreshing learns and station moves at 1k, 100k and 1M entries. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MacTableBenchmark
{
    static final int PROBES = 1 << 16;

    @Param({ "1000", "100000", "1000000" })
    public int entries;

    private MacTable table;
    private long[] probeMacs;
    private int[] probeBridgeDomains;
    private int[] probePorts;
    private int next;

    @Setup
    public void setup()
    {
        final SplittableRandom random = new SplittableRandom(1);
        table = new MacTable(entries, 16, 300_000_000_000L);
        final long[] macs = new long[entries];
        final int[] bds = new int[entries];
        final int[] ports = new int[entries];
        for (int i = 0; i < entries; i++)
        {
            long mac;
            do
            {
                mac = random.nextLong() & 0xFEFF_FFFF_FFFFL; // unicast
                bds[i] = 1 + random.nextInt(8);
                ports[i] = 1 + random.nextInt(64);
            }
            while (table.learn(bds[i], mac, ports[i], 0) != MacTable.LEARNED);
            macs[i] = mac;
        }
        probeMacs = new long[PROBES];
        probeBridgeDomains = new int[PROBES];
        probePorts = new int[PROBES];
        for (int i = 0; i < PROBES; i++)
        {
            final int pick = random.nextInt(entries);
            probeMacs[i] = macs[pick];
            probeBridgeDomains[i] = bds[pick];
            probePorts[i] = ports[pick];
        }
    }

    @Benchmark
    public int lookup()
    {
        final int i = next;
        next = (i + 1) & (PROBES - 1);
        return table.lookup(probeBridgeDomains[i], probeMacs[i]);
    }

    /** A known source on the port it was learned on: the per-frame case (lock-free, refreshes rarely). */
    @Benchmark
    public int learnKnown()
    {
        final int i = next;
        next = (i + 1) & (PROBES - 1);
        return table.learn(probeBridgeDomains[i], probeMacs[i], probePorts[i], i);
    }

    /**
     * A known source seen on another port (a station move: 63 of 64 probes), which takes the writers' lock. Until
     * 2026-12-08 this was what {@code learnKnown} measured, by mistake: its probes used a port unrelated to the
     * learned one.
     */
    @Benchmark
    public int learnMoved()
    {
        final int i = next;
        next = (i + 1) & (PROBES - 1);
        return table.learn(probeBridgeDomains[i], probeMacs[i], 1 + (i & 63), i);
    }
}
