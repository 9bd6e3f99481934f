package io.jvs.tap;

import org.agrona.DirectBuffer;

/**
 * One switch port's packet I/O: a TAP device or an AF_PACKET socket with PACKET_MMAP rings.
 * <p>
 * Every frame crossing jvs is carried as {@code [virtio_net_hdr (10 bytes)][Ethernet frame]} so that
 * CHECKSUM_PARTIAL and GSO frames from containers keep their offload state end to end (see
 * docs/architecture.md, "Offloads").
 * <p>
 * Not thread safe: {@link #receive} is called by the one thread polling the port, {@link #offer} (and
 * {@link #txClaim()}'s claims) and {@link #flush} by the one thread transmitting on it (they may be the same thread).
 */
public interface PacketPort extends AutoCloseable
{
    /** Interface name as the kernel knows it. */
    String name();

    /** File descriptor to poll(2) for readability when the owning thread goes idle. */
    int fd();

    /**
     * Hands up to {@code limit} received frames to the handler.
     *
     * @return number of frames handed over; 0 when nothing is waiting.
     */
    int receive(FrameHandler handler, int limit);

    /**
     * Queues one frame for transmission (copies it); it leaves at the next {@link #flush()} at the latest.
     *
     * @param length bytes of virtio_net_hdr plus Ethernet frame.
     * @return false when there is no room (the caller counts a drop).
     */
    boolean offer(DirectBuffer buffer, int offset, int length);

    /**
     * A handle to build frames in place instead of offering copies ({@link TxClaim}). Call once per producer at
     * setup, not per frame: the default allocates a scratch buffer and commits with {@link #offer}, so it saves
     * nothing; a port with a TX ring ({@link PacketSocketPort}) returns its ring, where the frame is built in the
     * slot the kernel sends from.
     */
    default TxClaim txClaim()
    {
        return new OfferingTxClaim(this);
    }

    /**
     * Kicks the kernel once for everything offered since the last flush.
     *
     * @return frames kicked.
     */
    int flush();

    /**
     * Frames the kernel dropped on this port before {@link #receive} could see them (e.g. a full RX ring), counted
     * since the port was opened. May make a syscall: call it now and then from the receiving thread, never per frame.
     */
    default long kernelDrops()
    {
        return 0;
    }

    /**
     * Bytes of packet ring this port maps for itself (RX and TX rings of an AF_PACKET socket), for the memory a port
     * holds ({@code jvs stats}); 0 for a port without rings of its own (a TAP, a port on a shared socket).
     */
    default long ringBytes()
    {
        return 0;
    }

    /** Largest {@code length} accepted by {@link #offer}. */
    int maxFrameLength();

    /**
     * Whether a frame offered with a virtio_net_hdr of GSO_UDP_L4 (and a partial UDP checksum) leaves as the UDP
     * datagrams it stands for: a kernel socket segments it (in software, or the NIC does) or passes it on whole
     * to a local peer that understands it. Ports that carry frames as they are (in-memory ports) say no.
     */
    default boolean segmentsUdpGso()
    {
        return false;
    }

    @Override
    void close();
}
