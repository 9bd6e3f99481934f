package io.jvs.tap;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

import static io.jvs.tap.Native.LIBC;
import static io.jvs.tap.SocketOptions.*;
import static io.jvs.tap.Tpacket2Descriptor.*;

/**
 * An AF_PACKET socket bound to one interface with TPACKET_V2 PACKET_MMAP RX and TX rings and PACKET_VNET_HDR.
 * <p>
 * TPACKET_V2 rather than V3: V2 hands each frame over at once, V3 only when a block fills or its retire
 * timer fires, which puts a latency floor under quiet ports. One mmap holds both rings, RX first:
 * <pre>
 *  +-----------+-----------+-----+-----------+-----------+-----------+-----+-----------+
 *  | RX slot 0 | RX slot 1 | ... | RX n-1    | TX slot 0 | TX slot 1 | ... | TX m-1    |
 *  +-----------+-----------+-----+-----------+-----------+-----------+-----+-----------+
 *   each slot = one block of frameSize rounded up to a page: [tpacket2_hdr][...][vnet hdr][frame]
 * </pre>
 * Receive walks RX slots while the kernel has marked them TP_STATUS_USER and hands them back with an ordered
 * store of TP_STATUS_KERNEL. Offer copies into the next TX slot whose status is neither SEND_REQUEST nor
 * SENDING and publishes it with an ordered store of TP_STATUS_SEND_REQUEST; flush is one non-blocking
 * send() that makes the kernel transmit every requested slot (PACKET_QDISC_BYPASS: straight to the driver).
 * <p>
 * PACKET_LOSS is set so a frame the kernel rejects (bad virtio_net_hdr, too short) is skipped instead of
 * parking the kernel's TX head on it, which would stall the ring until the producer wraps round.
 * <p>
 * Counters are plain fields written by the owning thread(s); reads from other threads may be stale.
 */
public final class PacketSocketPort implements PacketPort
{
    /** Smallest frame accepted by offer: the virtio_net_hdr plus an Ethernet header. */
    static final int MIN_FRAME_LENGTH = VnetHeader.LENGTH + 14;

    private final String name;
    private final int fd;
    private final int ifindex;
    private final int slotStride;
    private final int rxSlots;
    private final int txSlots;
    private final int maxFrameLength;
    private final long mapAddress;
    private final long mapLength;
    private final UnsafeBuffer rxRing;
    private final UnsafeBuffer txRing;
    private final SocketOptions options;

    private int rxIndex;
    private int txIndex;
    private int txPending;
    private boolean kickNeeded;
    private boolean closed;

    private long rxFrames;
    private long truncatedFrames;
    private int rxStatusBitsSeen;
    private long txFrames;
    private long txRingFull;
    private long txRejected;
    private long txWrongFormat;
    private long kicks;
    private long kickErrors;
    private long kernelDrops;

    private PacketSocketPort(
        final String name,
        final int fd,
        final int ifindex,
        final RingConfig config,
        final int slotStride,
        final long mapAddress,
        final long mapLength,
        final SocketOptions options)
    {
        this.name = name;
        this.fd = fd;
        this.ifindex = ifindex;
        this.slotStride = slotStride;
        this.rxSlots = config.rxFrames();
        this.txSlots = config.txFrames();
        this.maxFrameLength = slotStride - TX_DATA_OFFSET;
        this.mapAddress = mapAddress;
        this.mapLength = mapLength;
        this.rxRing = new UnsafeBuffer(mapAddress, rxSlots * slotStride);
        this.txRing = new UnsafeBuffer(mapAddress + (long)rxSlots * slotStride, txSlots * slotStride);
        this.options = options;
    }

    /** Opens with {@link RingConfig#defaults()}. Throws {@link NativeException} with errno and call on failure. */
    public static PacketSocketPort open(final String interfaceName)
    {
        return open(interfaceName, RingConfig.defaults());
    }

    public static PacketSocketPort open(final String interfaceName, final RingConfig config)
    {
        final int pageSize = LIBC.getpagesize();
        final int slotStride = validate(interfaceName, config, pageSize);

        final int ifindex = LIBC.if_nametoindex(interfaceName);
        if (ifindex == 0)
        {
            throw Native.failure("if_nametoindex", interfaceName);
        }

        // Protocol 0: capture nothing until bind() names the interface, after the rings exist.
        final int fd = LIBC.socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);
        if (fd < 0)
        {
            throw Native.failure("socket(AF_PACKET)", interfaceName);
        }

