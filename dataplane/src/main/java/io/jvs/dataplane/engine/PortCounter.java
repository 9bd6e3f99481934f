package io.jvs.dataplane.engine;

import io.jvs.tap.counters.Counter;

/**
 * The counters of one switch port (a record of {@link SwitchCounters}). The receive agent's run comes first, the
 * forwarding agent's on the next cache line, so the two threads never write one line.
 */
public enum PortCounter implements Counter
{
    RX_PACKETS(Writer.RECEIVE),
    RX_BYTES(Writer.RECEIVE),
    RX_NO_SPACE(Writer.RECEIVE),
    RX_TOO_LONG(Writer.RECEIVE),
    /** Frames the kernel dropped on the port's RX ring (full) before jvs saw them. */
    RX_RING_FULL(Writer.RECEIVE),
    TX_PACKETS(Writer.FORWARDING),
    TX_BYTES(Writer.FORWARDING),
    MALFORMED(Writer.FORWARDING),
    INVALID_SOURCE(Writer.FORWARDING),
    TX_FULL(Writer.FORWARDING),
    ISOLATION(Writer.FORWARDING),
    SAME_PORT(Writer.FORWARDING),
    TX_TOO_LONG(Writer.FORWARDING),
    MAC_LIMIT(Writer.FORWARDING),
    ICC(Writer.FORWARDING),
    SPOOFED(Writer.FORWARDING);

    private final int writer;

    PortCounter(final int writer)
    {
        this.writer = writer;
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
