package io.jvs.tap;

import org.agrona.DirectBuffer;

/**
 * Receives frames from a {@link SharedLink}, each with the id of the port it is for (the id the port was bound
 * with, {@link SharedLinkPort#bindReceive}). Called on the polling thread; the buffer is only valid for the duration
 * of the call, as with {@link FrameHandler}.
 */
@FunctionalInterface
public interface PortFrameHandler
{
    /**
     * @param portId the ingress port's bound id.
     * @param buffer holds the frame.
     * @param offset where the {@link VnetHeader} starts; the Ethernet frame follows it.
     * @param length bytes of virtio_net_hdr plus Ethernet frame.
     */
    void onFrame(int portId, DirectBuffer buffer, int offset, int length);
}