        long mapAddress = Native.MAP_FAILED;
        final long mapLength = (long)(config.rxFrames() + config.txFrames()) * slotStride;
        try
        {
            final SocketOptions options = new SocketOptions(fd, interfaceName);
            options.setInt(SOL_PACKET, PACKET_VERSION, TPACKET_V2, "PACKET_VERSION");
            options.setInt(SOL_PACKET, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR");
            options.setInt(SOL_PACKET, PACKET_LOSS, 1, "PACKET_LOSS");
            setRing(options, PACKET_RX_RING, "PACKET_RX_RING", slotStride, config.rxFrames());
            setRing(options, PACKET_TX_RING, "PACKET_TX_RING", slotStride, config.txFrames());

            mapAddress = LIBC.mmap(
                null, mapLength, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0);
            if (mapAddress == Native.MAP_FAILED)
            {
                throw Native.failure("mmap(rings)", interfaceName);
            }

            options.setInt(SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
            options.setInt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");

            final UnsafeBuffer mreq = options.scratch();
            mreq.putInt(PacketMreqDescriptor.IFINDEX_OFFSET, ifindex);
            mreq.putShort(PacketMreqDescriptor.TYPE_OFFSET, (short)PacketMreqDescriptor.PACKET_MR_PROMISC);
            options.set(SOL_PACKET, PACKET_ADD_MEMBERSHIP, PacketMreqDescriptor.LENGTH, "PACKET_ADD_MEMBERSHIP");

            final UnsafeBuffer sll = options.scratch();
            sll.putShort(SockaddrLlDescriptor.FAMILY_OFFSET, (short)AF_PACKET);
            sll.putShort(SockaddrLlDescriptor.PROTOCOL_OFFSET, (short)ETH_P_ALL, ByteOrder.BIG_ENDIAN);
            sll.putInt(SockaddrLlDescriptor.IFINDEX_OFFSET, ifindex);
            if (LIBC.bind(fd, options.scratchPointer(), SockaddrLlDescriptor.LENGTH) != 0)
            {
                throw Native.failure("bind", interfaceName);
            }

            return new PacketSocketPort(interfaceName, fd, ifindex, config, slotStride, mapAddress, mapLength, options);
        }
        catch (final RuntimeException ex)
        {
            if (mapAddress != Native.MAP_FAILED)
            {
                LIBC.munmap(mapAddress, mapLength);
            }
            LIBC.close(fd);
            throw ex;
        }
    }

    private static int validate(final String interfaceName, final RingConfig config, final int pageSize)
    {
        if (interfaceName == null || interfaceName.isEmpty() ||
            interfaceName.length() > IfreqDescriptor.MAX_NAME_LENGTH)
        {
            throw new IllegalArgumentException("interfaceName=" + interfaceName);
        }
        final int frameSize = config.frameSize();
        if (frameSize < TPACKET2_HDRLEN + 2 * MIN_FRAME_LENGTH)
        {
            throw new IllegalArgumentException("frameSize=" + frameSize);
        }
        if (config.rxFrames() <= 0 || config.txFrames() <= 0)
        {
            throw new IllegalArgumentException("rxFrames=" + config.rxFrames() + " txFrames=" + config.txFrames());
        }
        // One frame per block keeps the slot arithmetic trivial. The kernel wants page-sized blocks, so a slot is
        // frameSize rounded up to a page and the frame gets the whole slot (frameSize is a minimum). Note the
        // kernel allocates each block as a power-of-two run of pages: 69632-byte slots cost 128 KB each.
        final long slotStride = ((long)frameSize + pageSize - 1) / pageSize * pageSize;
        if (slotStride * Math.max(config.rxFrames(), config.txFrames()) > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("ring too large for one buffer: " + config);
        }
        return (int)slotStride;
    }

    private static void setRing(
        final SocketOptions options,
        final int option,
        final String optionName,
        final int slotSize,
        final int frames)
    {
        // One frame per block, both the size of a slot, so frame_nr == block_nr.
        final UnsafeBuffer req = options.scratch();
        req.putInt(TpacketReqDescriptor.BLOCK_SIZE_OFFSET, slotSize);
        req.putInt(TpacketReqDescriptor.BLOCK_NR_OFFSET, frames);
        req.putInt(TpacketReqDescriptor.FRAME_SIZE_OFFSET, slotSize);
        req.putInt(TpacketReqDescriptor.FRAME_NR_OFFSET, frames);
        options.set(SOL_PACKET, option, TpacketReqDescriptor.LENGTH, optionName);
    }

    public String name()
    {
        return name;
    }

    public int fd()
    {
        return fd;
    }

    /** Kernel interface index the socket is bound to. */
    public int ifindex()
    {
        return ifindex;
    }

    public int receive(final FrameHandler handler, final int limit)
    {
        ensureOpen();
        final UnsafeBuffer ring = rxRing;
        int handed = 0;
        for (int i = 0; i < limit; i++)
        {
            final int slot = rxIndex * slotStride;
            final int status = ring.getIntVolatile(slot + STATUS_OFFSET);
            if ((status & TP_STATUS_USER) == 0)
            {
                break;
            }
            rxStatusBitsSeen |= status;
            try
            {
                final int length = ring.getInt(slot + LEN_OFFSET);
                final int snapLength = ring.getInt(slot + SNAPLEN_OFFSET);
                final int mac = ring.getShort(slot + MAC_OFFSET) & 0xFFFF;
                if (snapLength < length || mac < TPACKET2_HDRLEN + VnetHeader.LENGTH)
                {
                    truncatedFrames++;
                }
                else
                {
                    rxFrames++;
                    handed++;
                    handler.onFrame(ring, slot + mac - VnetHeader.LENGTH, snapLength + VnetHeader.LENGTH);
                }
            }
            finally
            {
                // Ordered store: our reads of the slot happen before the kernel may refill it.
                ring.putIntOrdered(slot + STATUS_OFFSET, TP_STATUS_KERNEL);
                rxIndex = rxIndex + 1 == rxSlots ? 0 : rxIndex + 1;
            }
        }
        return handed;
    }

    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        ensureOpen();
        if (length < MIN_FRAME_LENGTH || length > maxFrameLength)
        {
            txRejected++;
            return false;
        }
        final UnsafeBuffer ring = txRing;
        final int slot = txIndex * slotStride;
        final int status = ring.getIntVolatile(slot + STATUS_OFFSET);
        if ((status & TP_STATUS_TX_BUSY) != 0)
        {
            txRingFull++;
            return false;
        }
        if ((status & TP_STATUS_WRONG_FORMAT) != 0)
        {
            txWrongFormat++;
        }
        ring.putBytes(slot + TX_DATA_OFFSET, buffer, offset, length);
        ring.putInt(slot + LEN_OFFSET, length);
        // Ordered store: the frame and tp_len are visible before the kernel can see SEND_REQUEST.
        ring.putIntOrdered(slot + STATUS_OFFSET, TP_STATUS_SEND_REQUEST);
        txIndex = txIndex + 1 == txSlots ? 0 : txIndex + 1;
        txPending++;
        txFrames++;
        return true;
    }

