package io.jvs.dataplane.engine;

import io.jvs.tap.counters.Counter;

/**
 * The counters of one bridge domain (a record of {@link SwitchCounters}): the receive agent's on the first cache
 * line, the forwarding agent's on the next two.
 */
public enum BridgeDomainCounter implements Counter
{
    NO_SPACE("no_space", PortCounter.Writer.RECEIVE),
    RX_TOO_LONG("rx_too_long", PortCounter.Writer.RECEIVE),
    RX_RING_FULL("rx_ring_full", PortCounter.Writer.RECEIVE),
    FORWARDED("forwarded", PortCounter.Writer.FORWARDING),
    FLOODED("flooded", PortCounter.Writer.FORWARDING),
    LEARNED("learned", PortCounter.Writer.FORWARDING),
    MOVES("moves", PortCounter.Writer.FORWARDING),
    AGED("aged", PortCounter.Writer.FORWARDING),
    /** Gauge: entries in the MAC table for this domain. */
    MAC_ENTRIES("mac_entries", PortCounter.Writer.FORWARDING),
    LEARN_TABLE_FULL("learn_table_full", PortCounter.Writer.FORWARDING),
    /** Record 0 only: frames from ports already removed (in flight in the ring when the port went away). */
    UNKNOWN_INGRESS("unknown_ingress", PortCounter.Writer.FORWARDING),
    MALFORMED("malformed", PortCounter.Writer.FORWARDING),
    INVALID_SOURCE("invalid_source", PortCounter.Writer.FORWARDING),
    TX_FULL("tx_full", PortCounter.Writer.FORWARDING),
    ISOLATION("isolation", PortCounter.Writer.FORWARDING),
    SAME_PORT("same_port", PortCounter.Writer.FORWARDING),
    TX_TOO_LONG("tx_too_long", PortCounter.Writer.FORWARDING);

    private final String label;
    private final int writer;

    BridgeDomainCounter(final String label, final int writer)
    {
        this.label = label;
        this.writer = writer;
    }

    public String label()
    {
        return label;
    }

    public int writer()
    {
        return writer;
    }
}
