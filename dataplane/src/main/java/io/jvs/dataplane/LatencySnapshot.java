package io.jvs.dataplane;

/**
 * RX-to-TX latency of forwarded frames since the switch started: from the receive agent's poll of the port
 * that delivered the frame to the end of the forwarding batch that flushed it out, in microseconds.
 */
public record LatencySnapshot(long count, double p50Micros, double p99Micros, double p999Micros, double maxMicros)
{
}
