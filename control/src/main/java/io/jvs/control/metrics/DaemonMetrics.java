package io.jvs.control.metrics;

import io.jvs.control.daemon.Daemon;
import io.jvs.control.network.NetworkViews;
import io.jvs.tap.counters.CountersRegistry;
import org.HdrHistogram.Histogram;

/** A running daemon's counters, read as {@code jvs stats} reads them. */
public final class DaemonMetrics implements MetricsSource
{
    private final Daemon daemon;

    public DaemonMetrics(final Daemon daemon)
    {
        this.daemon = daemon;
    }

    @Override
    public NetworkViews.Stats stats()
    {
        return daemon.service().stats();
    }

    @Override
    public Histogram latencyHistogram()
    {
        return daemon.fabric().latencyHistogram();
    }

    @Override
    public CountersRegistry counters()
    {
        return daemon.fabric().counters();
    }
}
