package io.jvs.control.metrics;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The metric families of one scrape, built as values are read: a data point joins its family by name, and a second
 * point with the same labels adds to the first (records the exposition would otherwise refuse as duplicates).
 */
final class Families
{
    private static final String[] NO_LABELS = new String[0];

    private final Map<String, Family> families = new LinkedHashMap<>();

    /** A counter; {@code name} without {@code _total} (the writer appends it). */
    void counter(final String name, final String help, final Unit unit, final double value, final String... labels)
    {
        family(name, help, unit, false).add(labels, value);
    }

    void gauge(final String name, final String help, final Unit unit, final double value, final String... labels)
    {
        family(name, help, unit, true).add(labels, value);
    }

    void add(final MetricSnapshot snapshot)
    {
        families.put(snapshot.getMetadata().getName(), new Family(snapshot));
    }

    MetricSnapshots build()
    {
        final MetricSnapshots.Builder out = MetricSnapshots.builder();
        families.values().forEach(f -> out.metricSnapshot(f.build()));
        return out.build();
    }

    private Family family(final String name, final String help, final Unit unit, final boolean gauge)
    {
        return families.computeIfAbsent(name, n -> new Family(n, help, unit, gauge));
    }

    /** One family's points by label set, in first-seen order. */
    private static final class Family
    {
        private final String name;
        private final String help;
        private final Unit unit;
        private final boolean gauge;
        private final Map<Labels, double[]> points = new LinkedHashMap<>();
        private final MetricSnapshot ready;

        Family(final String name, final String help, final Unit unit, final boolean gauge)
        {
            this.name = name;
            this.help = help;
            this.unit = unit;
            this.gauge = gauge;
            this.ready = null;
        }

        Family(final MetricSnapshot ready)
        {
            this.name = ready.getMetadata().getName();
            this.help = null;
            this.unit = null;
            this.gauge = false;
            this.ready = ready;
        }

        void add(final String[] labels, final double value)
        {
            points.computeIfAbsent(Labels.of(labels.length == 0 ? NO_LABELS : labels), l -> new double[1])[0] += value;
        }

        MetricSnapshot build()
        {
            if (ready != null)
            {
                return ready;
            }
            if (gauge)
            {
                final GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help).unit(unit);
                points.forEach((labels, value) ->
                    b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(value[0]).build()));
                return b.build();
            }
            final CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help).unit(unit);
            points.forEach((labels, value) ->
                b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels).value(value[0]).build()));
            return b.build();
        }
    }
}
