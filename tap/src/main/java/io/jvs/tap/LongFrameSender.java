package io.jvs.tap;

import jnr.ffi.Pointer;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.jvs.tap.Native.LIBC;
import static io.jvs.tap.SocketOptions.*;

/**
 * A send-only AF_PACKET socket beside a {@link PacketSocketPort}'s ringed one, for long frames (64 KB GSO).
 * <p>
 * Through the TX ring a long frame costs two copies of its bytes: the switch copies it into a TX slot, and since
 * tpacket_snd attaches the slot's pages to the skb zero-copy, a veth (every container port) must copy them again
 * into fresh pages before its peer may receive them (skb_copy_ubufs). A plain write() on a socket without rings
 * (packet_snd) makes the kernel copy the frame once, from wherever it already is (the switch's ring record), into
 * the skb. A socket with a TX ring cannot do that: every sendmsg on it only kicks the ring, hence this second
 * socket. Bound with protocol 0 it receives nothing; PACKET_VNET_HDR and PACKET_QDISC_BYPASS as on the ringed
 * socket, and a send buffer that holds a few dozen 64 KB frames in flight on a NIC.
 * <p>
 * write() needs an address: a frame in a heap buffer is first copied into native memory of this sender, made on
 * first use (the switch's frames are native, in its ring; a heap frame that does not fit a TX slot is rare: a
 * router's held frame, tests), so a port does not hold 68 KB for it from the start.
 */
final class LongFrameSender implements AutoCloseable
{
    static final int SEND_BUFFER_BYTES = 4 << 20;

    private final int fd;
    private final String name;
    private final int maxFrameLength;
    private Pointer stagingPointer;
    private UnsafeBuffer staging;
    private boolean closed;

    private LongFrameSender(final int fd, final String name, final int maxFrameLength)
    {
        this.fd = fd;
        this.name = name;
        this.maxFrameLength = maxFrameLength;
    }

    /** @param maxFrameLength longest frame (virtio_net_hdr included) {@link #send(DirectBuffer, int, int)} copies. */
    static LongFrameSender open(final String interfaceName, final int ifindex, final int maxFrameLength)
    {
        final int fd = LIBC.socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);
        if (fd < 0)
        {
            throw Native.failure("socket(AF_PACKET) for long frames", interfaceName);
        }
        try
        {
            final SocketOptions options = new SocketOptions(fd, interfaceName);
            options.setInt(SOL_PACKET, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR");
            options.setInt(SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
            options.setBuffer(SO_SNDBUFFORCE, SO_SNDBUF, SEND_BUFFER_BYTES, "SO_SNDBUF");
            options.bindPacket(ifindex, 0);
            return new LongFrameSender(fd, interfaceName, maxFrameLength);
        }
        catch (final RuntimeException ex)
        {
            LIBC.close(fd);
            throw ex;
        }
    }

    /**
     * Sends {@code [virtio_net_hdr][frame]} at {@code address} now (non-blocking).
     *
     * @return true if the kernel took the whole frame; false if it refused it (send buffer full, bad header).
     */
    boolean send(final long address, final int length)
    {
        return LIBC.write(fd, address, length) == length;
    }

    /** As {@link #send(long, int)} for a frame in any buffer; a heap buffer's frame is copied to native memory. */
    boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        if (null == buffer.byteArray())
        {
            return send(buffer.addressOffset() + offset, length);
        }
        if (length > maxFrameLength)
        {
            return false;
        }
        if (null == staging)
        {
            stagingPointer = Native.allocate(maxFrameLength);
            staging = new UnsafeBuffer(stagingPointer.address(), maxFrameLength);
        }
        staging.putBytes(0, buffer, offset, length);
        return send(staging.addressOffset(), length);
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (LIBC.close(fd) != 0)
        {
            throw Native.failure("close (long frames)", name);
        }
    }
}
