package io.jvs.tap;

import org.agrona.MutableDirectBuffer;

/**
 * Builds one frame in place in a port's transmit memory instead of building it elsewhere and copying it in with
 * {@link PacketPort#offer}: {@link #tryClaim} the room, write {@code [virtio_net_hdr][Ethernet frame]} into
 * {@link #buffer()} from the returned offset, then {@link #commit} (or {@link #abort}).
 * <pre>
 *  int at = claim.tryClaim(length);       // -1: no room, counted by the port like a refused offer
 *  claim.buffer().putBytes(at, ...);      // the whole frame, vnet hdr first
 *  claim.commit(length);                  // queued; leaves at the port's next flush() at the latest
 * </pre>
 * One claim at a time: a {@link #tryClaim} while a claim is open abandons the open one (as {@link #abort} would).
 * Same thread rules as {@link PacketPort#offer}; get one from {@link PacketPort#txClaim()} at setup.
 */
public interface TxClaim
{
    /**
     * @param length bytes of virtio_net_hdr plus Ethernet frame the producer will write (at most).
     * @return offset in {@link #buffer()} where the frame starts, or -1 when there is no room or the length is
     *         out of range (the caller counts a drop, as for a refused offer).
     */
    int tryClaim(int length);

    /** Where the claimed frame goes; valid between {@link #tryClaim} and {@link #commit} / {@link #abort}. */
    MutableDirectBuffer buffer();

    /**
     * Queues the claimed frame; after this the memory belongs to the port (and the kernel) again.
     *
     * @param length final frame length, at most the claimed length.
     * @return false when the port refused it (only a port that copies on commit can refuse).
     */
    boolean commit(int length);

    /** Gives the claimed room back unsent. */
    void abort();
}