    public int flush()
    {
        ensureOpen();
        final int frames = txPending;
        if (frames == 0 && !kickNeeded)
        {
            return 0;
        }
        txPending = 0;
        kicks++;
        if (LIBC.send(fd, null, 0, Native.MSG_DONTWAIT) < 0)
        {
            kickErrors++;
        }
        // The kernel stops early when the socket's send buffer is full or the link is down; whatever it left
        // behind is still SEND_REQUEST and needs another kick even if nothing new is offered.
        final int last = (txIndex == 0 ? txSlots : txIndex) - 1;
        kickNeeded = (txRing.getIntVolatile(last * slotStride + STATUS_OFFSET) & TP_STATUS_SEND_REQUEST) != 0;
        return frames;
    }

    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    /** Frames handed to a handler. */
    public long rxFrames()
    {
        return rxFrames;
    }

    /** Frames that did not fit a ring slot (tp_snaplen &lt; tp_len): counted and skipped. */
    public long truncatedFrames()
    {
        return truncatedFrames;
    }

    /** OR of every RX tp_status word seen, to show which kernel flags (CSUMNOTREADY, GSO_TCP, ...) occur. */
    public int rxStatusBitsSeen()
    {
        return rxStatusBitsSeen;
    }

    /** Frames queued on the TX ring. */
    public long txFrames()
    {
        return txFrames;
    }

    /** Offers refused because the next TX slot was still owned by the kernel. */
    public long txRingFull()
    {
        return txRingFull;
    }

    /** Offers refused because of their length (shorter than vnet hdr + Ethernet header, or too long). */
    public long txRejected()
    {
        return txRejected;
    }

    /** TX slots found in TP_STATUS_WRONG_FORMAT; stays 0 while PACKET_LOSS is set (the kernel skips them). */
    public long txWrongFormat()
    {
        return txWrongFormat;
    }

    /** send() calls made by flush. */
    public long kicks()
    {
        return kicks;
    }

    /** Kicks that returned an error (the frames stay queued and are kicked again). */
    public long kickErrors()
    {
        return kickErrors;
    }

    /**
     * Frames the kernel dropped because the RX ring was full, accumulated from PACKET_STATISTICS (which resets
     * on each read). A syscall: call from the owning thread, not per packet.
     */
    public long kernelDrops()
    {
        ensureOpen();
        options.get(SOL_PACKET, PACKET_STATISTICS, TPACKET_STATS_LENGTH, "PACKET_STATISTICS");
        kernelDrops += options.result().getInt(TPACKET_STATS_DROPS_OFFSET) & 0xFFFF_FFFFL;
        return kernelDrops;
    }

    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        // Unmap before close so no buffer over the rings outlives the mapping's owner.
        final int unmapped = LIBC.munmap(mapAddress, mapLength);
        final int unmapErrno = unmapped == 0 ? 0 : Native.errno();
        final int closedFd = LIBC.close(fd);
        if (unmapped != 0)
        {
            throw new NativeException("munmap", unmapErrno, name);
        }
        if (closedFd != 0)
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
        return "PacketSocketPort{" + name + " fd=" + fd + " ifindex=" + ifindex + " rx=" + rxFrames +
            " truncated=" + truncatedFrames + " tx=" + txFrames + " txRingFull=" + txRingFull +
            " kicks=" + kicks + '}';
    }
}
