package io.jvs.vxlan;

import jnr.ffi.Pointer;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

import static io.jvs.vxlan.VxlanNative.*;

/**
 * A plain AF_PACKET SOCK_RAW socket bound to the underlay interface with protocol 0, so it receives nothing and
 * only sends: the ARP requests of the {@link Vtep}. Separate from the data-path {@code PacketSocketPort} because
 * its TX ring belongs to the switch's TX thread while ARP requests are sent from the control thread and the RX
 * thread; one write(2) per ARP request is no cost at that rate. Thread safe (synchronized).
 */
public final class LinkSocket implements ArpTransmitter
{
    private final String interfaceName;
    private final int fd;
    private final Pointer frame;
    private final int frameCapacity;
    private boolean closed;
    private long sent;
    private long errors;

    private LinkSocket(final String interfaceName, final int fd, final Pointer frame, final int frameCapacity)
    {
        this.interfaceName = interfaceName;
        this.fd = fd;
        this.frame = frame;
        this.frameCapacity = frameCapacity;
    }

    public static LinkSocket open(final String interfaceName)
    {
        final int ifindex = LIBC.if_nametoindex(interfaceName);
        if (ifindex == 0)
        {
            throw failure("if_nametoindex", interfaceName);
        }
        final int fd = LIBC.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw failure("socket(AF_PACKET)", interfaceName);
        }
        final Pointer sll = allocate(SOCKADDR_LL_LENGTH);
        sll.putShort(SLL_FAMILY_OFFSET, (short)AF_PACKET);
        sll.putShort(SLL_PROTOCOL_OFFSET, (short)0);
        sll.putInt(SLL_IFINDEX_OFFSET, ifindex);
        if (LIBC.bind(fd, sll, SOCKADDR_LL_LENGTH) != 0)
        {
            final RuntimeException ex = failure("bind(AF_PACKET)", interfaceName);
            LIBC.close(fd);
            throw ex;
        }
        final int capacity = 128;
        return new LinkSocket(interfaceName, fd, allocate(capacity), capacity);
    }

    public synchronized void send(final DirectBuffer buffer, final int offset, final int length)
    {
        if (closed)
        {
            throw new IllegalStateException("closed: " + interfaceName);
        }
        if (length > frameCapacity)
        {
            throw new IllegalArgumentException("length=" + length);
        }
        for (int i = 0; i < length; i++)
        {
            frame.putByte(i, buffer.getByte(offset + i));
        }
        if (LIBC.write(fd, frame.address(), length) != length)
        {
            // Not thrown: a lost ARP request is retried by the resolver; counted for diagnostics.
            errors++;
            return;
        }
        sent++;
    }

    public synchronized long sent()
    {
        return sent;
    }

    public synchronized long errors()
    {
        return errors;
    }

    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            if (LIBC.close(fd) != 0)
            {
                throw failure("close", interfaceName);
            }
        }
    }

    static int networkInt(final int value)
    {
        return ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? Integer.reverseBytes(value) : value;
    }

    static short networkShort(final int value)
    {
        return ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? Short.reverseBytes((short)value) : (short)value;
    }
}
