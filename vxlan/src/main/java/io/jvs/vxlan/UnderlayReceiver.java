package io.jvs.vxlan;

import io.jvs.dataplane.l3.Checksum;
import io.jvs.dataplane.parse.ArpHeader;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.parse.UdpHeader;
import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import io.jvs.tap.PortFrameHandler;
import io.jvs.tap.SharedLinkPort;
import io.jvs.tap.VnetHeader;
import io.jvs.tap.counters.CounterTable;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link Vtep}'s receive path, the thread polling its underlay: classifies each underlay frame, validates and
 * decapsulates VXLAN datagrams (opening sealed ones), learns the inner source MAC, and hands the inner frame
 * straight to the switch with the id of its VNI's tunnel port ({@link PortFrameHandler}), in place in the
 * underlay's ring slot where the buffer allows. ARP goes to {@link UnderlayArp}. Every refusal is a named counter.
 * <p>
 * Single-threaded (the thread calling {@link #receive}); the counters are read by any thread and may be stale.
 */
final class UnderlayReceiver implements FrameHandler
{
    static final long HOUSEKEEPING_INTERVAL_NANOS = Vtep.HOUSEKEEPING_INTERVAL_NANOS;
    /** Polls per clock read (power of two). */
    static final int CLOCK_POLLS = 16;
    static final int MAX_RX_FRAME = VnetHeader.LENGTH + 0x1_0000 + 64;
    /** The 8 bytes ending with the outer IPv4 header's first two: the EtherType at bits 31..16, version/IHL 15..8. */
    static final int ETHERNET_TYPE_WORD_OFFSET = EthernetHeader.TYPE_OFFSET - 4;

    private final PacketPort underlay;
    private final UnderlayArp arp;
    private final int localIp;
    private final int udpPort;
    private final UnsafeBuffer rxCopy = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_RX_FRAME));
    /** Merges a batch's in-order TCP segments of one flow into one GSO frame. */
    private final TcpCoalescer coalescer = new TcpCoalescer();
    /** A sealed payload copied out of the ring (javax.crypto works on arrays), and its opened frame. */
    private final byte[] rxSealed = new byte[MAX_RX_FRAME];
    private final UnsafeBuffer rxOpened = new UnsafeBuffer(new byte[MAX_RX_FRAME]);

    // Published by the control thread.
    private volatile IntIndex<VxlanTunnelPort> portsByVni = IntIndex.empty();
    private volatile VxlanTunnelPort[] portList = new VxlanTunnelPort[0];

    private PortFrameHandler handler;
    private int delivered;
    private long rxNanos;
    private long polls;
    private long lastHousekeeping = Long.MIN_VALUE / 2;
    /** One {@link RxDrop} record and one {@link RxIgnored} record in the counters registry; this thread writes. */
    private final CounterTable rxDrops;
    private final CounterTable ignored;
    private long decapsulated;
    private long rxUdpGsoFrames;
    private long opened;
    /** The last VNI looked up, its port, and the index snapshot they came from ({@link #portOf}). */
    private IntIndex<VxlanTunnelPort> rxPortIndex;
    private int rxVni = -1;
    private VxlanTunnelPort rxPort;

    UnderlayReceiver(
        final PacketPort underlay, final UnderlayArp arp, final int localIp, final int udpPort,
        final CounterTable rxDrops, final CounterTable ignored)
    {
        this.rxDrops = rxDrops;
        this.ignored = ignored;
        this.underlay = underlay;
        this.arp = arp;
        this.localIp = localIp;
        this.udpPort = udpPort;
    }

    /** Control thread: the tunnel ports by VNI, as one snapshot. */
    void publishPorts(final Map<Integer, VxlanTunnelPort> ports)
    {
        portsByVni = new IntIndex<>(new LinkedHashMap<>(ports));
        portList = ports.values().toArray(new VxlanTunnelPort[0]);
    }

    int portCount()
    {
        return portList.length;
    }

    /**
     * Reads up to {@code limit} underlay frames: inner frames to the handler with their port's id, ARP to the
     * next hops. Housekeeping (ARP retries and refreshes, remote MAC aging) rides along every 100 ms.
     *
     * @return frames handed to the handler.
     */
    int receive(final PortFrameHandler handler, final int limit)
    {
        // The clock is read every CLOCK_POLLS polls: learning and aging need seconds, not nanoseconds, and
        // nanoTime is a good part of a small frame's decapsulation cost.
        if ((++polls & (CLOCK_POLLS - 1)) == 1)
        {
            rxNanos = System.nanoTime();
        }
        final long now = rxNanos;
        if (now - lastHousekeeping >= HOUSEKEEPING_INTERVAL_NANOS)
        {
            lastHousekeeping = now;
            housekeeping(now);
        }
        this.handler = handler;
        delivered = 0;
        final long handedBefore = coalescer.handed();
        try
        {
            underlay.receive(this, limit);
        }
        finally
        {
            coalescer.flush(handler); // a held frame never outlives the batch
            this.handler = null;
        }
        return delivered + (int)(coalescer.handed() - handedBefore);
    }

    private void housekeeping(final long now)
    {
        arp.retry(now);
        for (final VxlanTunnelPort port : portList)
        {
            port.macTable().sweep(now, port.peers(), Vtep.SWEEP_BUDGET);
        }
    }

    /**
     * Classifies and decapsulates one underlay frame ({@link FrameHandler} for the underlay port).
     * <p>
     * The outer headers are read as a few big-endian 8-byte words (each Agrona access is bounds-checked, so fewer
     * and wider reads are cheaper) and every field is taken from those words; each check and its drop reason is the
     * same as reading field by field:
     * <pre>
     *  eth + 8:  [src MAC 2..5][EtherType][IPv4 version/IHL, TOS]   (the EtherType and version/IHL)
     *  ip + 0:   [version/IHL, TOS][total length][identification][flags, fragment offset]
     *  ip + 8:   [TTL][protocol][header checksum][source]           ip + 16: [destination] (int)
     *  udp:      [source port][destination port][length][checksum]
     *  vxlan:    [flags][reserved 3][VNI 3][reserved 1]
     * </pre>
     * The IPv4 header checksum is summed from the same words (RFC 1071: a big-endian sum folds to 0xFFFF exactly
     * when the native one does).
     */
    public void onFrame(final DirectBuffer buffer, final int offset, final int length)
    {
        final int eth = offset + VnetHeader.LENGTH;
        final int frameEnd = offset + length;
        if (length < VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH + Ipv4Header.MIN_HEADER_LENGTH)
        {
            if (length >= VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH + ArpHeader.LENGTH &&
                UnderlayArp.isArp(buffer, eth))
            {
                onArp(buffer, eth + EthernetHeader.HEADER_LENGTH);
            }
            else
            {
                ignore(RxIgnored.NOT_IPV4);
            }
            return;
        }
        final long typeWord = buffer.getLong(eth + ETHERNET_TYPE_WORD_OFFSET, ByteOrder.BIG_ENDIAN);
        final int type = (int)(typeWord >>> 16) & 0xFFFF;
        if (type != EthernetHeader.ETHERTYPE_IPV4)
        {
            if (type == EthernetHeader.ETHERTYPE_ARP && length >= VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH +
                ArpHeader.LENGTH)
            {
                onArp(buffer, eth + EthernetHeader.HEADER_LENGTH);
            }
            else
            {
                ignore(RxIgnored.NOT_IPV4);
            }
            return;
        }
        final int ip = eth + EthernetHeader.HEADER_LENGTH;
        final int destination = buffer.getInt(ip + Ipv4Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        if (destination != localIp)
        {
            ignore(RxIgnored.NOT_LOCAL);
            return;
        }
        final long ip8 = buffer.getLong(ip + Ipv4Header.TTL_OFFSET, ByteOrder.BIG_ENDIAN);
        if ((int)(ip8 >>> 48 & 0xFF) != Ipv4Header.PROTOCOL_UDP)
        {
            ignore(RxIgnored.NOT_UDP);
            return;
        }
        final long vnet = buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
        final int vnetFlags = (int)vnet & 0xFF;
        final int gsoType = (int)(vnet >>> 8) & 0xFF;
        final int versionIhl = (int)typeWord >>> 8 & 0xFF;
        final int ipHeaderLength = (versionIhl & 0x0F) * 4;
        if ((versionIhl >>> 4) != Ipv4Header.VERSION || ipHeaderLength < Ipv4Header.MIN_HEADER_LENGTH ||
            ip + ipHeaderLength > frameEnd)
        {
            drop(RxDrop.BAD_IP_HEADER);
            return;
        }
        final long ip0 = buffer.getLong(ip, ByteOrder.BIG_ENDIAN);
        int end = frameEnd;
        if (gsoType == VnetHeader.GSO_NONE)
        {
            // A GSO super-frame's outer header describes the segments-to-be; only check plain frames.
            final int totalLength = (int)(ip0 >>> 32) & 0xFFFF;
            if (totalLength < ipHeaderLength || ip + totalLength > frameEnd)
            {
                drop(RxDrop.BAD_IP_HEADER);
                return;
            }
            end = ip + totalLength; // drop Ethernet padding
            // DATA_VALID: the device verified the checksums (CHECKSUM_UNNECESSARY); the header is not summed again.
            if ((vnetFlags & VnetHeader.FLAG_DATA_VALID) == 0 && Checksum.fold(ipHeaderLength ==
                Ipv4Header.MIN_HEADER_LENGTH ? (ip0 >>> 32) + (ip0 & 0xFFFF_FFFFL) + (ip8 >>> 32) +
                (ip8 & 0xFFFF_FFFFL) + (destination & 0xFFFF_FFFFL) :
                Checksum.sumNative(buffer, ip, ipHeaderLength)) != 0xFFFF)
            {
                drop(RxDrop.BAD_IP_CHECKSUM);
                return;
            }
        }
        final int udp = ip + ipHeaderLength;
        final int fragment = (int)ip0 & (Ipv4Header.FLAG_MORE_FRAGMENTS | Ipv4Header.FRAGMENT_OFFSET_MASK);
        if (fragment != 0)
        {
            if ((fragment & Ipv4Header.FRAGMENT_OFFSET_MASK) == 0 && udp + UdpHeader.HEADER_LENGTH <= end &&
                (buffer.getShort(udp + UdpHeader.DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) == udpPort)
            {
                drop(RxDrop.IP_FRAGMENT);
            }
            else
            {
                ignore(RxIgnored.LATER_FRAGMENT);
            }
            return;
        }
        if (udp + UdpHeader.HEADER_LENGTH > end)
        {
            drop(RxDrop.TOO_SHORT); // cannot tell the port: counted as ours, the kernel drops it as well
            return;
        }
        final long udpWord = buffer.getLong(udp, ByteOrder.BIG_ENDIAN);
        if (((int)(udpWord >>> 32) & 0xFFFF) != udpPort)
        {
            ignore(RxIgnored.OTHER_UDP_PORT);
            return;
        }
        final int udpLength = (int)(udpWord >>> 16) & 0xFFFF;
        if (gsoType == VnetHeader.GSO_NONE)
        {
            if (udpLength < UdpHeader.HEADER_LENGTH || udp + udpLength > end)
            {
                drop(RxDrop.BAD_UDP_LENGTH);
                return;
            }
            end = udp + udpLength;
        }
        final int source = (int)ip8;
        if (((int)udpWord & 0xFFFF) != 0 && gsoType == VnetHeader.GSO_NONE &&
            (vnetFlags & (VnetHeader.FLAG_NEEDS_CSUM | VnetHeader.FLAG_DATA_VALID)) == 0)
        {
            final long pseudo = Checksum.ipv4PseudoHeader(source, localIp, Ipv4Header.PROTOCOL_UDP, udpLength);
            if (Checksum.foldNative(pseudo + Checksum.sumNative(buffer, udp, udpLength)) != 0xFFFF)
            {
                drop(RxDrop.BAD_UDP_CHECKSUM);
                return;
            }
        }
        if (gsoType == VnetHeader.GSO_UDP_L4)
        {
            // A UDP GSO super-datagram from a VTEP on this kernel (veth underlay, see VxlanTunnelPort): every
            // gso_size bytes of its payload are one VXLAN datagram, as the kernel or a NIC would have cut them.
            final int chunk = (int)(vnet >>> 32) & 0xFFFF;
            if (chunk < VxlanHeader.LENGTH + EthernetHeader.HEADER_LENGTH)
            {
                drop(RxDrop.BAD_OFFLOAD);
                return;
            }
            rxUdpGsoFrames++;
            for (int at = udp + UdpHeader.HEADER_LENGTH; at < end; at += chunk)
            {
                decapsulate(buffer, offset, eth, at, Math.min(at + chunk, end), source, VnetHeader.GSO_NONE, 0, 0L);
            }
            return;
        }
        decapsulate(buffer, offset, eth, udp + UdpHeader.HEADER_LENGTH, end, source, gsoType, vnetFlags, vnet);
    }

    /** One VXLAN datagram's payload, {@code [VXLAN header][inner frame]} from {@code vxlan} to {@code end}. */
    private void decapsulate(
        final DirectBuffer buffer, final int offset, final int eth, final int vxlan, final int end, final int source,
        final int gsoType, final int vnetFlags, final long vnet)
    {
        final int inner = vxlan + VxlanHeader.LENGTH;
        if (inner + EthernetHeader.HEADER_LENGTH > end)
        {
            drop(RxDrop.TOO_SHORT);
            return;
        }
        final long vxlanWord = buffer.getLong(vxlan, ByteOrder.BIG_ENDIAN);
        final int vxlanFlags = (int)(vxlanWord >>> 56);
        if ((vxlanFlags & VxlanHeader.FLAG_VNI_VALID) == 0)
        {
            drop(RxDrop.BAD_FLAGS);
            return;
        }
        final VxlanTunnelPort port = portOf((int)vxlanWord >>> 8);
        if (null == port)
        {
            drop(RxDrop.UNKNOWN_VNI);
            return;
        }
        final RemoteVtep peer = port.peerByIp(source);
        if (null == peer)
        {
            drop(RxDrop.UNKNOWN_PEER);
            return;
        }
        final boolean sealed = (vxlanFlags & SealedVxlan.FLAG_ENCRYPTED) != 0;
        if (sealed != port.encrypted())
        {
            drop(sealed ? RxDrop.SEALED_ON_PLAIN : RxDrop.PLAIN_ON_ENCRYPTED);
            return;
        }
        if (sealed)
        {
            open(port, peer, buffer, vxlan, end, gsoType);
            return;
        }

        // The inner frame's own virtio_net_hdr. Normally all zero: the sender completed every checksum. Only a
        // local kernel tunnel (veth underlay) hands over GSO / partial checksums, whose offsets now shift.
        final int innerLength = end - inner;
        final int shift = inner - eth;
        int flags = 0;
        int innerGso = VnetHeader.GSO_NONE;
        int gsoSize = 0;
        int csumStart = 0;
        int csumOffset = 0;
        if (gsoType != VnetHeader.GSO_NONE || (vnetFlags & VnetHeader.FLAG_NEEDS_CSUM) != 0)
        {
            final int start = (int)(vnet >>> 48);
            final int off = InnerFramer.u16le(buffer, offset + VnetHeader.CSUM_OFFSET_OFFSET);
            final boolean innerPartial = (vnetFlags & VnetHeader.FLAG_NEEDS_CSUM) != 0 &&
                start >= shift + EthernetHeader.HEADER_LENGTH && start + off + 2 <= end - eth;
            if (gsoType != VnetHeader.GSO_NONE)
            {
                final int base = gsoType & ~VnetHeader.GSO_ECN;
                if (base != VnetHeader.GSO_TCPV4 && base != VnetHeader.GSO_TCPV6)
                {
                    drop(RxDrop.UNSUPPORTED_GSO);
                    return;
                }
                if (!innerPartial)
                {
                    drop(RxDrop.BAD_OFFLOAD);
                    return;
                }
                innerGso = gsoType;
                gsoSize = (int)(vnet >>> 32) & 0xFFFF;
            }
            if (innerPartial)
            {
                flags = VnetHeader.FLAG_NEEDS_CSUM;
                csumStart = start - shift;
                csumOffset = off;
            }
        }

        final int headerLength = flags == 0 ? 0 : csumStart + csumOffset + 2;
        deliver(port, peer, buffer, inner, innerLength, flags, innerGso, headerLength, gsoSize, csumStart, csumOffset);
    }

    /**
     * VNI -> port, remembering the last answer for as long as the published index is the same object (a new
     * snapshot, e.g. after a port closed, is looked up again): underlay traffic comes in runs of one VNI.
     */
    private VxlanTunnelPort portOf(final int vni)
    {
        final IntIndex<VxlanTunnelPort> index = portsByVni;
        if (index == rxPortIndex && vni == rxVni)
        {
            return rxPort;
        }
        final VxlanTunnelPort port = index.get(vni);
        if (null != port)
        {
            rxPortIndex = index;
            rxVni = vni;
            rxPort = port;
        }
        return port;
    }

    /**
     * An inner frame that passed every check (and, if sealed, opened): learned from unless it belongs to the local
     * anycast gateway, then handed to the switch with its port's id, in place where the buffer allows.
     */
    private void deliver(
        final VxlanTunnelPort port, final RemoteVtep peer, final DirectBuffer buffer, final int inner,
        final int innerLength, final int flags, final int innerGso, final int headerLength, final int gsoSize,
        final int csumStart, final int csumOffset)
    {
        if (port.isLocalGatewayFrame(buffer, inner, innerLength))
        {
            drop(RxDrop.LOCAL_GATEWAY); // before learning: the router MAC is never remote
            return;
        }
        // One 8-byte load ending with the source MAC (the Ethernet header is known to be there).
        final long source = buffer.getLong(inner + EthernetHeader.SOURCE_OFFSET - 2, ByteOrder.BIG_ENDIAN) &
            MacAddress.MASK;
        if (MacAddress.isValidSource(source))
        {
            port.macTable().learn(source, peer.id, rxNanos);
        }
        decapsulated++;
        final int portId = port.receiveId();
        if (portId == SharedLinkPort.UNBOUND)
        {
            drop(RxDrop.PORT_DETACHED);
            return;
        }

        final PortFrameHandler handler = this.handler;
        if (flags != 0 || innerGso != VnetHeader.GSO_NONE)
        {
            coalescer.flush(handler); // a frame it cannot take goes on after the held one
        }
        else if (coalescer.offer(portId, buffer, inner, innerLength, handler))
        {
            port.countRx(innerLength);
            return;
        }
        final MutableDirectBuffer target;
        final int at;
        if (buffer instanceof MutableDirectBuffer && inner >= VnetHeader.LENGTH)
        {
            // In place: the 10 bytes before the inner frame (end of UDP, VXLAN header; or the opened frame's
            // own headroom) are ours until the slot goes back to the kernel, and everything in them has been read.
            target = (MutableDirectBuffer)buffer;
            at = inner - VnetHeader.LENGTH;
        }
        else
        {
            if (innerLength + VnetHeader.LENGTH > rxCopy.capacity())
            {
                drop(RxDrop.TOO_SHORT);
                return;
            }
            target = rxCopy;
            at = 0;
            rxCopy.putBytes(VnetHeader.LENGTH, buffer, inner, innerLength);
        }
        Vtep.writeVnetHeader(target, at, flags, innerGso, headerLength, gsoSize, csumStart, csumOffset);
        delivered++;
        port.countRx(innerLength);
        handler.onFrame(portId, target, at, innerLength + VnetHeader.LENGTH);
    }

    /**
     * A sealed datagram for an encrypted VNI: authenticated and decrypted before anything in it is used (learning
     * included), then delivered like a plain one. Every failure is a named drop.
     */
    private void open(
        final VxlanTunnelPort port, final RemoteVtep peer, final DirectBuffer buffer, final int vxlan, final int end,
        final int gsoType)
    {
        final int payloadLength = end - vxlan;
        if (gsoType != VnetHeader.GSO_NONE)
        {
            drop(RxDrop.BAD_OFFLOAD); // jvs never sends GSO; a sealed payload cannot be segmented by anyone else
            return;
        }
        if (payloadLength < SealedVxlan.CIPHERTEXT_OFFSET + EthernetHeader.HEADER_LENGTH + SealedVxlan.TAG_LENGTH ||
            payloadLength > rxSealed.length)
        {
            drop(RxDrop.TOO_SHORT);
            return;
        }
        final SealKey key = port.keys().byId(SealedVxlan.keyId(buffer, vxlan));
        if (null == key)
        {
            drop(RxDrop.UNKNOWN_KEY);
            return;
        }
        buffer.getBytes(vxlan, rxSealed, 0, payloadLength);
        final UnsafeBuffer frame = rxOpened;
        final int innerLength = key.open(rxSealed, 0, payloadLength, frame.byteArray(), VnetHeader.LENGTH);
        if (innerLength < 0)
        {
            drop(RxDrop.AUTH_FAILED);
            return;
        }
        opened++;
        deliver(port, peer, frame, VnetHeader.LENGTH, innerLength, 0, VnetHeader.GSO_NONE, 0, 0, 0, 0);
    }


    private void onArp(final DirectBuffer buffer, final int arpOffset)
    {
        ignore(RxIgnored.ARP);
        arp.onArp(buffer, arpOffset, rxNanos);
    }

    private void drop(final RxDrop reason)
    {
        rxDrops.incrementCounter(0, reason.ordinal());
    }

    private void ignore(final RxIgnored reason)
    {
        ignored.incrementCounter(0, reason.ordinal());
    }

    // ---------------------------------------------------------------- stats (any thread; may be stale)

    long rxDrops(final RxDrop reason)
    {
        return rxDrops.get(0, reason);
    }

    long ignored(final RxIgnored reason)
    {
        return ignored.get(0, reason);
    }

    long rxUdpGsoFrames()
    {
        return rxUdpGsoFrames;
    }

    long decapsulated()
    {
        return decapsulated;
    }

    long opened()
    {
        return opened;
    }

    long coalescedSegments()
    {
        return coalescer.coalesced();
    }

    long coalescedFrames()
    {
        return coalescer.flushedFrames();
    }

    /** From the registry: label to value in declaration order. */
    Map<String, Long> rxDropCounts()
    {
        return rxDrops.values(0);
    }

    Map<String, Long> ignoredCounts()
    {
        return ignored.values(0);
    }
}
