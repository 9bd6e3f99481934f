package io.jvs.dataplane.engine;

import io.jvs.tap.counters.Counter;

/**
 * The counters of one switch port (a record of {@link SwitchCounters}). The receive agent's run comes first, the
 * forwarding agent's on the next cache line, so the two threads never write one line.
 */
public enum PortCounter implements Counter
{
    RX_PACKETS("rx_packets", Writer.RECEIVE),
    RX_BYTES("rx_bytes", Writer.RECEIVE),
    RX_NO_SPACE("rx_no_space", Writer.RECEIVE),
    RX_TOO_LONG("rx_too_long", Writer.RECEIVE),
    /** Frames the kernel dropped on the port's RX ring (full) before jvs saw them. */
    RX_RING_FULL("rx_ring_full", Writer.RECEIVE),
    TX_PACKETS("tx_packets", Writer.FORWARDING),
    TX_BYTES("tx_bytes", Writer.FORWARDING),
    MALFORMED("malformed", Writer.FORWARDING),
    INVALID_SOURCE("invalid_source", Writer.FORWARDING),
    TX_FULL("tx_full", Writer.FORWARDING),
    ISOLATION("isolation", Writer.FORWARDING),
    SAME_PORT("same_port", Writer.FORWARDING),
    TX_TOO_LONG("tx_too_long", Writer.FORWARDING);

    private final String label;
    private final int writer;

    PortCounter(final String label, final int writer)
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

    /** The switch's two writing threads (one thread in shared mode: the lines are then apart for nothing). */
    static final class Writer
    {
        static final int RECEIVE = 0;
        static final int FORWARDING = 1;

        private Writer()
        {
        }
    }
}
