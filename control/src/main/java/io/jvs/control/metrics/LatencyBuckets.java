package io.jvs.control.metrics;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * The switch's HdrHistogram (nanoseconds) as a Prometheus classic histogram in seconds: fixed bucket bounds from
 * 1 µs to 100 ms, so {@code histogram_quantile} works across scrapes and daemons. HdrHistogram keeps 2 significant
 * digits, so a value lands in the bucket of its equivalent-range midpoint; the sum is count x mean (approximate).
 */
public final class LatencyBuckets
{
    /** Upper bounds in seconds; +Inf is added last. */
    public static final double[] BOUNDS_SECONDS = {
        1e-6, 2.5e-6, 5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6,
        1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3,
    };

    private LatencyBuckets()
    {
    }

    static HistogramSnapshot.HistogramDataPointSnapshot dataPoint(final Histogram histogram)
    {
        final long total = histogram.getTotalCount();
        return HistogramSnapshot.HistogramDataPointSnapshot.builder()
            .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds(), counts(histogram)))
            .sum(total == 0 ? 0 : histogram.getMean() * total / 1e9)
            .build();
    }

    /** {@link #BOUNDS_SECONDS} and +Inf. */
    public static double[] bounds()
    {
        final double[] bounds = new double[BOUNDS_SECONDS.length + 1];
        System.arraycopy(BOUNDS_SECONDS, 0, bounds, 0, BOUNDS_SECONDS.length);
        bounds[BOUNDS_SECONDS.length] = Double.POSITIVE_INFINITY;
        return bounds;
    }

    /** Frames per bucket of {@link #bounds()}, not cumulative (the exposition writer accumulates). */
    public static long[] counts(final Histogram histogram)
    {
        final double[] bounds = bounds();
        final long[] counts = new long[bounds.length];
        for (final HistogramIterationValue value : histogram.recordedValues())
        {
            final double seconds = histogram.medianEquivalentValue(value.getValueIteratedTo()) / 1e9;
            counts[bucketOf(bounds, seconds)] += value.getCountAtValueIteratedTo();
        }
        return counts;
    }

    private static int bucketOf(final double[] bounds, final double seconds)
    {
        int i = 0;
        while (seconds > bounds[i])
        {
            i++;
        }
        return i;
    }
}
