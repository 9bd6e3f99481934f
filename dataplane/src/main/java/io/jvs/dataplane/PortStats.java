package io.jvs.dataplane;

import io.jvs.dataplane.engine.DropReason;
import java.util.Map;

/** Counters of one port; drops are keyed by {@link DropReason#label()}. */
public record PortStats(
    int portId, String name, int bridgeDomainId,
    long rxPackets, long rxBytes, long txPackets, long txBytes,
    Map<String, Long> drops)
{
}
