package io.jvs.tap;

import jnr.ffi.Pointer;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

import static io.jvs.tap.Native.LIBC;

/**
 * A TAP device from /dev/net/tun with IFF_VNET_HDR and TUNSETOFFLOAD (checksum and TSO offloads), non-blocking.
 * <p>
 * TUNSETOFFLOAD tells the kernel we accept CHECKSUM_PARTIAL and TSO frames, so the stack on the TAP's side
 * hands us 64 KB GSO frames with a virtio_net_hdr instead of segmenting and checksumming each 1.5 KB packet.
 * <p>
 * A TAP has no ring: each received frame is one read() and each offered frame is one write(). That is a
 * syscall per frame, acceptable because a GSO frame carries up to 64 KB; {@link #flush()} has nothing to do.
 * A frame larger than the receive buffer would arrive truncated, so the buffer holds a whole 64 KB GSO frame.
 */
public final class TapPort implements PacketPort
{
    static final long TUNSETIFF = 0x400454caL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;

    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_VNET_HDR = 0x4000;

    static final int TUN_F_CSUM = 0x01;
    static final int TUN_F_TSO4 = 0x02;
    static final int TUN_F_TSO6 = 0x04;

    /** Largest frame (virtio_net_hdr included) read or written: a 64 KB GSO frame plus headers. */
    public static final int MAX_FRAME_LENGTH = 69632;

    /**
     * Cap of the calls to {@link #receive} skipped after reads that found nothing. A TAP has no shared ring to
     * peek at: each look is a read() syscall, which on a switch thread that also serves busy ring ports cost as
     * much as forwarding a frame. After an empty read the next 1, 2, 4, ... up to this many calls return 0
     * without a syscall; a read that returns a frame ends the backoff. Bounds the added latency of a frame
     * arriving on an idle TAP to this many duty cycles.
     */
    public static final int MAX_SKIPPED_RECEIVES = 32;

    private static final String TUN_DEVICE = "/dev/net/tun";
    private static final int MIN_FRAME_LENGTH = VnetHeader.LENGTH + 14;

    private final String name;
    private final int fd;
    private final Pointer rxPointer;
    private final UnsafeBuffer rxBuffer;
    private final Pointer txPointer;
    private final UnsafeBuffer txBuffer;

    private boolean closed;
    private long rxFrames;
    private long rxMalformed;
    private int receivesToSkip;
    private int skipWindow;
    private long txFrames;
    private long txErrors;
    private int lastTxErrno;

    private TapPort(final String name, final int fd)
    {
        this.name = name;
        this.fd = fd;
        this.rxPointer = Native.allocate(MAX_FRAME_LENGTH);
        this.rxBuffer = new UnsafeBuffer(rxPointer.address(), MAX_FRAME_LENGTH);
        this.txPointer = Native.allocate(MAX_FRAME_LENGTH);
        this.txBuffer = new UnsafeBuffer(txPointer.address(), MAX_FRAME_LENGTH);
    }

