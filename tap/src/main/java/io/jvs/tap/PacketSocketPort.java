package io.jvs.tap;

import jnr.ffi.Pointer;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

import static io.jvs.tap.Native.LIBC;
import static io.jvs.tap.SocketOptions.*;
import static io.jvs.tap.Tpacket2Descriptor.*;

/**
 * An AF_PACKET socket bound to one interface with TPACKET_V2 PACKET_MMAP RX and TX rings and PACKET_VNET_HDR.
 * <p>
 * TPACKET_V2 rather than V3: V2 hands each frame over at once, V3 only when a block fills or its retire
 * timer fires, which puts a latency floor under quiet ports. One mmap holds both rings, RX first
 * ({@link RingGeometry}):
 * <pre>
 *  |<------ RX block (a page) ------>|     |<-------------- TX block (1 MB) --------------->|
 *  +----------------+----------------+-----+---------------+---------------+-----+----------+-----+
 *  | RX slot 0      | RX slot 1      | ... | TX slot 0     | TX slot 1     | ... | TX 14    | ... |
 *  +----------------+----------------+-----+---------------+---------------+-----+----------+-----+
 *   RX slot = [tpacket2_hdr][sockaddr_ll][pad][vnet hdr][frame]      TX slot = [tpacket2_hdr][vnet hdr][frame]
 * </pre>
 * RX slots are small (2 KB by default: an MTU-sized frame fits), 384 of them, so small frames can queue while
 * the switch thread is off its CPU without paying 128 KB of kernel memory per slot, and the ring stays small
 * enough for the CPU caches (see {@link RingConfig}). A longer frame (64 KB GSO,
 * jumbo) does not fit its slot: with PACKET_COPY_THRESH the kernel still takes a slot, in order, writes the
 * frame's head and marks it TP_STATUS_COPY, and queues the whole frame on the socket, where receive reads it
 * with one recv() into a port-owned buffer. The socket's receive buffer (SO_RCVBUFFORCE) bounds that queue;
 * when it is full the kernel truncates instead, which is counted.
 * <p>
 * TX slots are small too (2 KB by default, 128 of them). A frame that does not fit one (64 KB GSO, jumbo), and any
 * frame over {@link #LONG_FRAME_MIN} bytes, leaves with one write() on a second, ringless socket of the port
 * ({@link LongFrameSender}) once the ring frames offered before it have been kicked out, so the port keeps its
 * frames in order. A frame of up to {@link #LINEAR_FRAME_MAX} bytes (not GSO) is published with
 * the virtio_net_hdr's hdr_len set to its whole length, so the kernel copies it into the skb's linear part; else
 * tpacket_snd copies only the Ethernet header and attaches the rest as fragments of the ring's pages, which a
 * veth must copy again into a freshly allocated page before its peer may receive them (skb_copy_ubufs).
 * A port opened with large TX slots ({@link RingConfig#withLargeTxSlots()}) sends frames up to 16 KB, and long
 * frames the ringless socket refuses, through the ring.
 * <p>
 * Receive walks RX slots while the kernel has marked them TP_STATUS_USER and hands them back with an ordered
 * store of TP_STATUS_KERNEL. Offer copies into the next TX slot whose status is neither SEND_REQUEST nor
 * SENDING and publishes it with an ordered store of TP_STATUS_SEND_REQUEST; a {@link TxClaim} (the port is its
 * own: {@link #txClaim()}) hands out that same slot so a producer builds the frame there and skips the copy; flush is one non-blocking
 * send() that makes the kernel transmit every requested slot (PACKET_QDISC_BYPASS: straight to the driver).
 * <p>
 * PACKET_LOSS is set so a frame the kernel rejects (bad virtio_net_hdr, too short) is skipped instead of
 * parking the kernel's TX head on it, which would stall the ring until the producer wraps round.
 * <p>
 * Counters are plain fields written by the owning thread(s); reads from other threads may be stale.
 * <p>
 * Just over 800 lines, not split yet: ring set-up and geometry (open, validate, setRing) is the seam, beside
 * {@link RingGeometry}; the frame paths (receive, offer, flush, long frames) stay here.
 */
