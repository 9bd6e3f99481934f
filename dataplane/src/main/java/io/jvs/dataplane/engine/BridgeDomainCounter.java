package io.jvs.dataplane.engine;

import io.jvs.tap.counters.Counter;

/**
 * The counters of one bridge domain (a record of {@link SwitchCounters}): the receive agent's on the first cache
 * line, the forwarding agent's on the next two.
 */
public enum BridgeDomainCounter implements Counter
{
    NO_SPACE(PortCounter.Writer.RECEIVE),
    RX_TOO_LONG(PortCounter.Writer.RECEIVE),
    RX_RING_FULL(PortCounter.Writer.RECEIVE),
    FORWARDED(PortCounter.Writer.FORWARDING),
    FLOODED(PortCounter.Writer.FORWARDING),
    LEARNED(PortCounter.Writer.FORWARDING),
    MOVES(PortCounter.Writer.FORWARDING),
    AGED(PortCounter.Writer.FORWARDING),
    /** Gauge: entries in the MAC table for this domain. */
    MAC_ENTRIES(PortCounter.Writer.FORWARDING),
    LEARN_TABLE_FULL(PortCounter.Writer.FORWARDING),
    /** Record 0 only: frames from ports already removed (in flight in the ring when the port went away). */
    UNKNOWN_INGRESS(PortCounter.Writer.FORWARDING),
    MALFORMED(PortCounter.Writer.FORWARDING),
    INVALID_SOURCE(PortCounter.Writer.FORWARDING),
    TX_FULL(PortCounter.Writer.FORWARDING),
    ISOLATION(PortCounter.Writer.FORWARDING),
    SAME_PORT(PortCounter.Writer.FORWARDING),
    TX_TOO_LONG(PortCounter.Writer.FORWARDING),
    MAC_LIMIT(PortCounter.Writer.FORWARDING),
    ICC(PortCounter.Writer.FORWARDING),
    SPOOFED(PortCounter.Writer.FORWARDING);

    private final int writer;

    BridgeDomainCounter(final int writer)
    {
        this.writer = writer;
    }

    public int writer()
    {
        return writer;
    }
}
