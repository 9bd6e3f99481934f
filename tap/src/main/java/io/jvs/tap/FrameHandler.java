package io.jvs.tap;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

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

    /** {@link #claim} has no room to give: the port reads the frame into its own buffer and calls onFrame. */
    int NO_CLAIM = -1;

    /**
     * Optional: room for a frame the port has to copy out of the kernel anyway (a long frame read with recv()),
     * so it lands where onFrame would have copied it: one copy of a 64 KB frame instead of two. The port writes
     * exactly {@code length} bytes ({@code [virtio_net_hdr][frame]}) into {@link #claimBuffer()} at the returned
     * offset and then calls {@link #commitClaim()}, or {@link #abortClaim()} if it could not.
     *
     * @return the offset in claimBuffer(), a native-memory buffer, or {@link #NO_CLAIM}.
     */
    default int claim(final int length)
    {
        return NO_CLAIM;
    }

    /** Where {@link #claim} made room; only asked after a claim succeeded. */
    default MutableDirectBuffer claimBuffer()
    {
        throw new UnsupportedOperationException("no claim");
    }

    /** The claimed bytes are the frame: hand it on as onFrame would have. */
    default void commitClaim()
    {
        throw new UnsupportedOperationException("no claim");
    }

    /** The claimed room is not used. */
    default void abortClaim()
    {
        throw new UnsupportedOperationException("no claim");
    }
}
