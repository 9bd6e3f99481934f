package io.jvs.dataplane.engine;

import org.agrona.MutableDirectBuffer;

/**
 * The router as the forwarding agent sees it; called on the forwarding thread only. Frames are
 * {@code [virtio_net_hdr][Ethernet]} at {@code offset}; the handler may rewrite a frame in place when it is
 * addressed to the router's own MAC (such a frame is delivered to the router leg alone), never otherwise.
 */
public interface L3Handler
{
    /** A frame the L2 pipeline delivered to a bridge domain's router leg (unicast to it, or flooded). */
    void onBridgedFrame(int legPort, MutableDirectBuffer buffer, int offset, int length);

    /** A frame received on a routed port (uplink, host port): it belongs to the router alone. */
    void onRoutedFrame(int port, MutableDirectBuffer buffer, int offset, int length);

    /**
     * Like {@link #onBridgedFrame} / {@link #onRoutedFrame} ({@code routed} says which), but the handler may keep
     * the frame until {@link #endBatch()}: the frame must stay valid and unchanged until then.
     */
    void queueFrame(boolean routed, int port, MutableDirectBuffer buffer, int offset, int length);

    /** Handles every queued frame, in the order queued. */
    void endBatch();

    /** Timers: connection expiry, ARP retries. Called once per duty cycle with the cycle's clock. */
    int doWork(long nowNanos);

    /** Where the router sends frames; set when the handler is attached to a forwarding agent. */
    void output(L3Output output);
}
