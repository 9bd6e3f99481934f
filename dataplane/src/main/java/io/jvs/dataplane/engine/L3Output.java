package io.jvs.dataplane.engine;

import org.agrona.MutableDirectBuffer;

/** How the router emits frames; implemented by the forwarding agent, called on its thread. */
public interface L3Output
{
    /** Switches the frame in the leg's bridge domain as if it had been received on the leg port. */
    void injectBridged(int legPort, MutableDirectBuffer buffer, int offset, int length);

    /** Sends the frame on a routed port. @return false if the port refused it (counted on the port). */
    boolean transmitRouted(int port, MutableDirectBuffer buffer, int offset, int length);
}