public final class PacketSocketPort implements PacketPort, TxClaim
{
    /** Smallest frame accepted by offer: the virtio_net_hdr plus an Ethernet header. */
    static final int MIN_FRAME_LENGTH = VnetHeader.LENGTH + 14;
    /** Frames up to this many bytes (Ethernet, without the virtio_net_hdr) are handed to the kernel linear. */
    static final int LINEAR_FRAME_MAX = 1536;
    /**
     * Frames longer than this (virtio_net_hdr included) that sit in native memory go out through the
     * {@link LongFrameSender} with one write() instead of through a TX slot: a syscall (~1 us) costs less than
     * the extra copy of 16 KB and more.
     */
    static final int LONG_FRAME_MIN = 16 * 1024;
    /**
     * Longest frame (virtio_net_hdr included) a port sends or receives whatever its slot size: a 64 KB GSO frame
     * with its headers fits, as in a large TX slot.
     */
    static final int LONG_FRAME_MAX = RingConfig.LARGE_TX_FRAME_SIZE - TX_DATA_OFFSET;
    private static final int MAC_LENGTH = 6;
    private static final int VLAN_TAG_LENGTH = 4;
    private static final int ETHERTYPE_VLAN = 0x8100;
    /** Receive buffer for frames too long for an RX slot (the kernel doubles it for its own accounting). */
    static final int COPY_QUEUE_BYTES = 4 << 20;
    private static final int NO_CLAIM = -1;


    private final String name;
    private final int fd;
    private final int ifindex;
    /** Offset of each TX slot in txRing, see {@link RingGeometry}. */
    private final int[] txSlotOffsets;
    /** Offset of each RX slot in rxRing, see {@link RingGeometry}. */
    private final int[] rxSlotOffsets;
    private final int rxSlots;
    private final int txSlots;
    /** Longest frame (virtio_net_hdr included) a TX slot holds. */
    private final int txSlotRoom;
    private final int maxFrameLength;
    private final long mapAddress;
    private final long mapLength;
    private final UnsafeBuffer rxRing;
    private final UnsafeBuffer txRing;
    private final SocketOptions options;
    private final Pointer longFramePointer;
    private final UnsafeBuffer longFrame;
    private final LongFrameSender longFrameSender;

    private int rxIndex;
    private int rxSlotOffset;
    private int txIndex;
    private int txPending;
    /** Length of the open TX claim, or NO_CLAIM. */
    private int txClaimed = NO_CLAIM;
    private boolean kickNeeded;
    private boolean closed;

