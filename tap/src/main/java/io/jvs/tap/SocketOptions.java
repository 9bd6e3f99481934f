package io.jvs.tap;

import jnr.ffi.Pointer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.jvs.tap.Native.LIBC;

/**
 * AF_PACKET constants (include/uapi/linux/if_packet.h, linux/socket.h) and setsockopt/getsockopt over a small
 * native scratch area. Setup and statistics only, never per packet. Not thread safe.
 */
final class SocketOptions
{
    static final int AF_PACKET = 17;
    static final int SOCK_RAW = 3;
    static final int SOCK_NONBLOCK = 0x800;
    static final int ETH_P_ALL = 0x0003;

    static final int SOL_PACKET = 263;
    static final int PACKET_ADD_MEMBERSHIP = 1;
    static final int PACKET_RX_RING = 5;
    static final int PACKET_STATISTICS = 6;
    static final int PACKET_COPY_THRESH = 7;
    static final int PACKET_VERSION = 10;
    static final int PACKET_HDRLEN = 11;
    static final int PACKET_TX_RING = 13;
    static final int PACKET_LOSS = 14;
    static final int PACKET_VNET_HDR = 15;
    static final int PACKET_QDISC_BYPASS = 20;
    static final int PACKET_IGNORE_OUTGOING = 23;

    // SOL_SOCKET options (asm-generic/socket.h).
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_SNDBUFFORCE = 32;
    static final int SO_RCVBUFFORCE = 33;

    /** struct tpacket_stats: tp_packets @0, tp_drops @4 (reset by each read). */
    static final int TPACKET_STATS_LENGTH = 8;
    static final int TPACKET_STATS_DROPS_OFFSET = 4;

    private static final int SCRATCH_LENGTH = 64;
    private static final int LENGTH_SLOT = SCRATCH_LENGTH - 8;

    private final Pointer scratchPointer = Native.allocate(SCRATCH_LENGTH);
    private final UnsafeBuffer scratch = new UnsafeBuffer(scratchPointer.address(), SCRATCH_LENGTH);
    private final int fd;
    private final String subject;

    SocketOptions(final int fd, final String subject)
    {
        this.fd = fd;
        this.subject = subject;
    }

    /** Scratch area to fill before {@link #set(int, int, int, String)}; valid until the next call. */
    UnsafeBuffer scratch()
    {
        scratch.setMemory(0, SCRATCH_LENGTH, (byte)0);
        return scratch;
    }

    /** The scratch area as the last {@link #get} left it. */
    UnsafeBuffer result()
    {
        return scratch;
    }

    Pointer scratchPointer()
    {
        return scratchPointer;
    }

    void setInt(final int level, final int option, final int value, final String optionName)
    {
        scratch().putInt(0, value);
        set(level, option, Integer.BYTES, optionName);
    }

    /**
     * A socket buffer size past the sysctl maximum with the FORCE option (root), else the plain option, which the
     * kernel caps at the maximum (SO_RCVBUFFORCE / SO_RCVBUF, SO_SNDBUFFORCE / SO_SNDBUF).
     */
    void setBuffer(final int forceOption, final int option, final int bytes, final String optionName)
    {
        try
        {
            setInt(Native.SOL_SOCKET, forceOption, bytes, optionName + "FORCE");
        }
        catch (final NativeException ex)
        {
            setInt(Native.SOL_SOCKET, option, bytes, optionName);
        }
    }

    /** Binds the AF_PACKET socket to the interface for EtherType {@code protocol} (ETH_P_ALL; 0: receive nothing). */
    void bindPacket(final int ifindex, final int protocol)
    {
        final UnsafeBuffer sll = scratch();
        sll.putShort(SockaddrLlDescriptor.FAMILY_OFFSET, (short)AF_PACKET);
        sll.putShort(SockaddrLlDescriptor.PROTOCOL_OFFSET, (short)protocol, java.nio.ByteOrder.BIG_ENDIAN);
        sll.putInt(SockaddrLlDescriptor.IFINDEX_OFFSET, ifindex);
        if (LIBC.bind(fd, scratchPointer, SockaddrLlDescriptor.LENGTH) != 0)
        {
            throw Native.failure("bind", subject);
        }
    }

    /** setsockopt with the first {@code length} bytes of {@link #scratch()}. */
    void set(final int level, final int option, final int length, final String optionName)
    {
        if (LIBC.setsockopt(fd, level, option, scratchPointer, length) != 0)
        {
            throw Native.failure("setsockopt(" + optionName + ")", subject);
        }
    }

    /** getsockopt into {@link #scratch()}; {@code length} bytes in, returns the length the kernel wrote. */
    int get(final int level, final int option, final int length, final String optionName)
    {
        scratch.putInt(LENGTH_SLOT, length);
        if (LIBC.getsockopt(fd, level, option, scratchPointer, scratchPointer.slice(LENGTH_SLOT)) != 0)
        {
            throw Native.failure("getsockopt(" + optionName + ")", subject);
        }
        return scratch.getInt(LENGTH_SLOT);
    }
}
