package io.jvs.dataplane;

import io.jvs.dataplane.engine.DropReason;
import java.util.Map;

/** Counters of one bridge domain; drops are keyed by {@link DropReason#label()}. */
public record BridgeDomainStats(
    int bridgeDomainId, String name, int ports, int macEntries,
    long forwardedPackets, long floodedPackets, long learned, long moves, long aged,
    Map<String, Long> drops)
{
}