    private long rxFrames;
    private long rxLongFrames;
    private long rxLongFramesClaimed;
    private long truncatedFrames;
    private long rxTagsReinserted;
    private int rxStatusBitsSeen;
    private long txFrames;
    private long txLongFrames;
    private long txLongRefused;
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
        final RingGeometry rx,
        final RingGeometry tx,
        final long mapAddress,
        final long mapLength,
        final SocketOptions options,
        final LongFrameSender longFrameSender)
    {
        this.name = name;
        this.fd = fd;
        this.ifindex = ifindex;
        this.txSlotOffsets = tx.slotOffsets();
        this.rxSlotOffsets = rx.slotOffsets();
        this.rxSlots = rx.slots();
        this.txSlots = tx.slots();
        this.txSlotRoom = tx.slotStride() - TX_DATA_OFFSET;
        this.maxFrameLength = maxFrameLength(tx);
        this.mapAddress = mapAddress;
        this.mapLength = mapLength;
        this.rxRing = new UnsafeBuffer(mapAddress, (int)rx.length());
        this.txRing = new UnsafeBuffer(mapAddress + rx.length(), (int)tx.length());
        this.options = options;
        // Room for the longest frame the port can send plus a VLAN tag put back in front of it.
        this.longFramePointer = Native.allocate(VLAN_TAG_LENGTH + maxFrameLength);
        this.longFrame = new UnsafeBuffer(longFramePointer.address(), VLAN_TAG_LENGTH + maxFrameLength);
        this.longFrameSender = longFrameSender;
    }

    /** Opens with {@link RingConfig#defaults()}. Throws {@link NativeException} with errno and call on failure. */
    public static PacketSocketPort open(final String interfaceName)
    {
        return open(interfaceName, RingConfig.defaults());
    }

    /**
     * Bytes a port with these rings maps (RX blocks + TX slots), as {@link #open} lays them out. The kernel backs
     * each ring block with a power-of-two number of pages, so its own footprint can be up to twice this.
     */
    public static long mappedBytes(final RingConfig config)
    {
        final int pageSize = LIBC.getpagesize();
        return rxGeometry(config, pageSize).length() + txGeometry(config, pageSize).length();
    }

    public static PacketSocketPort open(final String interfaceName, final RingConfig config)
    {
        final int pageSize = LIBC.getpagesize();
        validate(interfaceName, config, pageSize);
        final RingGeometry rx = rxGeometry(config, pageSize);
        final RingGeometry tx = txGeometry(config, pageSize);

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
        final long mapLength = rx.length() + tx.length();
        try
        {
            final SocketOptions options = new SocketOptions(fd, interfaceName);
            options.setInt(SOL_PACKET, PACKET_VERSION, TPACKET_V2, "PACKET_VERSION");
            options.setInt(SOL_PACKET, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR");
            options.setInt(SOL_PACKET, PACKET_LOSS, 1, "PACKET_LOSS");
            options.setInt(SOL_PACKET, PACKET_COPY_THRESH, 1, "PACKET_COPY_THRESH");
            options.setBuffer(SO_RCVBUFFORCE, SO_RCVBUF, COPY_QUEUE_BYTES, "SO_RCVBUF");
            setRing(options, PACKET_RX_RING, "PACKET_RX_RING", rx.blockSize(), rx.blocks(), rx.slotStride(), rx.slots());
            setRing(options, PACKET_TX_RING, "PACKET_TX_RING", tx.blockSize(), tx.blocks(), tx.slotStride(), tx.slots());

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

            options.bindPacket(ifindex, ETH_P_ALL);

            return new PacketSocketPort(
                interfaceName, fd, ifindex, rx, tx, mapAddress, mapLength, options,
                LongFrameSender.open(interfaceName, ifindex, maxFrameLength(tx)));
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

    private static void validate(final String interfaceName, final RingConfig config, final int pageSize)
    {
        if (interfaceName == null || interfaceName.isEmpty() ||
            interfaceName.length() > IfreqDescriptor.MAX_NAME_LENGTH)
        {
            throw new IllegalArgumentException("interfaceName=" + interfaceName);
        }
        final int frameSize = config.txFrameSize();
        if (frameSize < TPACKET2_HDRLEN + 2 * MIN_FRAME_LENGTH ||
            config.rxFrameSize() < TPACKET2_HDRLEN + 2 * MIN_FRAME_LENGTH || config.rxFrameSize() > frameSize)
        {
            throw new IllegalArgumentException("rxFrameSize=" + config.rxFrameSize() + " txFrameSize=" + frameSize);
        }
        if (config.rxFrames() <= 0 || config.txFrames() <= 0)
        {
            throw new IllegalArgumentException("rxFrames=" + config.rxFrames() + " txFrames=" + config.txFrames());
        }
        if (txGeometry(config, pageSize).length() > Integer.MAX_VALUE ||
            rxGeometry(config, pageSize).length() > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("ring too large for one buffer: " + config);
        }
    }

    private static void setRing(
        final SocketOptions options,
        final int option,
        final String optionName,
        final int blockSize,
        final int blocks,
        final int frameSize,
        final int frames)
    {
        final UnsafeBuffer req = options.scratch();
        req.putInt(TpacketReqDescriptor.BLOCK_SIZE_OFFSET, blockSize);
        req.putInt(TpacketReqDescriptor.BLOCK_NR_OFFSET, blocks);
        req.putInt(TpacketReqDescriptor.FRAME_SIZE_OFFSET, frameSize);
        req.putInt(TpacketReqDescriptor.FRAME_NR_OFFSET, frames);
        options.set(SOL_PACKET, option, TpacketReqDescriptor.LENGTH, optionName);
    }

    /**
     * RX ring geometry: slots of rxFrameSize (16-byte aligned) packed into page-sized blocks, or one slot per
     * block when a slot is larger than a page. The kernel finds slot i at block i / slotsPerBlock, offset
     * (i % slotsPerBlock) * slotStride, and wants frame_nr == block_nr * slotsPerBlock.
     */
    private static RingGeometry rxGeometry(final RingConfig config, final int pageSize)
    {
        return RingGeometry.of(config.rxFrameSize(), config.rxFrames(), pageSize);
    }

    /** Longest frame offer takes: what a TX slot holds, and at least {@link #LONG_FRAME_MAX} (the long path). */
    private static int maxFrameLength(final RingGeometry tx)
    {
        return Math.max(tx.slotStride() - TX_DATA_OFFSET, LONG_FRAME_MAX);
    }

    private static RingGeometry txGeometry(final RingConfig config, final int pageSize)
    {
        return RingGeometry.of(config.txFrameSize(), config.txFrames(), pageSize);
    }

    public String name()
    {
        return name;
    }

    public int fd()
    {
        return fd;
    }

    /** Bytes of RX and TX ring the port maps (as {@link #mappedBytes(RingConfig)} for its config). */
    @Override
    public long ringBytes()
    {
        return mapLength;
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
            final int slot = rxSlotOffset;
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
                if ((status & TP_STATUS_COPY) != 0)
                {
                    handed += receiveLongFrame(handler, ring, slot, status);
                }
                else if (snapLength < length || mac < TPACKET2_HDRLEN + VnetHeader.LENGTH)
                {
                    truncatedFrames++;
                }
                else if ((status & TP_STATUS_VLAN_VALID) != 0)
                {
                    if (mac < TPACKET2_HDRLEN + VnetHeader.LENGTH + VLAN_TAG_LENGTH)
                    {
                        truncatedFrames++;
                    }
                    else
                    {
                        final int start = reinsertVlanTag(ring, slot + mac - VnetHeader.LENGTH,
                            vlanTpid(ring, slot, status), ring.getShort(slot + VLAN_TCI_OFFSET));
                        rxFrames++;
                        rxTagsReinserted++;
                        handed++;
                        handler.onFrame(ring, start, snapLength + VnetHeader.LENGTH + VLAN_TAG_LENGTH);
                    }
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
                advanceRx();
            }
        }
        return handed;
    }

    private void advanceRx()
    {
        rxIndex = rxIndex + 1 == rxSlots ? 0 : rxIndex + 1;
        rxSlotOffset = rxSlotOffsets[rxIndex];
    }

    /**
     * A frame longer than its slot (TP_STATUS_COPY): the slot holds its head, the socket queue the whole frame
     * (tp_len is its length; slots and queue fill in the same order, so the next queued frame is this one). It is
     * read with one recv() straight into room the handler claims ({@link FrameHandler#claim}), else into the
     * port's own buffer and handed over with onFrame. A VLAN tag the kernel took out is put back
     * in front, in the 4 bytes left free before the frame.
     */
    private int receiveLongFrame(final FrameHandler handler, final UnsafeBuffer ring, final int slot, final int status)
    {
        final boolean tagged = (status & TP_STATUS_VLAN_VALID) != 0;
        final int tag = tagged ? VLAN_TAG_LENGTH : 0;
        final int expected = VnetHeader.LENGTH + ring.getInt(slot + LEN_OFFSET);
        final int claimed = expected <= maxFrameLength ? handler.claim(expected + tag) : FrameHandler.NO_CLAIM;
        final MutableDirectBuffer frame = claimed == FrameHandler.NO_CLAIM ? longFrame : handler.claimBuffer();
        final int start = claimed == FrameHandler.NO_CLAIM ? VLAN_TAG_LENGTH : claimed + tag;
        // A claim has room for the expected length only; MSG_TRUNC still reports a longer frame, refused below.
        final int room = claimed == FrameHandler.NO_CLAIM ? maxFrameLength : expected;
        final long received = LIBC.recv(fd, frame.addressOffset() + start, room, Native.MSG_DONTWAIT | Native.MSG_TRUNC);
        if (received < MIN_FRAME_LENGTH || received > maxFrameLength ||
            (claimed != FrameHandler.NO_CLAIM && received != expected))
        {
            truncatedFrames++;
            if (claimed != FrameHandler.NO_CLAIM)
            {
                handler.abortClaim();
            }
            return 0;
        }
        final int vnet = tagged ?
            reinsertVlanTag(frame, start, vlanTpid(ring, slot, status), ring.getShort(slot + VLAN_TCI_OFFSET)) : start;
        if (tagged)
        {
            rxTagsReinserted++;
        }
        rxFrames++;
        rxLongFrames++;
        if (claimed == FrameHandler.NO_CLAIM)
        {
            handler.onFrame(frame, vnet, (int)received + tag);
        }
        else
        {
            rxLongFramesClaimed++;
            handler.commitClaim();
        }
        return 1;
    }

    private static int vlanTpid(final UnsafeBuffer ring, final int slot, final int status)
    {
        return (status & TP_STATUS_VLAN_TPID_VALID) != 0 ? ring.getShort(slot + VLAN_TPID_OFFSET) & 0xFFFF : ETHERTYPE_VLAN;
    }

    /**
     * Puts a tag the kernel delivered out of band (tp_vlan_tci, TP_STATUS_VLAN_VALID: veths and NICs with VLAN
     * acceleration strip it from the data) back into the frame, so every consumer sees the frame as it was on
     * the wire. The virtio_net_hdr and both MAC addresses move 4 bytes down into the slack between sockaddr_ll
     * and the frame; a partial checksum's start moves with the payload.
     * <pre>
     *  before: [vnet hdr][dst][src][type ...]          after: [vnet hdr][dst][src][TPID][TCI][type ...]
     * </pre>
     * @return the new offset of the virtio_net_hdr.
     */
    private static int reinsertVlanTag(final MutableDirectBuffer ring, final int vnet, final int tpid, final short tci)
    {
        final int moved = VnetHeader.LENGTH + 2 * MAC_LENGTH;
        final int to = vnet - VLAN_TAG_LENGTH;
        for (int i = 0; i < moved; i++) // ascending: the destination lies below the source
        {
            ring.putByte(to + i, ring.getByte(vnet + i));
        }
        final int tag = to + moved;
        ring.putShort(tag, (short)tpid, ByteOrder.BIG_ENDIAN);
        ring.putShort(tag + 2, tci, ByteOrder.BIG_ENDIAN);
        if ((ring.getByte(to + VnetHeader.FLAGS_OFFSET) & VnetHeader.FLAG_NEEDS_CSUM) != 0)
        {
            final int csumStart = ring.getShort(to + VnetHeader.CSUM_START_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            ring.putShort(to + VnetHeader.CSUM_START_OFFSET, (short)(csumStart + VLAN_TAG_LENGTH),
                ByteOrder.LITTLE_ENDIAN);
        }
        final int hdrLen = ring.getShort(to + VnetHeader.HDR_LEN_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        if (hdrLen != 0)
        {
            ring.putShort(to + VnetHeader.HDR_LEN_OFFSET, (short)(hdrLen + VLAN_TAG_LENGTH), ByteOrder.LITTLE_ENDIAN);
        }
        return to;
    }

    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length > LONG_FRAME_MIN || length > txSlotRoom)
        {
            if (length > maxFrameLength)
            {
                txRejected++;
                return false;
            }
            if (sendLongFrame(buffer, offset, length))
            {
                return true;
            }
            if (length > txSlotRoom)
            {
                return false; // no slot holds it: the caller counts tx_full
            }
        }
        final int at = tryClaim(length);
        if (at < 0)
        {
            return false;
        }
        txRing.putBytes(at, buffer, offset, length);
        return commit(length);
    }

    /**
     * Sends a long frame now through the ringless socket, once every frame offered before it has left the TX
     * ring (the kernel sends ring frames in send(), so order is kept); false (counted in txLongRefused) when the
     * kernel keeps ring frames back or refuses the frame: the ring path if the frame fits a slot, else a drop.
     */
    private boolean sendLongFrame(final DirectBuffer buffer, final int offset, final int length)
    {
        ensureOpen();
        if (null != buffer.byteArray() && length <= txSlotRoom)
        {
            return false; // the ring copies it; the ringless socket would need a copy to native memory first
        }
        if (txPending > 0 || kickNeeded)
        {
            flush();
            if (kickNeeded)
            {
                txLongRefused++;
                return false;
            }
        }
        if (!longFrameSender.send(buffer, offset, length))
        {
            txLongRefused++;
            return false;
        }
        txFrames++;
        txLongFrames++;
        return true;
    }

    /**
     * The TX ring itself: claims are built in the slot the kernel sends from, so a claim is at most a slot long
     * ({@link #txSlotRoom()}); offer takes longer frames.
     */
    @Override
    public TxClaim txClaim()
    {
        return this;
    }

    /**
     * Claims the next TX slot if the kernel has handed it back (status neither SEND_REQUEST nor SENDING); the
     * status is left as it is, so an abandoned claim costs nothing and the kernel never looks at the slot.
     */
    public int tryClaim(final int length)
    {
        ensureOpen();
        txClaimed = NO_CLAIM;
        if (length < MIN_FRAME_LENGTH || length > txSlotRoom)
        {
            txRejected++;
            return -1;
        }
        final int slot = txSlotOffsets[txIndex];
        final int status = txRing.getIntVolatile(slot + STATUS_OFFSET);
        if ((status & TP_STATUS_TX_BUSY) != 0)
        {
            txRingFull++;
            return -1;
        }
        if ((status & TP_STATUS_WRONG_FORMAT) != 0)
        {
            txWrongFormat++;
        }
        txClaimed = length;
        return slot + TX_DATA_OFFSET;
    }

    public MutableDirectBuffer buffer()
    {
        return txRing;
    }

    /** Publishes the claimed slot: tp_len, then an ordered store of SEND_REQUEST. Never refuses. */
    public boolean commit(final int length)
    {
        final int claimed = txClaimed;
        if (claimed == NO_CLAIM)
        {
            throw new IllegalStateException("commit without a claim on " + name);
        }
        if (length < MIN_FRAME_LENGTH || length > claimed)
        {
            throw new IllegalArgumentException("commit length=" + length + " claimed=" + claimed + " on " + name);
        }
        txClaimed = NO_CLAIM;
        final UnsafeBuffer ring = txRing;
        final int slot = txSlotOffsets[txIndex];
        linearise(ring, slot + TX_DATA_OFFSET, length);
        ring.putInt(slot + LEN_OFFSET, length);
        // Ordered store: the frame and tp_len are visible before the kernel can see SEND_REQUEST.
        ring.putIntOrdered(slot + STATUS_OFFSET, TP_STATUS_SEND_REQUEST);
        txIndex = txIndex + 1 == txSlots ? 0 : txIndex + 1;
        txPending++;
        txFrames++;
        return true;
    }

    /**
     * Asks the kernel to copy a small, non-GSO frame whole into the skb's linear part: tpacket_snd copies
     * {@code max(hdr_len, ETH_HLEN)} bytes and attaches the rest as page fragments of the TX ring, which a veth
     * (every container port) must then copy into a freshly allocated page per frame (skb_copy_ubufs) before its
     * peer may receive it. A hdr_len of the whole frame makes it one small copy, no page allocation.
     */
    private static void linearise(final UnsafeBuffer ring, final int vnetHeader, final int length)
    {
        final int frameLength = length - VnetHeader.LENGTH;
        if (frameLength <= LINEAR_FRAME_MAX && ring.getByte(vnetHeader + VnetHeader.GSO_TYPE_OFFSET) == VnetHeader.GSO_NONE)
        {
            ring.putShort(vnetHeader + VnetHeader.HDR_LEN_OFFSET, (short)frameLength, ByteOrder.LITTLE_ENDIAN);
        }
    }

    public void abort()
    {
        txClaimed = NO_CLAIM;
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
        kickNeeded = (txRing.getIntVolatile(txSlotOffsets[last] + STATUS_OFFSET) & TP_STATUS_SEND_REQUEST) != 0;
        return frames;
    }

    public int maxFrameLength()
    {
        return maxFrameLength;
    }

    /** Longest frame (virtio_net_hdr included) a TX slot holds: the longest claim; offer takes up to maxFrameLength. */
    public int txSlotRoom()
    {
        return txSlotRoom;
    }

    @Override
    public boolean segmentsUdpGso()
    {
        return true;
    }

    /** Frames handed to a handler. */
    public long rxFrames()
    {
        return rxFrames;
    }

    /** Frames handed over from the socket queue because they were longer than an RX slot (GSO, jumbo). */
    public long rxLongFrames()
    {
        return rxLongFrames;
    }

    /** Long frames read straight into room the handler claimed (included in rxLongFrames). */
    public long rxLongFramesClaimed()
    {
        return rxLongFramesClaimed;
    }

    /**
     * Frames that could not be received whole: longer than an RX slot while the socket queue was full, or
     * longer than {@link #maxFrameLength()}. Counted and skipped.
     */
    public long truncatedFrames()
    {
        return truncatedFrames;
    }

    /** Frames whose out-of-band VLAN tag (TP_STATUS_VLAN_VALID) was put back into the frame. */
    public long rxTagsReinserted()
    {
        return rxTagsReinserted;
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

    /** Frames sent through the ringless socket ({@link #LONG_FRAME_MIN} and longer); included in txFrames. */
    public long txLongFrames()
    {
        return txLongFrames;
    }

    /**
     * Long frames that could not leave through the ringless socket: it refused them (send buffer full, bad
     * header) or ring frames offered before them were still waiting for the kernel. Sent through the ring if they
     * fit a slot, else refused (the switch counts tx_full).
     */
    public long txLongRefused()
    {
        return txLongRefused;
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
    @Override
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
        longFrameSender.close();
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
        return "PacketSocketPort{" + name + " fd=" + fd + " ifindex=" + ifindex + " rx=" + rxFrames + " rxLong=" + rxLongFrames +
            " truncated=" + truncatedFrames + " tx=" + txFrames + " txLong=" + txLongFrames +
            " txLongRefused=" + txLongRefused + " txRingFull=" + txRingFull +
            " kicks=" + kicks + '}';
    }
}
