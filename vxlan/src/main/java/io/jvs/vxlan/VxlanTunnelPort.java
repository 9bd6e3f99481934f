package io.jvs.vxlan;

import io.jvs.dataplane.Routing;
import io.jvs.dataplane.l3.Checksum;
import io.jvs.dataplane.parse.ArpHeader;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.parse.UdpHeader;
import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import io.jvs.tap.StagingRing;
import io.jvs.tap.TxClaim;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One VNI as a switch port: a virtual {@link PacketPort} that the switch treats like any other (it learns the
 * remote MACs behind it, floods to it), the way a Linux vxlan device is enslaved to a bridge.
 * <ul>
 *   <li>{@link #offer}: the inner destination MAC is looked up in this VNI's {@link RemoteMacTable}; a hit whose
 *       peer is still configured sends to that VTEP, anything else (broadcast, multicast, unknown unicast) is
 *       replicated head-end to every peer of the {@link PeerSet}. The frame goes through {@link InnerFramer}
 *       (GSO segmentation, checksum completion) and each inner frame gets outer Ethernet/IPv4/UDP/VXLAN headers
 *       (vnet hdr GSO_NONE, flags 0). For one destination (a known unicast MAC) the frame is built straight in
 *       the underlay's claimed TX ring slot ({@link TxClaim}): one copy of the inner bytes. A flooded frame is
 *       built once in a preallocated scratch buffer and copied to a slot per destination.</li>
 *   <li>{@link #receive}: frames for this VNI other ports' polls staged, then polls the shared underlay
 *       through the {@link Vtep}.</li>
 *   <li>{@link #fd}: the underlay socket, so the switch's poll(2) wakes for VXLAN traffic.</li>
 *   <li>An encrypted port ({@link Vtep#openPort(int, String, boolean)}) seals each inner frame with the
 *       {@link KeyRing}'s sealing key ({@link SealedVxlan} layout) once, then sends the same sealed datagram to
 *       every destination; its inner MTU is the Vtep's minus {@link SealedVxlan#OVERHEAD}. Its scratch buffers are
 *       heap arrays because javax.crypto works on arrays (a direct buffer would be copied inside the JDK).</li>
 * </ul>
 * Threads as {@link PacketPort} says; peers change through {@link Vtep#setPeers} (a volatile snapshot).
 */
public final class VxlanTunnelPort implements PacketPort, InnerFramer.Sink, FrameHandler
{
    /** A 64 KB GSO frame with Ethernet, two VLAN tags and the vnet header. */
    public static final int MAX_FRAME_LENGTH = VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH +
        2 * EthernetHeader.VLAN_TAG_LENGTH + 0xFFFF;
    /** [vnet hdr][Ethernet][ARP], the reply the port makes for a remote endpoint's address. */
    private static final int ARP_REPLY_LENGTH = VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH + ArpHeader.LENGTH;
    private static final int ARP_REPLY_RING_BYTES = 64 * 1024;
    private static final int VERSION_IHL = (Ipv4Header.VERSION << 4) | Ipv4Header.MIN_IHL;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Largest UDP payload of one IPv4 datagram: the limit of a UDP GSO super-datagram. */
    static final int MAX_UDP_GSO_PAYLOAD = 0xFFFF - Ipv4Header.MIN_HEADER_LENGTH - UdpHeader.HEADER_LENGTH;
    /** Datagrams per super-datagram at most (the kernel's UDP_MAX_SEGMENTS is 64 or more). */
    static final int MAX_UDP_GSO_SEGMENTS = 64;
    /** Room a batch claims in the underlay's TX slot: outer headers + the largest UDP payload. */
    static final int BATCH_CLAIM_LENGTH = OuterHeaders.VXLAN_OFFSET + MAX_UDP_GSO_PAYLOAD;
    private static final int OUTER_HEADERS_LENGTH = OuterHeaders.VXLAN_OFFSET - OuterHeaders.ETHERNET_OFFSET;
    private static final int UDP_CSUM_START = OuterHeaders.UDP_OFFSET - OuterHeaders.ETHERNET_OFFSET;

    private final Vtep vtep;
    private final int vni;
    private final boolean encrypted;
    /** Encrypted ports: outer headers, VXLAN header (AAD), nonce, ciphertext, tag; heap, for javax.crypto. */
    private final UnsafeBuffer sealed;
    private final String name;
    private final PacketPort underlay;
    private final RemoteMacTable macTable;
    private final boolean udpChecksum;
    private final UnsafeBuffer scratch;
    /** The underlay's in-place TX (its ring slot on a real port): plain unicast frames are built there. */
    private final TxClaim tx;
    private final InnerFramer framer;
    private final StagingRing staging;
    private final RemoteVtep[] single = new RemoteVtep[1];
    /**
     * Native-order sum of the outer IPv4 header fields that never change for this port (version/IHL/TOS, flags,
     * TTL/protocol, source): per frame only total length, identification and destination are added, instead of
     * summing the header bytes (RFC 1071: the sum is order-independent, so fields can be added one by one).
     */
    private final long ipTemplateSum;
    /** The outer source MAC's first two bytes (they share an 8-byte store with the destination MAC) and UDP port. */
    private final int sourceMacHigh;
    private final int udpPort;

    /** ARP replies made on the TX thread, delivered as received frames by the RX thread (SPSC). */
    private final StagingRing arpReplies = new StagingRing(ARP_REPLY_RING_BYTES);
    private final UnsafeBuffer arpReply = new UnsafeBuffer(ByteBuffer.allocateDirect(ARP_REPLY_LENGTH));

    private volatile PeerSet peers = PeerSet.EMPTY;
    private volatile RemoteEndpoints endpoints = RemoteEndpoints.EMPTY;
    /** The network's gateway address, answered by this host's router (an anycast gateway); 0: none. */
    private volatile int localGateway;
    private volatile KeyRing keys = KeyRing.EMPTY;
    private volatile boolean closed;

    // TX thread.
    private RemoteVtep[] destinations;
    /** Where the framer writes the current inner frame: {@link #scratch} or {@link #tx}'s buffer. */
    private MutableDirectBuffer target;
    /** Next-hop MAC of the single destination whose frame is being built in {@link #tx}. */
    private long claimedMac;
    private int sourcePort;
    private int ipId;
    private boolean underlayFull;
    private boolean sentAny;
    /** Whether GSO segments to one peer are batched into UDP GSO super-datagrams (the underlay segments them). */
    private final boolean batching;
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
    private final long[] txDrops = new long[TxDrop.values().length];
    private long txFrames;
    private long txOuterFrames;
    private long txFlooded;
    private long txStaticUnicast;
    private long arpAnswered;
    private long txSealed;

    // RX thread.
    private FrameHandler stagedHandler;
    /** The last source looked up by {@link #peerByIp}, its peer, and the snapshot they came from. */
    private PeerSet rxPeers;
    private int rxPeerIp;
    private RemoteVtep rxPeer;
    private long rxFrames;
    private long rxBytes;

    VxlanTunnelPort(final Vtep vtep, final int vni, final String name, final boolean encrypted)
    {
        if (null == name || name.isEmpty())
        {
            throw new IllegalArgumentException("name=" + name);
        }
        final VtepConfig config = vtep.config();
        this.vtep = vtep;
        this.vni = vni;
        this.name = name;
        this.underlay = vtep.underlay();
        this.macTable = new RemoteMacTable(config.macTableEntries(), config.macAgingNanos());
        this.udpChecksum = config.udpChecksum();
        this.encrypted = encrypted;
        final int innerMtu = innerMtu(config, encrypted);
        final int scratchLength = InnerFramer.scratchLength(innerMtu);
        this.scratch = encrypted ? new UnsafeBuffer(new byte[scratchLength]) :
            new UnsafeBuffer(ByteBuffer.allocateDirect(scratchLength));
        this.sealed = encrypted ? new UnsafeBuffer(new byte[scratchLength + SealedVxlan.OVERHEAD]) : null;
        this.framer = new InnerFramer(innerMtu);
        this.tx = underlay.txClaim();
        this.batching = underlay.segmentsUdpGso() && underlay.maxFrameLength() >= BATCH_CLAIM_LENGTH;
        this.staging = new StagingRing(config.stagingBytes());
        this.ipId = (int)System.nanoTime() & 0xFFFF;
        writeOuterTemplate(scratch, vtep.localMac(), vtep.localIp(), config.udpPort());
        if (encrypted)
        {
            writeOuterTemplate(sealed, vtep.localMac(), vtep.localIp(), config.udpPort());
            sealed.putByte(OuterHeaders.VXLAN_OFFSET + VxlanHeader.FLAGS_OFFSET,
                (byte)(VxlanHeader.FLAG_VNI_VALID | SealedVxlan.FLAG_ENCRYPTED));
        }
        this.ipTemplateSum = outerIpTemplateSum(vtep.localIp());
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

    /** Largest inner IP packet of a port: the Vtep's, less the nonce and tag on an encrypted VNI. */
    public static int innerMtu(final VtepConfig config, final boolean encrypted)
    {
        return config.innerMtu() - (encrypted ? SealedVxlan.OVERHEAD : 0);
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

    public int vni()
    {
        return vni;
    }

    public boolean encrypted()
    {
        return encrypted;
    }

    /** This port's inner MTU (sandbox interfaces on its network must not exceed it). */
    public int innerMtu()
    {
        return innerMtu(vtep.config(), encrypted);
    }

    /**
     * Control thread: the keys of an encrypted VNI. {@code material} maps key id to 32 key bytes; every key in it is
     * accepted on receive, {@code sealingId} is the one sent with (0: none, nothing is sent). Keys already installed
     * with the same id and bytes are kept (with their nonce counters); new ones get a fresh random salt and counter.
     */
    public synchronized void setKeys(final int sealingId, final Map<Integer, byte[]> material)
    {
        if (!encrypted)
        {
            throw new IllegalStateException("vni " + vni + " is not encrypted");
        }
        final KeyRing current = keys;
        final List<SealKey> installed = new ArrayList<>();
        SealKey sealing = null;
        for (final Map.Entry<Integer, byte[]> e : material.entrySet())
        {
            final SealKey old = current.byId(e.getKey());
            final SealKey k = null != old && old.sameAs(e.getKey(), e.getValue()) ? old :
                new SealKey(e.getKey(), e.getValue(), RANDOM);
            installed.add(k);
            if (k.id() == sealingId)
            {
                sealing = k;
            }
        }
        if (sealingId != 0 && null == sealing)
        {
            throw new IllegalArgumentException("sealing key id " + sealingId + " not among " + material.keySet());
        }
        keys = new KeyRing(sealing, installed);
    }

    public KeyRing keys()
    {
        return keys;
    }

    public Vtep vtep()
    {
        return vtep;
    }

    public PeerSet peers()
    {
        return peers;
    }

    /**
     * Control thread: the VNI's remote endpoints from the cluster store (inner IP -> MAC and VTEP). Unicast to
     * those MACs goes straight to their VTEP without learning, and ARP requests for those IPs are answered by this
     * port instead of being flooded to the peers.
     */
    public void setRemoteEndpoints(final RemoteEndpoints remote)
    {
        endpoints = null == remote ? RemoteEndpoints.EMPTY : remote;
    }

    public RemoteEndpoints remoteEndpoints()
    {
        return endpoints;
    }

    /**
     * Control thread: the network's gateway address. Every host's router answers it with the same MAC
     * ({@link Routing#routerMac}), so frames to or from that MAC and ARP about that address stay on the host where
     * they start: never tunnelled, and dropped if a peer sends them (no host learns the router MAC as remote).
     */
    public void setLocalGateway(final int gatewayIp)
    {
        localGateway = gatewayIp;
    }

    /** Whether a frame ({@code eth}: its Ethernet header) belongs to this host's side of the anycast gateway. */
    boolean isLocalGatewayFrame(final DirectBuffer buffer, final int eth, final int frameLength)
    {
        final int gateway = localGateway;
        if (gateway == 0)
        {
            return false;
        }
        final long routerMac = Routing.routerMac(gateway);
        if (MacAddress.read(buffer, eth + EthernetHeader.DESTINATION_OFFSET) == routerMac ||
            MacAddress.read(buffer, eth + EthernetHeader.SOURCE_OFFSET) == routerMac)
        {
            return true;
        }
        return frameLength >= EthernetHeader.HEADER_LENGTH + ArpHeader.LENGTH &&
            (buffer.getShort(eth + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) ==
                EthernetHeader.ETHERTYPE_ARP &&
            buffer.getInt(eth + EthernetHeader.HEADER_LENGTH + ArpHeader.TPA_OFFSET, ByteOrder.BIG_ENDIAN) == gateway;
    }

    /**
     * RX thread: the peer with this underlay source address, or null. Remembers the last answer while the peer
     * snapshot is the same object (most traffic on a port comes from few peers, often in runs); a new snapshot from
     * {@link Vtep#setPeers} is looked up again, so a removed peer is refused at once.
     */
    RemoteVtep peerByIp(final int ip)
    {
        final PeerSet set = peers;
        if (set == rxPeers && ip == rxPeerIp)
        {
            return rxPeer;
        }
        final RemoteVtep peer = set.byIp(ip);
        if (null != peer)
        {
            rxPeers = set;
            rxPeerIp = ip;
            rxPeer = peer;
        }
        return peer;
    }

    void publishPeers(final PeerSet peerSet)
    {
        peers = peerSet;
    }

    RemoteMacTable macTable()
    {
        return macTable;
    }

    public String name()
    {
        return name;
    }

    public int fd()
    {
        return underlay.fd();
    }

    public int maxFrameLength()
    {
        return MAX_FRAME_LENGTH;
    }

    // ---------------------------------------------------------------- RX thread

    public int receive(final FrameHandler handler, final int limit)
    {
        int n = 0;
        if (!arpReplies.isEmpty())
        {
            stagedHandler = handler;
            n = arpReplies.drain(this, limit);
            stagedHandler = null;
        }
        if (n < limit && !staging.isEmpty())
        {
            stagedHandler = handler;
            n += staging.drain(this, limit - n);
            stagedHandler = null;
        }
        if (n < limit)
        {
            n += vtep.poll(this, handler, limit - n);
        }
        return n;
    }

    /** Staged frame -> the handler of the current receive call. */
    public void onFrame(final DirectBuffer buffer, final int index, final int length)
    {
        countRx(length - VnetHeader.LENGTH);
        stagedHandler.onFrame(buffer, index, length);
    }

    boolean stage(
        final DirectBuffer src, final int inner, final int innerLength, final int flags, final int gsoType,
        final int headerLength, final int gsoSize, final int csumStart, final int csumOffset)
    {
        final int index = staging.claim(innerLength + VnetHeader.LENGTH);
        if (index <= 0)
        {
            return false;
        }
        final MutableDirectBuffer b = staging.buffer();
        Vtep.writeVnetHeader(b, index, flags, gsoType, headerLength, gsoSize, csumStart, csumOffset);
        b.putBytes(index + VnetHeader.LENGTH, src, inner, innerLength);
        staging.commit(index);
        return true;
    }

    void countRx(final int innerLength)
    {
        rxFrames++;
        rxBytes += innerLength;
    }

    // ---------------------------------------------------------------- TX thread

    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        txFrames++;
        if (length < VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH)
        {
            txDrops[TxDrop.TOO_SHORT.ordinal()]++;
            return true;
        }
        final int eth = offset + VnetHeader.LENGTH;
        if (isLocalGatewayFrame(buffer, eth, length - VnetHeader.LENGTH))
        {
            txDrops[TxDrop.LOCAL_GATEWAY.ordinal()]++;
            return true;
        }
        // One 8-byte load starting with the destination MAC (the frame holds at least an Ethernet header).
        final long destination = buffer.getLong(eth + EthernetHeader.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN) >>> 16;
        final PeerSet peerSet = peers;
        final RemoteEndpoints remote = endpoints;
        RemoteVtep target = null;
        if (!MacAddress.isMulticast(destination))
        {
            // The cluster store's MAC -> VTEP first (it is authoritative and known before any frame), then learning.
            final int vtepIp = remote.vtepOf(destination);
            if (vtepIp != 0)
            {
                target = peerSet.byIp(vtepIp);
                txStaticUnicast += null != target ? 1 : 0;
            }
            if (null == target)
            {
                final int id = macTable.lookup(destination);
                if (id != RemoteMacTable.NONE)
                {
                    target = peerSet.byId(id);
                }
            }
        }
        else if (answerArp(buffer, eth, length - VnetHeader.LENGTH, remote))
        {
            return true;
        }
        if (null != target)
        {
            single[0] = target;
            destinations = single;
        }
        else
        {
            destinations = peerSet.flood();
            if (destinations.length == 0)
            {
                txDrops[TxDrop.NO_PEERS.ordinal()]++;
                return true;
            }
            txFlooded++;
        }
        sourcePort = FlowHash.sourcePort(buffer, eth, length - VnetHeader.LENGTH);
        underlayFull = false;
        sentAny = false;
        final TxDrop drop = framer.frame(buffer, offset, length, this);
        finishBatch();
        destinations = null;
        if (null != drop)
        {
            txDrops[drop.ordinal()]++;
            return true;
        }
        // "No room" only when nothing left because the underlay was full: the switch counts that as TX_FULL.
        return sentAny || !underlayFull;
    }

    /**
     * A broadcast ARP request for a remote endpoint's address: the reply is made here and handed to the switch as
     * if it came from the tunnel (so the switch learns that MAC behind this port); the request is not flooded.
     *
     * @return true when answered (the frame is consumed).
     */
    private boolean answerArp(final DirectBuffer buffer, final int eth, final int frameLength, final RemoteEndpoints remote)
    {
        if (frameLength < EthernetHeader.HEADER_LENGTH + ArpHeader.LENGTH ||
            (buffer.getShort(eth + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) !=
                EthernetHeader.ETHERTYPE_ARP)
        {
            return false;
        }
        final int arp = eth + EthernetHeader.HEADER_LENGTH;
        if ((buffer.getShort(arp + ArpHeader.HTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) != ArpHeader.HTYPE_ETHERNET ||
            (buffer.getShort(arp + ArpHeader.PTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) !=
                EthernetHeader.ETHERTYPE_IPV4 ||
            buffer.getByte(arp + ArpHeader.HLEN_OFFSET) != 6 || buffer.getByte(arp + ArpHeader.PLEN_OFFSET) != 4 ||
            (buffer.getShort(arp + ArpHeader.OPER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) != ArpHeader.OPER_REQUEST)
        {
            return false;
        }
        final int targetIp = buffer.getInt(arp + ArpHeader.TPA_OFFSET, ByteOrder.BIG_ENDIAN);
        final long targetMac = remote.macOf(targetIp);
        if (targetMac == RemoteEndpoints.NONE)
        {
            return false;
        }
        final long senderMac = MacAddress.read(buffer, arp + ArpHeader.SHA_OFFSET);
        final int senderIp = buffer.getInt(arp + ArpHeader.SPA_OFFSET, ByteOrder.BIG_ENDIAN);
        final UnsafeBuffer r = arpReply;
        r.setMemory(0, VnetHeader.LENGTH, (byte)0);
        final int re = VnetHeader.LENGTH;
        MacAddress.write(r, re + EthernetHeader.DESTINATION_OFFSET, MacAddress.read(buffer, eth + EthernetHeader.SOURCE_OFFSET));
        MacAddress.write(r, re + EthernetHeader.SOURCE_OFFSET, targetMac);
        r.putShort(re + EthernetHeader.TYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_ARP, ByteOrder.BIG_ENDIAN);
        final int ra = re + EthernetHeader.HEADER_LENGTH;
        r.putShort(ra + ArpHeader.HTYPE_OFFSET, (short)ArpHeader.HTYPE_ETHERNET, ByteOrder.BIG_ENDIAN);
        r.putShort(ra + ArpHeader.PTYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        r.putByte(ra + ArpHeader.HLEN_OFFSET, (byte)6);
        r.putByte(ra + ArpHeader.PLEN_OFFSET, (byte)4);
        r.putShort(ra + ArpHeader.OPER_OFFSET, (short)ArpHeader.OPER_REPLY, ByteOrder.BIG_ENDIAN);
        MacAddress.write(r, ra + ArpHeader.SHA_OFFSET, targetMac);
        r.putInt(ra + ArpHeader.SPA_OFFSET, targetIp, ByteOrder.BIG_ENDIAN);
        MacAddress.write(r, ra + ArpHeader.THA_OFFSET, senderMac);
        r.putInt(ra + ArpHeader.TPA_OFFSET, senderIp, ByteOrder.BIG_ENDIAN);
        if (!arpReplies.stage(r, 0, ARP_REPLY_LENGTH))
        {
            // Ring full: let the request take the normal (flooded) path rather than lose it.
            return false;
        }
        arpAnswered++;
        return true;
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
            txDrops[TxDrop.NEIGHBOUR_UNRESOLVED.ordinal()]++;
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
            txDrops[TxDrop.UNDERLAY_FULL.ordinal()]++;
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
            txDrops[TxDrop.NO_KEY.ordinal()]++;
            return;
        }
        final UnsafeBuffer out = sealed;
        out.putByte(OuterHeaders.VXLAN_OFFSET + SealedVxlan.KEY_ID_OFFSET, (byte)key.id());
        final int length = key.seal(scratch.byteArray(), OuterHeaders.INNER_OFFSET, innerLength, out.byteArray(),
            OuterHeaders.VXLAN_OFFSET);
        if (length < 0)
        {
            txDrops[TxDrop.SEAL_FAILED.ordinal()]++;
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
                Checksum.ipv4PseudoHeader(vtep.localIp(), peerIp, Ipv4Header.PROTOCOL_UDP, udpLength)),
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
            txDrops[TxDrop.UNDERLAY_FULL.ordinal()]++;
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
                txDrops[TxDrop.NEIGHBOUR_UNRESOLVED.ordinal()]++;
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
                txDrops[TxDrop.UNDERLAY_FULL.ordinal()]++;
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
                Checksum.ipv4PseudoHeader(vtep.localIp(), peerIp, Ipv4Header.PROTOCOL_UDP, udpLength) +
                Checksum.sumNative(s, udp, udpLength));
            s.putShort(udp + UdpHeader.CHECKSUM_OFFSET, (short)(c == 0 ? 0xFFFF : c), ByteOrder.BIG_ENDIAN);
        }
    }

    public int flush()
    {
        return underlay.flush();
    }

    // ---------------------------------------------------------------- stats (any thread; may be stale)

    public long txDrops(final TxDrop reason)
    {
        return txDrops[reason.ordinal()];
    }

    public Map<String, Long> txDropCounts()
    {
        final Map<String, Long> m = new LinkedHashMap<>();
        for (final TxDrop r : TxDrop.values())
        {
            m.put(r.label(), txDrops[r.ordinal()]);
        }
        return m;
    }

    /** Frames the switch offered. */
    public long txFrames()
    {
        return txFrames;
    }

    /** Encapsulated frames handed to the underlay (segments x destinations). */
    public long txOuterFrames()
    {
        return txOuterFrames;
    }

    /** Offers replicated to every peer (broadcast, multicast, unknown unicast). */
    public long txFlooded()
    {
        return txFlooded;
    }

    /** Unicast offers sent by the cluster store's static MAC -> VTEP entries. */
    public long txStaticUnicast()
    {
        return txStaticUnicast;
    }

    /** ARP requests for remote endpoints answered by this port (not flooded). */
    public long arpAnswered()
    {
        return arpAnswered;
    }

    /** Inner frames sealed (encrypted ports; once per frame, whatever the number of destinations). */
    public long txSealed()
    {
        return txSealed;
    }

    /** GSO segments produced. */
    /** UDP GSO super-datagrams sent (each several VXLAN datagrams, counted in txOuterFrames). */
    public long txUdpGsoFrames()
    {
        return txUdpGsoFrames;
    }

    public long txSegments()
    {
        return framer.segments();
    }

    public long rxFrames()
    {
        return rxFrames;
    }

    public long rxBytes()
    {
        return rxBytes;
    }

    /** Learned remote MACs (RX thread's view). */
    public int remoteMacCount()
    {
        return macTable.size();
    }

    /** Peer id a remote MAC was learned from, or 0. Any thread. */
    public int remoteMacPeer(final long mac)
    {
        return macTable.lookup(mac);
    }

    public List<RemoteVtep> peerList()
    {
        return peers.toList();
    }

    /** The peers broadcast, multicast and unknown unicast go to. */
    public List<RemoteVtep> floodList()
    {
        return peers.floodList();
    }

    /** Unregisters from the Vtep (the switch calls this after its agents let go of the port). */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            vtep.onPortClosed(this);
        }
    }

    public String toString()
    {
        return "VxlanTunnelPort{" + name + " vni=" + vni + (encrypted ? " encrypted" : "") + " peers=" + peers.size() + " tx=" + txFrames +
            " txOuter=" + txOuterFrames + " rx=" + rxFrames + " txDrops=" + txDropCounts() + '}';
    }
}
