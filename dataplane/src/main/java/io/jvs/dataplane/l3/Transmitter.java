package io.jvs.dataplane.l3;

import io.jvs.dataplane.engine.L3Output;
import org.agrona.MutableDirectBuffer;

/** Hands the router's finished frames to the switch: into a leg's bridge domain, or out of a routed port. */
final class Transmitter
{
    private final Interfaces interfaces;
    private final RouterCounters counters;
    private L3Output output;

    Transmitter(final Interfaces interfaces, final RouterCounters counters)
    {
        this.interfaces = interfaces;
        this.counters = counters;
    }

    void output(final L3Output output)
    {
        this.output = output;
    }

    /** Sends a complete frame ([vnet hdr][Ethernet ...], addressed) out of {@code iface}. */
    void emit(final int iface, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        if (Interfaces.isLeg(iface))
        {
            output.injectBridged(interfaces.port(iface), buffer, offset, length);
        }
        else if (!output.transmitRouted(interfaces.port(iface), buffer, offset, length))
        {
            counters.increment(RouterCounter.DROP_TX);
        }
    }
}
