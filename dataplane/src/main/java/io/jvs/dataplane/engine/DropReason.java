package io.jvs.dataplane.engine;

/** Why a frame was dropped; every drop is counted under one of these. */
public enum DropReason
{
    MALFORMED("malformed"),
    INVALID_SOURCE("invalid_source"),
    NO_SPACE("no_space"),
    TX_FULL("tx_full"),
    ISOLATION("isolation"),
    SAME_PORT("same_port"),
    TOO_LONG("too_long"),
    /** Dropped by the kernel on the port's RX ring (full) before jvs could read it. */
    RX_RING_FULL("rx_ring_full"),
    /** From a source MAC the ingress port may not learn: it has learned its limit of MACs already. */
    MAC_LIMIT("mac_limit"),
    /** Between two container ports of a network without inter-container communication (enable_icc=false). */
    ICC("icc"),
    /** From a secured port, with a source MAC or address jvs did not give it ({@link PortSecurity}). */
    SPOOFED("spoofed");

    private final String label;

    DropReason(final String label)
    {
        this.label = label;
    }

    public String label()
    {
        return label;
    }
}