    /** Creates (or attaches to) TAP device {@code name}. The device goes away when closed unless persistent. */
    public static TapPort open(final String name)
    {
        final byte[] nameBytes = name == null ? new byte[0] : name.getBytes(StandardCharsets.US_ASCII);
        if (nameBytes.length == 0 || nameBytes.length > IfreqDescriptor.MAX_NAME_LENGTH)
        {
            throw new IllegalArgumentException("name=" + name);
        }

        final int fd = LIBC.open(TUN_DEVICE, Native.O_RDWR | Native.O_NONBLOCK);
        if (fd < 0)
        {
            throw Native.failure("open(" + TUN_DEVICE + ")", name);
        }
        try
        {
            final Pointer argPointer = Native.allocate(IfreqDescriptor.LENGTH);
            final UnsafeBuffer arg = new UnsafeBuffer(argPointer.address(), IfreqDescriptor.LENGTH);
            arg.putBytes(IfreqDescriptor.NAME_OFFSET, nameBytes);
            arg.putShort(IfreqDescriptor.FLAGS_OFFSET, (short)(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR));
            if (LIBC.ioctl(fd, TUNSETIFF, argPointer) != 0)
            {
                throw Native.failure("ioctl(TUNSETIFF)", name);
            }
            final String actualName = readName(arg);

            arg.putInt(0, VnetHeader.LENGTH);
            if (LIBC.ioctl(fd, TUNSETVNETHDRSZ, argPointer) != 0)
            {
                throw Native.failure("ioctl(TUNSETVNETHDRSZ)", actualName);
            }
            if (LIBC.ioctl(fd, TUNSETOFFLOAD, (long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) != 0)
            {
                throw Native.failure("ioctl(TUNSETOFFLOAD)", actualName);
            }
            return new TapPort(actualName, fd);
        }
        catch (final RuntimeException ex)
        {
            LIBC.close(fd);
            throw ex;
        }
    }

    /** The kernel may fill in the name (e.g. a "%d" pattern), so read back what it chose. */
    private static String readName(final UnsafeBuffer ifreq)
    {
        int length = 0;
        while (length < IfreqDescriptor.NAME_LENGTH && ifreq.getByte(IfreqDescriptor.NAME_OFFSET + length) != 0)
        {
            length++;
        }
        return ifreq.getStringWithoutLengthAscii(IfreqDescriptor.NAME_OFFSET, length);
    }

    public String name()
    {
        return name;
    }

    public int fd()
    {
        return fd;
    }

    public int receive(final FrameHandler handler, final int limit)
    {
        ensureOpen();
        if (receivesToSkip > 0)
        {
            receivesToSkip--;
            return 0;
        }
        int handed = 0;
        for (int i = 0; i < limit; i++)
        {
            final long n = LIBC.read(fd, rxBuffer.addressOffset(), MAX_FRAME_LENGTH);
            if (n < 0)
            {
                final int errno = Native.errno();
                if (errno == Native.EAGAIN)
                {
                    if (handed == 0)
                    {
                        skipWindow = skipWindow == 0 ? 1 : Math.min(skipWindow << 1, MAX_SKIPPED_RECEIVES);
                        receivesToSkip = skipWindow;
                    }
                    else
                    {
                        skipWindow = 0;
                    }
                    break;
                }
                if (errno == Native.EINTR)
                {
                    continue;
                }
                throw new NativeException("read", errno, name);
            }
            if (n < MIN_FRAME_LENGTH)
            {
                rxMalformed++;
                continue;
            }
            rxFrames++;
            handed++;
            handler.onFrame(rxBuffer, 0, (int)n);
        }
        return handed;
    }

    /** Writes the frame at once (one write() per frame); a frame the kernel refuses is counted and dropped. */
    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        ensureOpen();
        if (length < MIN_FRAME_LENGTH || length > MAX_FRAME_LENGTH)
        {
            txErrors++;
            return false;
        }
        final long address;
        if (buffer.byteArray() == null)
        {
            address = buffer.addressOffset() + offset;
        }
        else
        {
            txBuffer.putBytes(0, buffer, offset, length);
            address = txBuffer.addressOffset();
        }
        final long n = LIBC.write(fd, address, length);
        if (n != length)
        {
            lastTxErrno = n < 0 ? Native.errno() : 0;
            txErrors++;
            return false;
        }
        txFrames++;
        return true;
    }

    /** Nothing to do: {@link #offer} already wrote each frame. */
    public int flush()
    {
        return 0;
    }

    public int maxFrameLength()
    {
        return MAX_FRAME_LENGTH;
    }

    public long rxFrames()
    {
        return rxFrames;
    }

    /** Reads shorter than a virtio_net_hdr plus an Ethernet header: counted and skipped. */
    public long rxMalformed()
    {
        return rxMalformed;
    }

    public long txFrames()
    {
        return txFrames;
    }

    /** Offers the kernel refused or that had an impossible length. */
    public long txErrors()
    {
        return txErrors;
    }

    /** errno of the last refused write (EIO while the device is down, EINVAL for a bad virtio_net_hdr). */
    public int lastTxErrno()
    {
        return lastTxErrno;
    }

    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (LIBC.close(fd) != 0)
        {
            throw Native.failure("close", name);
        }
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("port closed: " + name);
        }
    }

    public String toString()
    {
        return "TapPort{" + name + " fd=" + fd + " rx=" + rxFrames + " tx=" + txFrames + " txErrors=" + txErrors + '}';
    }
}
