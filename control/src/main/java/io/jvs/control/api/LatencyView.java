package io.jvs.control.api;

import io.jvs.control.metrics.LatencyBuckets;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code GET /stats/latency}: the switch's latency histogram in the metrics' buckets, for {@code jvs stats --histogram}. */
final class LatencyView
{
    private LatencyView()
    {
    }

    /** {"Frames": n, "Buckets": [{"UpToMicros": bound or null for the rest, "Frames": n}, ...]}. */
    static Map<String, Object> of(final Histogram histogram)
    {
        final Map<String, Object> out = new LinkedHashMap<>();
        final List<Object> buckets = new ArrayList<>();
        if (histogram != null)
        {
            final double[] bounds = LatencyBuckets.bounds();
            final long[] counts = LatencyBuckets.counts(histogram);
            for (int i = 0; i < bounds.length; i++)
            {
                final Map<String, Object> bucket = new LinkedHashMap<>();
                bucket.put("UpToMicros", Double.isInfinite(bounds[i]) ? null : Math.round(bounds[i] * 1e7) / 10.0);
                bucket.put("Frames", counts[i]);
                buckets.add(bucket);
            }
        }
        out.put("Frames", histogram == null ? 0 : histogram.getTotalCount());
        out.put("Buckets", buckets);
        return out;
    }
}
