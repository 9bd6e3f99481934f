package io.jvs.control.api;

import io.jvs.control.common.JvsException;
import io.jvs.control.network.NetworkViews;
import io.jvs.dataplane.PortStats;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code jvs stats --clear PORT|SANDBOX}: a port's counters as they were when cleared, subtracted from what
 * {@code jvs stats} shows. The counters themselves have one writer each, the forwarding threads, and are never
 * written here; the Prometheus endpoint keeps reading them raw (counters there must not go down). Kept by port id,
 * which is not reused until the id space wraps; a removed port's baseline goes at the next read.
 */
final class StatsBaselines
{
    /** One port's counters at the time of the clear. */
    record Baseline(Instant at, long rxPackets, long rxBytes, long txPackets, long txBytes, Map<String, Long> drops)
    {
    }

    private final Map<Integer, Baseline> byPort = new ConcurrentHashMap<>();

    /**
     * Clears the ports {@code ref} names: a port id, a host interface, a sandbox (all its ports) or
     * {@code SANDBOX:IFACE}. @return their ids.
     */
    List<Integer> clear(final String ref, final List<NetworkViews.PortView> ports)
    {
        final List<Integer> cleared = new ArrayList<>();
        final Instant now = Instant.now();
        for (final NetworkViews.PortView view : ports)
        {
            final PortStats p = view.stats();
            if (Integer.toString(p.portId()).equals(ref) || p.name().equals(ref) || view.sandbox().equals(ref) ||
                (view.sandbox() + ":" + view.sandboxInterface()).equals(ref))
            {
                byPort.put(p.portId(), new Baseline(now, p.rxPackets(), p.rxBytes(), p.txPackets(), p.txBytes(),
                    Map.copyOf(p.drops())));
                cleared.add(p.portId());
            }
        }
        if (cleared.isEmpty())
        {
            throw JvsException.notFound("no port or sandbox " + ref + " (a port id, interface, sandbox or " +
                "SANDBOX:IFACE of `jvs stats`)");
        }
        return cleared;
    }

    /** The port's counters since its clear (unchanged if never cleared); forgets baselines of removed ports. */
    PortStats since(final PortStats p)
    {
        final Baseline b = byPort.get(p.portId());
        if (b == null)
        {
            return p;
        }
        final Map<String, Long> drops = new LinkedHashMap<>();
        p.drops().forEach((reason, count) -> drops.put(reason, Math.max(0, count - b.drops().getOrDefault(reason, 0L))));
        return new PortStats(p.portId(), p.name(), p.bridgeDomainId(), Math.max(0, p.rxPackets() - b.rxPackets()),
            Math.max(0, p.rxBytes() - b.rxBytes()), Math.max(0, p.txPackets() - b.txPackets()),
            Math.max(0, p.txBytes() - b.txBytes()), drops, p.ringBytes(), p.lane());
    }

    /** When the port was cleared, null if never. */
    Instant clearedAt(final int portId)
    {
        final Baseline b = byPort.get(portId);
        return b == null ? null : b.at();
    }

    /** Drops the baselines of ports no longer in {@code ports}. */
    void retain(final List<NetworkViews.PortView> ports)
    {
        final Set<Integer> live = new HashSet<>();
        ports.forEach(v -> live.add(v.stats().portId()));
        byPort.keySet().retainAll(live);
    }
}
