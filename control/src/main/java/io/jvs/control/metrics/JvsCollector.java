package io.jvs.control.metrics;

import io.jvs.control.network.NetworkViews;
import io.jvs.dataplane.BridgeDomainStats;
import io.jvs.dataplane.PortStats;
import io.jvs.dataplane.engine.BridgeDomainCounter;
import io.jvs.dataplane.engine.PortCounter;
import io.jvs.dataplane.l3.RouterCounter;
import io.jvs.tap.counters.Counter;
import io.jvs.tap.counters.CounterLayout;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import org.HdrHistogram.Histogram;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every jvs counter as Prometheus metrics, read at scrape time from what {@code jvs stats} reads: the off-heap
 * counters by volatile reads (summed over lanes), the MAC table's and NAT table's gauges, the latency histogram. The
 * packet path does nothing for it. Names and labels: docs/observability.md.
 */
public final class JvsCollector implements MultiCollector
{
    static final String ROUTER_DROP_PREFIX = "drop_";
    /** Counter sets with metrics of their own below; every other set of the registry is exported generically. */
    private static final Set<Class<?>> OWN_SETS = Set.of(PortCounter.class, BridgeDomainCounter.class,
        RouterCounter.class);

    private final MetricsSource source;

    public JvsCollector(final MetricsSource source)
    {
        this.source = source;
    }

    @Override
    public MetricSnapshots collect()
    {
        final Families out = new Families();
        final NetworkViews.Stats stats = source.stats();
        ports(stats, out);
        networks(stats, out);
        router(stats.router(), out);
        registry(out);
        final Histogram latency = source.latencyHistogram();
        if (latency != null)
        {
            out.add(HistogramSnapshot.builder().name("jvs_switch_latency_seconds").unit(Unit.SECONDS)
                .help("Per frame, from the receive agent's read of its RX ring to the flush of its TX ring")
                .dataPoint(LatencyBuckets.dataPoint(latency)).build());
        }
        return out.build();
    }

    private static void ports(final NetworkViews.Stats stats, final Families out)
    {
        final Map<Integer, Integer> portsPerLane = new TreeMap<>();
        for (final NetworkViews.PortView view : stats.ports())
        {
            final PortStats port = view.stats();
            final String sandbox = view.sandbox();
            final String[] labels = {"network", view.network(), "port", Integer.toString(port.portId()),
                "interface", port.name(), "sandbox", sandbox, "sandbox_interface", view.sandboxInterface(),
                "lane", Integer.toString(port.lane())};
            out.counter("jvs_port_packets", "Frames received from (rx) and sent to (tx) a switch port", null,
                port.rxPackets(), with(labels, "direction", "rx"));
            out.counter("jvs_port_packets", null, null, port.txPackets(), with(labels, "direction", "tx"));
            out.counter("jvs_port_bytes", "Bytes received from (rx) and sent to (tx) a switch port", Unit.BYTES,
                port.rxBytes(), with(labels, "direction", "rx"));
            out.counter("jvs_port_bytes", null, Unit.BYTES, port.txBytes(), with(labels, "direction", "tx"));
            for (final Map.Entry<String, Long> drop : port.drops().entrySet())
            {
                out.counter("jvs_port_drops", "Frames dropped, charged to their ingress port, by reason", null,
                    drop.getValue(), with(labels, "reason", drop.getKey()));
            }
            out.gauge("jvs_port_ring_bytes", "Packet ring memory the port maps", Unit.BYTES, port.ringBytes(), labels);
            portsPerLane.merge(port.lane(), 1, Integer::sum);
        }
        portsPerLane.forEach((lane, count) -> out.gauge("jvs_lane_ports",
            "Container ports a forwarding lane receives from and sends to", null, count, "lane", lane.toString()));
    }

    private static void networks(final NetworkViews.Stats stats, final Families out)
    {
        long macEntries = 0;
        for (final NetworkViews.NetworkStatsView view : stats.networks())
        {
            final BridgeDomainStats bd = view.stats();
            final String[] labels = {"network", view.network()};
            out.gauge("jvs_network_ports", "Switch ports in the network's bridge domain", null, bd.ports(), labels);
            out.gauge("jvs_network_mac_entries", "MAC table entries of the network", null, bd.macEntries(), labels);
            out.counter("jvs_network_forwarded_packets", "Frames switched to one known port", null,
                bd.forwardedPackets(), labels);
            out.counter("jvs_network_flooded_packets", "Frames flooded (unknown unicast, broadcast, multicast)", null,
                bd.floodedPackets(), labels);
            out.counter("jvs_network_mac_learned", "Source MACs learned", null, bd.learned(), labels);
            out.counter("jvs_network_mac_moves", "Learned MACs that moved to another port", null, bd.moves(), labels);
            out.counter("jvs_network_mac_aged", "Learned MACs aged out", null, bd.aged(), labels);
            for (final Map.Entry<String, Long> drop : bd.drops().entrySet())
            {
                out.counter("jvs_network_drops", "Frames dropped in the network, by reason", null, drop.getValue(),
                    with(labels, "reason", drop.getKey()));
            }
            macEntries += bd.macEntries();
        }
        out.gauge("jvs_mac_table_entries", "MAC table entries, every network", null, macEntries);
    }

    private static void router(final Map<String, Long> counters, final Families out)
    {
        if (counters.isEmpty())
        {
            return;
        }
        for (final RouterCounter counter : RouterCounter.values())
        {
            final Long value = counters.get(counter.label());
            if (value == null)
            {
                continue;
            }
            if (counter == RouterCounter.NAT_CONNECTIONS)
            {
                out.gauge("jvs_nat_connections", "Live NAT connections", null, value);
            }
            else if (counter.label().startsWith(ROUTER_DROP_PREFIX))
            {
                out.counter("jvs_router_drops", "Packets the router dropped, by reason", null, value,
                    "reason", counter.label().substring(ROUTER_DROP_PREFIX.length()));
            }
            else
            {
                out.counter("jvs_router_" + counter.label(), counter.description(), null, value);
            }
        }
    }

    /** Overlay, macvlan/ipvlan and resolver counters: {@code jvs_<module>_<set>_<counter>_total{record, key}}. */
    private void registry(final Families out)
    {
        source.counters().forEach((layout, key, group, label, valuesOffset) ->
        {
            if (OWN_SETS.contains(layout.type()))
            {
                return;
            }
            final String prefix = setName(layout);
            for (int i = 0; i < layout.count(); i++)
            {
                final Counter counter = layout.counter(i);
                out.counter(prefix + "_" + counter.label(), counter.label() + " (" +
                    layout.type().getSimpleName() + " counters, one record per labelled component)", null,
                    source.counters().get(valuesOffset + layout.offset(counter)),
                    "record", label, "key", Long.toString(key));
            }
        });
    }

    /** {@code jvs_} + the set's package's last part + its class name in snake case without "Counter". */
    static String setName(final CounterLayout layout)
    {
        final Class<?> type = layout.type();
        final String pkg = type.getPackageName();
        final String module = pkg.substring(pkg.lastIndexOf('.') + 1);
        final String simple = type.getName().substring(pkg.length() + 1).replace("$", "")
            .replace("Counter", "");
        final String snake = simple.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
        return "jvs_" + (snake.isEmpty() || snake.equals(module) ? module : module + "_" + snake);
    }

    private static String[] with(final String[] labels, final String name, final String value)
    {
        final String[] more = java.util.Arrays.copyOf(labels, labels.length + 2);
        more[labels.length] = name;
        more[labels.length + 1] = value;
        return more;
    }
}
