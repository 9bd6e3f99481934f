package io.jvs.dataplane;

import io.jvs.dataplane.engine.DropReason;
import java.util.Map;

/**
 * Counters of one port; drops are keyed by {@link DropReason#label()}; {@code ringBytes}: the packet ring memory the
 * port maps ({@link io.jvs.tap.PacketPort#ringBytes()}); {@code lane}: the forwarding lane that receives from and
 * sends to it.
 */
public record PortStats(
    int portId, String name, int bridgeDomainId,
    long rxPackets, long rxBytes, long txPackets, long txBytes,
    Map<String, Long> drops, long ringBytes, int lane)
{
}
