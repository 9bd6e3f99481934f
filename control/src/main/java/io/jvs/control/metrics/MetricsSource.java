package io.jvs.control.metrics;

import io.jvs.control.network.NetworkViews;
import io.jvs.tap.counters.CountersRegistry;
import org.HdrHistogram.Histogram;

/**
 * What a scrape reads: the same views {@code jvs stats} shows (volatile reads of the off-heap counters, no command to
 * the switch threads), the latency histogram and the registry's other counter sets.
 */
public interface MetricsSource
{
    /** Networks and ports with their counters, named by the store. */
    NetworkViews.Stats stats();

    /** The RX-to-TX latency histogram in nanoseconds, a copy; null when the fabric does not measure it. */
    Histogram latencyHistogram();

    /** Every counter of the instance; sets other than the switch's and the router's are exported generically. */
    CountersRegistry counters();
}
