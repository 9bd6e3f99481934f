package io.jvs.dataplane;

/**
 * Switch-wide health figures beside the per-port and per-bridge-domain counters.
 *
 * @param agentErrors        exceptions caught by the agent runners (each also logged).
 * @param unknownIngress     frames dequeued for a port removed while they were in flight.
 * @param macEntries         entries in the MAC table, all bridge domains.
 * @param macTableCapacity   most entries the MAC table holds.
 * @param macTableFull       source MACs not learned because the table was full.
 * @param ringUsedBytes      bytes waiting in the receive-to-forwarding ring.
 * @param ringCapacityBytes  capacity of that ring.
 */
public record EngineStats(
    long agentErrors, long unknownIngress, long macEntries, int macTableCapacity, long macTableFull,
    int ringUsedBytes, int ringCapacityBytes)
{
}
