package io.jvs.vxlan;

import io.jvs.dataplane.l3.Checksum;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.parse.UdpHeader;
import io.jvs.tap.PacketPort;
import io.jvs.tap.TxClaim;
import io.jvs.tap.VnetHeader;
import io.jvs.tap.counters.CounterTable;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A tunnel port's transmit path: one offered inner frame, already assigned its destinations, through the
 * {@link InnerFramer} (GSO segmentation, checksum completion) and out to every destination with outer
 * Ethernet/IPv4/UDP/VXLAN headers (vnet hdr GSO_NONE, flags 0).
 * <ul>
 *   <li>For one destination the frame is built straight in the underlay's claimed TX ring slot ({@link TxClaim}):
 *       one copy of the inner bytes; the segments of one GSO frame to one peer share the slot as one UDP GSO
 *       super-datagram when the underlay segments UDP GSO ({@link #finishBatch}).</li>
 *   <li>A flooded frame is built once in a preallocated scratch buffer and copied to a slot per destination.</li>
 *   <li>Encrypted ports seal each inner frame once with the {@link KeyRing}'s sealing key ({@link SealedVxlan}
 *       layout), then send the same sealed datagram to every destination. Their scratch buffers are heap arrays
 *       because javax.crypto works on arrays (a direct buffer would be copied inside the JDK).</li>
 * </ul>
 * Single-threaded: the thread feeding the port. No allocation.
 */
final class Encapsulator implements InnerFramer.Sink
{
    private static final int VERSION_IHL = (Ipv4Header.VERSION << 4) | Ipv4Header.MIN_IHL;
    /** Largest UDP payload of one IPv4 datagram: the limit of a UDP GSO super-datagram. */
    static final int MAX_UDP_GSO_PAYLOAD = 0xFFFF - Ipv4Header.MIN_HEADER_LENGTH - UdpHeader.HEADER_LENGTH;
    /** Datagrams per super-datagram at most (the kernel's UDP_MAX_SEGMENTS is 64 or more). */
    static final int MAX_UDP_GSO_SEGMENTS = 64;
    /** Room a batch claims in the underlay's TX slot: outer headers + the largest UDP payload. */
    static final int BATCH_CLAIM_LENGTH = OuterHeaders.VXLAN_OFFSET + MAX_UDP_GSO_PAYLOAD;
    private static final int OUTER_HEADERS_LENGTH = OuterHeaders.VXLAN_OFFSET - OuterHeaders.ETHERNET_OFFSET;
    private static final int UDP_CSUM_START = OuterHeaders.UDP_OFFSET - OuterHeaders.ETHERNET_OFFSET;

    private final int vni;
    private final int localIp;
    private final boolean encrypted;
    /** Encrypted ports: outer headers, VXLAN header (AAD), nonce, ciphertext, tag; heap, for javax.crypto. */
    private final UnsafeBuffer sealed;
    private final PacketPort underlay;
    private final boolean udpChecksum;
    private final UnsafeBuffer scratch;
    /** The underlay's in-place TX (its ring slot on a real port): plain unicast frames are built there. */
    private final TxClaim tx;
    private final InnerFramer framer;
    /**
     * Native-order sum of the outer IPv4 header fields that never change for this port (version/IHL/TOS, flags,
     * TTL/protocol, source): per frame only total length, identification and destination are added, instead of
     * summing the header bytes (RFC 1071: the sum is order-independent, so fields can be added one by one).
     */
    private final long ipTemplateSum;
    /** The outer source MAC's first two bytes (they share an 8-byte store with the destination MAC) and UDP port. */
    private final int sourceMacHigh;
    private final int udpPort;
    /** Whether GSO segments to one peer are batched into UDP GSO super-datagrams (the underlay segments them). */
    private final boolean batching;
    /** The port's TX drop counters (this class counts some of them). */
    private final CounterTable txDrops;

    private RemoteVtep[] destinations;
    private KeyRing keys;
    /** Where the framer writes the current inner frame: {@link #scratch} or {@link #tx}'s buffer. */
    private MutableDirectBuffer target;
    /** Next-hop MAC of the single destination whose frame is being built in {@link #tx}. */
    private long claimedMac;
    private int sourcePort;
    private int ipId;
    private boolean underlayFull;
    private boolean sentAny;
    /** The open batch in the claimed TX slot (its vnet header's offset), or -1. */
    private int batchBase = -1;
    private int batchCapacity;
    /** Bytes per datagram payload ([VXLAN header][inner frame]): the first one's; later ones may not be longer. */
    private int batchChunk;
    private int batchLength;
    private int batchChunks;
    /** A shorter datagram ended the batch: UDP GSO cuts equal sizes, only the last may be shorter. */
    private boolean batchClosed;
    private long txUdpGsoFrames;
    private long txOuterFrames;
    private long txSealed;

    Encapsulator(final Vtep vtep, final int vni, final int innerMtu, final boolean encrypted,
        final CounterTable txDrops)
    {
        final VtepConfig config = vtep.config();
        this.vni = vni;
        this.localIp = vtep.localIp();
        this.encrypted = encrypted;
        this.txDrops = txDrops;
        this.underlay = vtep.underlay();
        this.udpChecksum = config.udpChecksum();
        final int scratchLength = InnerFramer.scratchLength(innerMtu);
        this.scratch = encrypted ? new UnsafeBuffer(new byte[scratchLength]) :
            new UnsafeBuffer(ByteBuffer.allocateDirect(scratchLength));
        this.sealed = encrypted ? new UnsafeBuffer(new byte[scratchLength + SealedVxlan.OVERHEAD]) : null;
        this.framer = new InnerFramer(innerMtu);
        this.tx = underlay.txClaim();
        this.batching = underlay.segmentsUdpGso() && underlay.maxFrameLength() >= BATCH_CLAIM_LENGTH;
        this.ipId = (int)System.nanoTime() & 0xFFFF;
        writeOuterTemplate(scratch, vtep.localMac(), localIp, config.udpPort());
        if (encrypted)
        {
            writeOuterTemplate(sealed, vtep.localMac(), localIp, config.udpPort());
            sealed.putByte(OuterHeaders.VXLAN_OFFSET + VxlanHeader.FLAGS_OFFSET,
                (byte)(VxlanHeader.FLAG_VNI_VALID | SealedVxlan.FLAG_ENCRYPTED));
        }
        this.ipTemplateSum = outerIpTemplateSum(localIp);
        this.sourceMacHigh = (int)(vtep.localMac() >>> 32) & 0xFFFF;
        this.udpPort = config.udpPort();
    }

    static long outerIpTemplateSum(final int localIp)
    {
        long sum = Checksum.addNetworkShort(0, VERSION_IHL << 8);    // TOS 0
        sum = Checksum.addNetworkShort(sum, OuterHeaders.IPV4_FLAGS);
        sum = Checksum.addNetworkShort(sum, (OuterHeaders.TTL << 8) | Ipv4Header.PROTOCOL_UDP);
        return Checksum.addNetworkInt(sum, localIp);
    }

    /** The parts of the outer headers that never change for this port. */
    private void writeOuterTemplate(final UnsafeBuffer s, final long localMac, final int localIp, final int udpPort)
    {
        s.setMemory(0, OuterHeaders.INNER_OFFSET, (byte)0); // vnet hdr: flags 0, GSO_NONE
        MacAddress.write(s, OuterHeaders.ETHERNET_OFFSET + EthernetHeader.SOURCE_OFFSET, localMac);
        s.putShort(OuterHeaders.ETHERNET_OFFSET + EthernetHeader.TYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_IPV4,
            ByteOrder.BIG_ENDIAN);
        final int ip = OuterHeaders.IPV4_OFFSET;
        s.putByte(ip + Ipv4Header.VERSION_IHL_OFFSET, (byte)VERSION_IHL);
        s.putByte(ip + Ipv4Header.TOS_OFFSET, (byte)0);
        s.putShort(ip + Ipv4Header.FLAGS_FRAGMENT_OFFSET, (short)OuterHeaders.IPV4_FLAGS, ByteOrder.BIG_ENDIAN);
        s.putByte(ip + Ipv4Header.TTL_OFFSET, (byte)OuterHeaders.TTL);
        s.putByte(ip + Ipv4Header.PROTOCOL_OFFSET, (byte)Ipv4Header.PROTOCOL_UDP);
        s.putInt(ip + Ipv4Header.SOURCE_OFFSET, localIp, ByteOrder.BIG_ENDIAN);
        s.putShort(OuterHeaders.UDP_OFFSET + UdpHeader.DESTINATION_PORT_OFFSET, (short)udpPort, ByteOrder.BIG_ENDIAN);
        VxlanHeader.write(s, OuterHeaders.VXLAN_OFFSET, vni);
        s.putShort(OuterHeaders.UDP_OFFSET + UdpHeader.CHECKSUM_OFFSET, (short)0); // stays 0 unless udpChecksum
    }

    /**
     * One offered frame ({@code [vnet hdr][Ethernet frame]}) to its destinations.
     *
     * @param keys the port's keys (encrypted ports).
     * @return false only when nothing left because the underlay was full (the switch counts that as TX_FULL).
     */
    boolean send(
        final RemoteVtep[] destinations, final KeyRing keys, final DirectBuffer buffer, final int offset,
        final int length)
    {
        this.destinations = destinations;
        this.keys = keys;
        sourcePort = FlowHash.sourcePort(buffer, offset + VnetHeader.LENGTH, length - VnetHeader.LENGTH);
        underlayFull = false;
        sentAny = false;
        final TxDrop drop = framer.frame(buffer, offset, length, this);
        finishBatch();
        this.destinations = null;
        this.keys = null;
        if (null != drop)
        {
            txDrops.incrementCounter(0, drop.ordinal());
            return true;
        }
        // "No room" only when nothing left because the underlay was full: the switch counts that as TX_FULL.
        return sentAny || !underlayFull;
    }

    /**
     * Room for one inner frame. A plain frame for one destination is built straight in the underlay's TX slot
     * ({@link TxClaim}): the inner frame is copied once, from the switch's buffer to the slot the kernel sends
     * from. A flooded frame (one copy per destination) or a sealed one (javax.crypto wants arrays) is built in
     * {@link #scratch} and copied out per destination by {@link PacketPort#offer}.
     */
    public int claim(final int innerLength)
    {
        final RemoteVtep[] targets = destinations;
        if (encrypted || targets.length != 1)
        {
            target = scratch;
            return 0;
        }
        final int chunk = VxlanHeader.LENGTH + innerLength;
        if (batchBase >= 0)
        {
            if (!batchClosed && chunk <= batchChunk && batchChunks < MAX_UDP_GSO_SEGMENTS &&
                OuterHeaders.VXLAN_OFFSET + batchLength + chunk <= batchCapacity)
            {
                return batchBase + batchLength; // the inner frame lands after this datagram's VXLAN header
            }
            finishBatch();
        }
        final long mac = targets[0].nextHop.mac;
        if (mac == Neighbour.UNRESOLVED)
        {
            txDrops.incrementCounter(0, TxDrop.NEIGHBOUR_UNRESOLVED.ordinal());
            return -1;
        }
        final int length = batching ? BATCH_CLAIM_LENGTH : OuterHeaders.INNER_OFFSET + innerLength;
        int at = tx.tryClaim(length);
        if (at < 0 && underlay.flush() >= 0)
        {
            at = tx.tryClaim(length);
        }
        if (at < 0)
        {
            underlayFull = true;
            txDrops.incrementCounter(0, TxDrop.UNDERLAY_FULL.ordinal());
            return -1;
        }
        claimedMac = mac;
        target = tx.buffer();
        batchBase = at;
        batchCapacity = length;
        batchChunk = chunk;
        batchLength = 0;
        batchChunks = 0;
        batchClosed = false;
        return at;
    }

    public MutableDirectBuffer target()
    {
        return target;
    }

    /** One finished inner frame at {@code base + INNER_OFFSET}: encapsulate it for every destination. */
    public void onInnerFrame(final int base, final int innerLength)
    {
        if (!encrypted)
        {
            if (target == scratch)
            {
                send(scratch, innerLength);
            }
            else
            {
                addToBatch(base, innerLength);
            }
            return;
        }
        final SealKey key = keys.sealing();
        if (null == key)
        {
            txDrops.incrementCounter(0, TxDrop.NO_KEY.ordinal());
            return;
        }
        final UnsafeBuffer out = sealed;
        out.putByte(OuterHeaders.VXLAN_OFFSET + SealedVxlan.KEY_ID_OFFSET, (byte)key.id());
        final int length = key.seal(scratch.byteArray(), OuterHeaders.INNER_OFFSET, innerLength, out.byteArray(),
            OuterHeaders.VXLAN_OFFSET);
        if (length < 0)
        {
            txDrops.incrementCounter(0, TxDrop.SEAL_FAILED.ordinal());
            return;
        }
        txSealed++;
        send(out, length);
    }

    /**
     * One more datagram in the claimed TX slot: its VXLAN header in front of the inner frame the framer just
     * wrote. Datagrams for one peer from one offered frame (the segments of a GSO frame) share the slot.
     */
    private void addToBatch(final int base, final int innerLength)
    {
        final int chunk = VxlanHeader.LENGTH + innerLength;
        if (batchChunks > 0)
        {
            target.putBytes(base + OuterHeaders.VXLAN_OFFSET, scratch, OuterHeaders.VXLAN_OFFSET, VxlanHeader.LENGTH);
            batchClosed = chunk < batchChunk;
        }
        batchLength += chunk;
        batchChunks++;
    }

    /**
     * Sends the open batch: one datagram as it is, several as one UDP GSO super-datagram ({@code gso_size} = the
     * first datagram's payload, partial UDP checksum over the pseudo-header), which the kernel cuts into the same
     * VXLAN datagrams (or a NIC does, or a jvs peer on a veth underlay splits it itself): one TX slot, one skb and
     * one trip through the underlay instead of one per segment.
     */
    private void finishBatch()
    {
        final int base = batchBase;
        if (base < 0)
        {
            return;
        }
        batchBase = -1;
        if (batchChunks == 0)
        {
            tx.abort();
            return;
        }
        final MutableDirectBuffer slot = target;
        final int payloadLength = batchLength - VxlanHeader.LENGTH;
        slot.putBytes(base, scratch, 0, OuterHeaders.INNER_OFFSET - VxlanHeader.LENGTH);
        slot.putBytes(base + OuterHeaders.VXLAN_OFFSET, scratch, OuterHeaders.VXLAN_OFFSET, VxlanHeader.LENGTH);
        final int peerIp = destinations[0].ip;
        writeOuter(slot, base, payloadLength, peerIp, claimedMac, batchChunks == 1);
        if (batchChunks > 1)
        {
            final int udpLength = UdpHeader.HEADER_LENGTH + batchLength;
            slot.putShort(base + OuterHeaders.UDP_OFFSET + UdpHeader.CHECKSUM_OFFSET, (short)Checksum.foldNative(
                Checksum.ipv4PseudoHeader(localIp, peerIp, Ipv4Header.PROTOCOL_UDP, udpLength)),
                ByteOrder.BIG_ENDIAN);
            Vtep.writeVnetHeader(slot, base, VnetHeader.FLAG_NEEDS_CSUM, VnetHeader.GSO_UDP_L4, OUTER_HEADERS_LENGTH,
                batchChunk, UDP_CSUM_START, UdpHeader.CHECKSUM_OFFSET);
            ipId += batchChunks - 1; // the kernel numbers the datagrams it cuts id, id + 1, ...
        }
        if (tx.commit(OuterHeaders.VXLAN_OFFSET + batchLength))
        {
            txOuterFrames += batchChunks;
            txUdpGsoFrames += batchChunks > 1 ? 1 : 0;
            sentAny = true;
        }
        else
        {
            underlayFull = true;
            txDrops.incrementCounter(0, TxDrop.UNDERLAY_FULL.ordinal());
        }
    }

    /** {@code payloadLength} bytes after the VXLAN header in {@code s}: outer headers per destination, then out. */
    private void send(final UnsafeBuffer s, final int payloadLength)
    {
        final int length = OuterHeaders.INNER_OFFSET + payloadLength;
        for (final RemoteVtep peer : destinations)
        {
            final long mac = peer.nextHop.mac;
            if (mac == Neighbour.UNRESOLVED)
            {
                txDrops.incrementCounter(0, TxDrop.NEIGHBOUR_UNRESOLVED.ordinal());
                continue;
            }
            writeOuter(s, 0, payloadLength, peer.ip, mac, true);
            if (underlay.offer(s, 0, length) || (underlay.flush() >= 0 && underlay.offer(s, 0, length)))
            {
                txOuterFrames++;
                sentAny = true;
            }
            else
            {
                underlayFull = true;
                txDrops.incrementCounter(0, TxDrop.UNDERLAY_FULL.ordinal());
            }
        }
    }

    /**
     * The per-frame outer fields at {@code base} (the template holds the rest), as six stores:
     * <pre>
     *  eth + 0 (8 B):  [destination MAC][first 2 bytes of the source MAC, unchanged]
     *  ip + 2 (4 B):   [total length][identification]        ip + 10 (2 B): [header checksum]
     *  ip + 16 (8 B):  [destination][UDP source port][UDP destination port, unchanged]
     *  udp + 4 (2 B):  [UDP length]                           udp + 6 (2 B): [UDP checksum, if enabled]
     * </pre>
     */
    private void writeOuter(
        final MutableDirectBuffer s, final int base, final int payloadLength, final int peerIp, final long mac,
        final boolean completeUdpChecksum)
    {
        final int ip = base + OuterHeaders.IPV4_OFFSET;
        final int udp = base + OuterHeaders.UDP_OFFSET;
        final int udpLength = UdpHeader.HEADER_LENGTH + VxlanHeader.LENGTH + payloadLength;
        final int totalLength = Ipv4Header.MIN_HEADER_LENGTH + udpLength;
        s.putShort(udp + UdpHeader.LENGTH_OFFSET, (short)udpLength, ByteOrder.BIG_ENDIAN);
        s.putLong(base + OuterHeaders.ETHERNET_OFFSET, mac << 16 | sourceMacHigh, ByteOrder.BIG_ENDIAN);
        final int id = ipId++ & 0xFFFF;
        s.putInt(ip + Ipv4Header.TOTAL_LENGTH_OFFSET, totalLength << 16 | id, ByteOrder.BIG_ENDIAN);
        s.putLong(ip + Ipv4Header.DESTINATION_OFFSET, (long)peerIp << 32 | (long)sourcePort << 16 | udpPort,
            ByteOrder.BIG_ENDIAN);
        final long lengthSum = Checksum.addNetworkShort(ipTemplateSum, totalLength);
        s.putShort(ip + Ipv4Header.CHECKSUM_OFFSET,
            (short)Checksum.finishNative(Checksum.addNetworkInt(Checksum.addNetworkShort(lengthSum, id), peerIp)),
            ByteOrder.BIG_ENDIAN);
        if (udpChecksum && completeUdpChecksum)
        {
            s.putShort(udp + UdpHeader.CHECKSUM_OFFSET, (short)0);
            final int c = Checksum.finishNative(
                Checksum.ipv4PseudoHeader(localIp, peerIp, Ipv4Header.PROTOCOL_UDP, udpLength) +
                Checksum.sumNative(s, udp, udpLength));
            s.putShort(udp + UdpHeader.CHECKSUM_OFFSET, (short)(c == 0 ? 0xFFFF : c), ByteOrder.BIG_ENDIAN);
        }
    }

    /** Encapsulated frames handed to the underlay (segments x destinations). */
    long txOuterFrames()
    {
        return txOuterFrames;
    }

    /** UDP GSO super-datagrams sent (each several VXLAN datagrams, counted in txOuterFrames). */
    long txUdpGsoFrames()
    {
        return txUdpGsoFrames;
    }

    /** Inner frames sealed (encrypted ports; once per frame, whatever the number of destinations). */
    long txSealed()
    {
        return txSealed;
    }

    /** GSO segments produced. */
    long txSegments()
    {
        return framer.segments();
    }
}
