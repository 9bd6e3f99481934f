package io.jvs.tap;

import org.agrona.DirectBuffer;

/**
 * Receives frames from a {@link PacketPort}. Called on the polling thread; the buffer is only valid for the
 * duration of the call (it usually points into a kernel ring slot that is handed back right after).
 */
@FunctionalInterface
public interface FrameHandler
{
    /**
     * @param buffer holds the frame.
     * @param offset where the {@link VnetHeader} starts; the Ethernet frame follows at
     *               {@code offset + VnetHeader.LENGTH}.
     * @param length bytes of virtio_net_hdr plus Ethernet frame.
     */
    void onFrame(DirectBuffer buffer, int offset, int length);
}
