package io.jvs.dataplane;

import io.jvs.tap.PacketPort;

import java.util.List;

/**
 * The router's ports as the switch keeps them: what {@link Routing} needs from the {@link Switch}, and no more.
 * Invalid requests throw {@link IllegalArgumentException} and change nothing.
 */
interface RouterPorts
{
    /** A bridge domain's router leg (virtual port, router MAC static on it). @return its port id. */
    int addLeg(int bridgeDomainId, long routerMac);

    /** A port outside every bridge domain whose frames all go to the router; the switch owns {@code io}. */
    int addRouted(PacketPort io);

    /** Removes (and closes) a router leg or routed port. */
    void remove(int portId);

    /** Counters of the router's legs and routed ports. */
    List<PortStats> stats();
}
