package io.jvs.vxlan;

import io.jvs.dataplane.Routing;
import io.jvs.dataplane.parse.ArpHeader;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import io.jvs.tap.SharedLinkPort;
import io.jvs.tap.TxClaim;
import io.jvs.tap.VnetHeader;
import io.jvs.tap.counters.CounterTable;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One VNI as a switch port: a virtual {@link PacketPort} that the switch treats like any other (it learns the
 * remote MACs behind it, floods to it), the way a Linux vxlan device is enslaved to a bridge.
 * <ul>
 *   <li>{@link #offer}: the inner destination MAC is looked up in the cluster store's endpoints, then in this VNI's
 *       {@link RemoteMacTable}; a hit whose peer is still configured sends to that VTEP, anything else (broadcast,
 *       multicast, unknown unicast) is replicated head-end to every flood peer of the {@link PeerSet}. The
 *       {@link Encapsulator} frames it ({@link TxClaim}: built in the underlay's TX slot for one destination).</li>
 *   <li>Receiving: the switch reads the {@link Vtep} as this port's {@link #sharedLink()}; it hands this VNI's
 *       frames over with the id bound by {@link #bindReceive}. The port's own {@link #receive} only hands over
 *       the ARP replies it made for remote endpoints on the TX thread ({@link RemoteArpResponder}).</li>
 *   <li>{@link #fd}: the underlay socket (the switch polls it as the Vtep's).</li>
 *   <li>An encrypted port ({@link Vtep#openPort(int, String, boolean)}) seals each inner frame with the
 *       {@link KeyRing}'s sealing key ({@link SealedVxlan} layout); its inner MTU is the Vtep's minus
 *       {@link SealedVxlan#OVERHEAD}.</li>
 * </ul>
 * Threads as {@link PacketPort} says; peers change through {@link Vtep#setPeers} (a volatile snapshot).
 */
public final class VxlanTunnelPort implements SharedLinkPort
{
    /** A 64 KB GSO frame with Ethernet, two VLAN tags and the vnet header. */
    public static final int MAX_FRAME_LENGTH = VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH +
        2 * EthernetHeader.VLAN_TAG_LENGTH + 0xFFFF;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Vtep vtep;
    private final int vni;
    private final boolean encrypted;
    private final String name;
    private final PacketPort underlay;
    private final RemoteMacTable macTable;
    private final Encapsulator encapsulator;
    private final RemoteArpResponder arp = new RemoteArpResponder(this);
    private final RemoteVtep[] single = new RemoteVtep[1];

    private volatile PeerSet peers = PeerSet.EMPTY;
    private volatile RemoteEndpoints endpoints = RemoteEndpoints.EMPTY;
    /** The network's gateway address, answered by this host's router (an anycast gateway); 0: none. */
    private volatile int localGateway;
    private volatile KeyRing keys = KeyRing.EMPTY;
    private volatile boolean closed;

    // TX thread.
    /** One {@link TxDrop} record in the counters registry (key: the VNI). */
    private final CounterTable txDrops;
    private long txFrames;
    private long txFlooded;
    private long txStaticUnicast;

    // RX thread.
    /** The id the switch's receive side knows this port by, or UNBOUND. */
    private int receiveId = UNBOUND;
    /** The last source looked up by {@link #peerByIp}, its peer, and the snapshot they came from. */
    private PeerSet rxPeers;
    private int rxPeerIp;
    private RemoteVtep rxPeer;
    private long rxFrames;
    private long rxBytes;

    VxlanTunnelPort(
        final Vtep vtep, final int vni, final String name, final boolean encrypted, final CounterTable txDrops)
    {
        this.txDrops = txDrops;
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
        this.encrypted = encrypted;
        this.encapsulator = new Encapsulator(vtep, vni, innerMtu(config, encrypted), encrypted, txDrops);
    }

    /** Largest inner IP packet of a port: the Vtep's, less the nonce and tag on an encrypted VNI. */
    public static int innerMtu(final VtepConfig config, final boolean encrypted)
    {
        return config.innerMtu() - (encrypted ? SealedVxlan.OVERHEAD : 0);
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

    public Vtep sharedLink()
    {
        return vtep;
    }

    public void bindReceive(final int portId)
    {
        receiveId = portId;
    }

    int receiveId()
    {
        return receiveId;
    }

    /** The ARP replies this port made for remote endpoints; its frames off the underlay come through the Vtep. */
    public int receive(final FrameHandler handler, final int limit)
    {
        return arp.drain(handler, limit);
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
            txDrops.incrementCounter(0, TxDrop.TOO_SHORT.ordinal());
            return true;
        }
        final int eth = offset + VnetHeader.LENGTH;
        if (isLocalGatewayFrame(buffer, eth, length - VnetHeader.LENGTH))
        {
            txDrops.incrementCounter(0, TxDrop.LOCAL_GATEWAY.ordinal());
            return true;
        }
        // One 8-byte load starting with the destination MAC (the frame holds at least an Ethernet header).
        final long destination = buffer.getLong(eth + EthernetHeader.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN) >>> 16;
        final PeerSet peerSet = peers;
        final RemoteEndpoints remote = endpoints;
        RemoteVtep target = null;
        final RemoteVtep[] destinations;
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
        else if (arp.answer(buffer, eth, length - VnetHeader.LENGTH, remote))
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
                txDrops.incrementCounter(0, TxDrop.NO_PEERS.ordinal());
                return true;
            }
            txFlooded++;
        }
        return encapsulator.send(destinations, keys, buffer, offset, length);
    }

    public int flush()
    {
        return underlay.flush();
    }

    // ---------------------------------------------------------------- stats (any thread; may be stale)

    public long txDrops(final TxDrop reason)
    {
        return txDrops.get(0, reason);
    }

    /** From the registry: label to value in declaration order. */
    public Map<String, Long> txDropCounts()
    {
        return txDrops.values(0);
    }

    /** Frames the switch offered. */
    public long txFrames()
    {
        return txFrames;
    }

    /** Encapsulated frames handed to the underlay (segments x destinations). */
    public long txOuterFrames()
    {
        return encapsulator.txOuterFrames();
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
        return arp.answered();
    }

    /** Inner frames sealed (encrypted ports; once per frame, whatever the number of destinations). */
    public long txSealed()
    {
        return encapsulator.txSealed();
    }

    /** UDP GSO super-datagrams sent (each several VXLAN datagrams, counted in txOuterFrames). */
    public long txUdpGsoFrames()
    {
        return encapsulator.txUdpGsoFrames();
    }

    /** GSO segments produced. */
    public long txSegments()
    {
        return encapsulator.txSegments();
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
            vtep.onPortClosed(this, txDrops);
        }
    }

    public String toString()
    {
        return "VxlanTunnelPort{" + name + " vni=" + vni + (encrypted ? " encrypted" : "") + " peers=" + peers.size() + " tx=" + txFrames +
            " txOuter=" + txOuterFrames() + " rx=" + rxFrames + " txDrops=" + txDropCounts() + '}';
    }
}
