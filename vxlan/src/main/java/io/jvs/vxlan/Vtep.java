package io.jvs.vxlan;

import io.jvs.dataplane.l3.Ipv4Addresses;

import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.PacketPort;
import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.PortFrameHandler;
import io.jvs.tap.SharedLink;
import io.jvs.tap.VnetHeader;
import io.jvs.tap.counters.CounterTable;
import io.jvs.tap.counters.CountersRegistry;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One host's VXLAN tunnel endpoint: the underlay AF_PACKET port it shares with the host, the peers and their
 * next hops, and one {@link VxlanTunnelPort} per VNI that plugs into a bridge domain of the switch exactly like a
 * Linux vxlan device sits in a bridge.
 * <pre>
 *                       switch RX thread                                    switch TX thread
 *  underlay --receive--> UnderlayReceiver.onFrame                           VxlanTunnelPort.offer
 *  (AF_PACKET,           |  VNI -> tunnel port -> its switch port id         | MAC -> peer (RemoteMacTable, store)
 *   TPACKET_V2; one      |  learn inner source MAC -> peer id                +--> Encapsulator: InnerFramer
 *   read per cycle for   |  inner frame --in place--> ReceiveAgent ring          (segment, csum), outer headers
 *   every VNI)           |    (msgTypeId = that port's id)                       --> underlay TX ring slot
 *                        |  ARP --> UnderlayArp: Neighbour.mac (volatile)
 *                        +  every 100 ms: ARP retries/refresh, MAC aging
 *  control thread: openPort, setPeers (PeerSet snapshot, volatile), ARP for new next hops (LinkSocket, write(2))
 * </pre>
 * The switch reads the Vtep as a {@link SharedLink}: once per duty cycle, whatever the number of VNIs, each inner
 * frame going straight into the switch's ring with its tunnel port's id ({@link VxlanTunnelPort#bindReceive}).
 * Threads: the Vtep is read ({@link #receive}) by one thread, which also binds its ports, and its tunnel ports are
 * fed ({@code offer}, {@code flush}) by one thread, which may be another (the switch's SHARED and DEDICATED modes
 * both fit). Configuration calls are synchronized and may allocate.
 * <p>
 * Next-hop MACs come from ARP done by jvs itself ({@link UnderlayArp}): requests go out as soon as a peer is
 * configured (and are retried every second until answered, refreshed every 30 s), replies are read off the underlay.
 * It keeps working when the kernel's neighbour entry expires or was never created (the kernel sends nothing to the
 * peers itself), and picks up a MAC change from the next reply or gratuitous ARP. The kernel keeps answering ARP for
 * the shared address, which is what peers need.
 */
public final class Vtep implements SharedLink, AutoCloseable
{
    public static final long HOUSEKEEPING_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    public static final long ARP_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    public static final long ARP_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** Remote MAC table slots examined per port per housekeeping round. */
    public static final int SWEEP_BUDGET = 1024;

    private final VtepConfig config;
    private final PacketPort underlay;
    private final long localMac;
    private final int localIp;
    private final int udpPort;
    private final ArpTransmitter arpSocket;
    private final UdpSink sink;
    private final UnderlayArp arp;
    private final UnderlayReceiver receiver;
    /** Where the Vtep's and its tunnel ports' counters are (the switch's registry in the daemon). */
    private final CountersRegistry counters;
    private final CounterTable rxDrops;
    private final CounterTable ignored;

    // Control state, guarded by this.
    private final Map<Integer, VxlanTunnelPort> ports = new TreeMap<>();
    private final Map<Integer, RemoteVtep> remotes = new HashMap<>();
    private final Map<Integer, Neighbour> neighbours = new HashMap<>();
    private int nextRemoteId = RemoteVtep.MIN_ID;
    private boolean closed;

    private Vtep(
        final VtepConfig config, final PacketPort underlay, final long localMac, final ArpTransmitter arp,
        final UdpSink sink, final CountersRegistry counters)
    {
        this.counters = counters;
        final String label = "vtep " + config.underlayInterface();
        this.rxDrops = counters.newRecord(RxDrop.class, label, config.localIp(), config.udpPort());
        this.ignored = counters.newRecord(RxIgnored.class, label, config.localIp(), config.udpPort());
        this.config = config;
        this.underlay = underlay;
        this.localMac = localMac;
        this.localIp = config.localIp();
        this.udpPort = config.udpPort();
        this.arpSocket = arp;
        this.sink = sink;
        this.arp = new UnderlayArp(arp, localMac, localIp);
        this.receiver = new UnderlayReceiver(underlay, this.arp, localIp, udpPort, rxDrops, ignored);
    }

    /**
     * Opens the underlay AF_PACKET port, the ARP socket and the UDP sink on the real interface. The interface's
     * MAC is read from sysfs; its MTU must hold inner MTU + 50. Counters go to {@code counters}.
     */
    public static Vtep open(final VtepConfig config, final CountersRegistry counters)
    {
        final String dev = config.underlayInterface();
        final long mac = MacAddress.parse(readSysfs(dev, "address"));
        final int mtu = Integer.parseInt(readSysfs(dev, "mtu"));
        if (mtu < config.innerMtu() + OuterHeaders.OVERHEAD)
        {
            throw new IllegalArgumentException("underlay " + dev + " mtu=" + mtu + " < inner MTU " +
                config.innerMtu() + " + " + OuterHeaders.OVERHEAD);
        }
        final List<AutoCloseable> opened = new ArrayList<>();
        try
        {
            final UdpSink sink = UdpSink.bind(config.localIp(), config.udpPort());
            opened.add(sink);
            final LinkSocket arp = LinkSocket.open(dev);
            opened.add(arp);
            final PacketSocketPort underlay = PacketSocketPort.open(dev, config.underlayRing());
            return new Vtep(config, underlay, mac, arp, sink, counters);
        }
        catch (final RuntimeException ex)
        {
            for (final AutoCloseable c : opened)
            {
                try
                {
                    c.close();
                }
                catch (final Exception suppressed)
                {
                    ex.addSuppressed(suppressed);
                }
            }
            throw ex;
        }
    }

    /** {@link #open(VtepConfig, CountersRegistry)} with counters of its own (tests). */
    public static Vtep open(final VtepConfig config)
    {
        return open(config, ownCounters());
    }

    /** A Vtep over any port (tests, benchmarks): no UDP sink, ARP through {@code arp}, counters of its own. */
    public static Vtep create(
        final VtepConfig config, final PacketPort underlay, final long localMac, final ArpTransmitter arp)
    {
        return new Vtep(config, underlay, localMac, arp, null, ownCounters());
    }

    /** Room for the Vtep's two records and a few hundred tunnel ports'. */
    private static CountersRegistry ownCounters()
    {
        return new CountersRegistry(512, 512 * 128);
    }

    private static String readSysfs(final String dev, final String attribute)
    {
        try
        {
            return Files.readString(Path.of("/sys/class/net", dev, attribute)).trim();
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read " + attribute + " of " + dev + ": " + ex, ex);
        }
    }

    public VtepConfig config()
    {
        return config;
    }

    public long localMac()
    {
        return localMac;
    }

    public int localIp()
    {
        return localIp;
    }

    PacketPort underlay()
    {
        return underlay;
    }

    // ---------------------------------------------------------------- control

    /** A tunnel port for the VNI, named "vx" + vni, with no peers yet. */
    public VxlanTunnelPort openPort(final int vni)
    {
        return openPort(vni, "vx" + vni, false);
    }

    public VxlanTunnelPort openPort(final int vni, final String name)
    {
        return openPort(vni, name, false);
    }

    /**
     * @param encrypted the VNI carries only sealed datagrams ({@link SealedVxlan}); nothing is sent until
     *                  {@link VxlanTunnelPort#setKeys} installs a key.
     */
    public synchronized VxlanTunnelPort openPort(final int vni, final String name, final boolean encrypted)
    {
        checkOpen();
        VxlanHeader.checkVni(vni);
        if (ports.containsKey(vni))
        {
            throw new IllegalArgumentException("vni " + vni + " already has port " + ports.get(vni).name());
        }
        if (null == name || name.isEmpty())
        {
            throw new IllegalArgumentException("name=" + name);
        }
        final VxlanTunnelPort port = new VxlanTunnelPort(
            this, vni, name, encrypted, counters.newRecord(TxDrop.class, name, vni, 0));
        ports.put(vni, port);
        publishPorts();
        return port;
    }

    /**
     * Replaces the VNI's peer VTEPs (head-end replication list and accepted sources). Applied to the data path
     * as one snapshot; learned MACs of removed peers stop being used at once and are swept within seconds.
     * ARP requests for new next hops leave immediately.
     */
    public void setPeers(final int vni, final Collection<Integer> peerIps)
    {
        setPeers(vni, peerIps, peerIps);
    }

    /**
     * Replaces the VNI's peer VTEPs, of which only {@code floodIps} get broadcast, multicast and unknown unicast
     * (the others are accepted as sources and reached by unicast to their known MACs).
     *
     * @param floodIps a subset of {@code peerIps}.
     */
    public synchronized void setPeers(final int vni, final Collection<Integer> peerIps,
        final Collection<Integer> floodIps)
    {
        checkOpen();
        final VxlanTunnelPort port = ports.get(vni);
        if (null == port)
        {
            throw new IllegalArgumentException("no tunnel port for vni " + vni);
        }
        final Map<Integer, RemoteVtep> byIp = new LinkedHashMap<>();
        for (final int ip : peerIps)
        {
            if (ip == localIp || ip == 0 || byIp.containsKey(ip))
            {
                throw new IllegalArgumentException("bad or duplicate peer " + Ipv4Addresses.format(ip) + " in " + peerIps);
            }
            byIp.put(ip, remote(ip));
        }
        final List<RemoteVtep> flood = new ArrayList<>();
        for (final int ip : floodIps)
        {
            final RemoteVtep r = byIp.get(ip);
            if (null == r || flood.contains(r))
            {
                throw new IllegalArgumentException("flood target " + Ipv4Addresses.format(ip) + " is not a peer, or twice");
            }
            flood.add(r);
        }
        final List<RemoteVtep> list = new ArrayList<>(byIp.values());
        port.publishPeers(new PeerSet(list, flood));
        collectUnused();
        final long now = System.nanoTime();
        for (final RemoteVtep r : list)
        {
            if (r.nextHop.mac == Neighbour.UNRESOLVED)
            {
                arp.request(r.nextHop, now);
            }
        }
    }

    /** Convenience for dotted quads. */
    public void setPeers(final int vni, final String... peerIps)
    {
        final List<Integer> ips = new ArrayList<>();
        for (final String ip : peerIps)
        {
            ips.add(Ipv4Addresses.parse(ip));
        }
        setPeers(vni, ips);
    }

    synchronized void onPortClosed(final VxlanTunnelPort port, final CounterTable txDrops)
    {
        counters.free(txDrops);
        if (ports.get(port.vni()) == port)
        {
            ports.remove(port.vni());
            publishPorts();
            collectUnused();
        }
    }

    private RemoteVtep remote(final int ip)
    {
        RemoteVtep r = remotes.get(ip);
        if (null == r)
        {
            final int hop = config.gateway() == 0 || Ipv4Addresses.sameNetwork(ip, localIp, config.prefixLength()) ?
                ip : config.gateway();
            Neighbour n = neighbours.get(hop);
            if (null == n)
            {
                n = new Neighbour(hop);
                neighbours.put(hop, n);
                publishNeighbours();
            }
            r = new RemoteVtep(allocateRemoteId(), ip, n);
            remotes.put(ip, r);
        }
        return r;
    }

    /** Ids are not reused until the range wraps, so a stale MAC entry does not point at a newer peer. */
    private int allocateRemoteId()
    {
        final Set<Integer> used = new HashSet<>();
        for (final RemoteVtep r : remotes.values())
        {
            used.add(r.id);
        }
        for (int n = 0; n < RemoteVtep.MAX_ID; n++)
        {
            final int id = RemoteVtep.MIN_ID + (nextRemoteId - RemoteVtep.MIN_ID + n) % RemoteVtep.MAX_ID;
            if (!used.contains(id))
            {
                nextRemoteId = id + 1 > RemoteVtep.MAX_ID ? RemoteVtep.MIN_ID : id + 1;
                return id;
            }
        }
        throw new IllegalArgumentException("no free peer id: at most " + RemoteVtep.MAX_ID + " peers");
    }

    private void collectUnused()
    {
        final Set<Integer> usedIps = new HashSet<>();
        for (final VxlanTunnelPort port : ports.values())
        {
            for (final RemoteVtep r : port.peers().toList())
            {
                usedIps.add(r.ip);
            }
        }
        remotes.keySet().retainAll(usedIps);
        final Set<Integer> usedHops = new HashSet<>();
        for (final RemoteVtep r : remotes.values())
        {
            usedHops.add(r.nextHop.ip);
        }
        if (neighbours.keySet().retainAll(usedHops))
        {
            publishNeighbours();
        }
    }

    private void publishPorts()
    {
        receiver.publishPorts(ports);
    }

    private void publishNeighbours()
    {
        arp.publish(neighbours);
    }

    /** Next hops and their MACs (control path). */
    public synchronized List<Neighbour> neighbours()
    {
        return List.copyOf(neighbours.values());
    }

    // ---------------------------------------------------------------- RX thread

    public String name()
    {
        return config.underlayInterface();
    }

    public int fd()
    {
        return underlay.fd();
    }

    /**
     * Reads up to {@code limit} underlay frames: each VNI's inner frames go to the handler with the id its tunnel
     * port was bound with ({@link VxlanTunnelPort#bindReceive}), decapsulated in place; ARP to the next hops.
     *
     * @return frames handed to the handler.
     */
    public int receive(final PortFrameHandler handler, final int limit)
    {
        return receiver.receive(handler, limit);
    }

    /** TCP segments received that went on inside coalesced GSO frames, and the frames they made. */
    public long rxCoalescedSegments()
    {
        return receiver.coalescedSegments();
    }

    public long rxCoalescedFrames()
    {
        return receiver.coalescedFrames();
    }

    /** The 10-byte virtio_net_hdr (little-endian fields) as one 8-byte and one 2-byte store. */
    static void writeVnetHeader(
        final MutableDirectBuffer b, final int at, final int flags, final int gsoType, final int headerLength,
        final int gsoSize, final int csumStart, final int csumOffset)
    {
        b.putLong(at + VnetHeader.FLAGS_OFFSET, (flags & 0xFF) | (gsoType & 0xFF) << 8 |
            (headerLength & 0xFFFFL) << 16 | (gsoSize & 0xFFFFL) << 32 | (csumStart & 0xFFFFL) << 48,
            ByteOrder.LITTLE_ENDIAN);
        b.putShort(at + VnetHeader.CSUM_OFFSET_OFFSET, (short)csumOffset, ByteOrder.LITTLE_ENDIAN);
    }

    // ---------------------------------------------------------------- stats (any thread; may be stale)

    public long rxDrops(final RxDrop reason)
    {
        return receiver.rxDrops(reason);
    }

    public long ignored(final RxIgnored reason)
    {
        return receiver.ignored(reason);
    }

    /** UDP GSO super-datagrams split into their VXLAN datagrams (from a VTEP on a veth underlay). */
    public long rxUdpGsoFrames()
    {
        return receiver.rxUdpGsoFrames();
    }

    /** Frames decapsulated (handed to the switch or dropped as {@link RxDrop#PORT_DETACHED}). */
    public long decapsulated()
    {
        return receiver.decapsulated();
    }

    /** Sealed datagrams that authenticated and were decrypted (included in {@link #decapsulated()}). */
    public long opened()
    {
        return receiver.opened();
    }

    /** Neighbour MACs learned or changed from ARP. */
    public long arpLearned()
    {
        return arp.learned();
    }

    public Map<String, Long> rxDropCounts()
    {
        return receiver.rxDropCounts();
    }

    public Map<String, Long> ignoredCounts()
    {
        return receiver.ignoredCounts();
    }

    // ---------------------------------------------------------------- lifecycle

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("vtep closed");
        }
    }

    /** Closes the underlay, ARP socket and UDP sink. Close (or let the switch close) the tunnel ports first. */
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        counters.free(rxDrops);
        counters.free(ignored);
        RuntimeException failure = null;
        for (final AutoCloseable c : new AutoCloseable[]{underlay, arpSocket, sink})
        {
            try
            {
                if (null != c)
                {
                    c.close();
                }
            }
            catch (final Exception ex)
            {
                if (null == failure)
                {
                    failure = new IllegalStateException("closing vtep on " + config.underlayInterface(), ex);
                }
                else
                {
                    failure.addSuppressed(ex);
                }
            }
        }
        if (null != failure)
        {
            throw failure;
        }
    }

    public String toString()
    {
        return "Vtep{" + config.underlayInterface() + ' ' + Ipv4Addresses.format(localIp) + ':' + udpPort + " mac=" +
            MacAddress.toString(localMac) + " vnis=" + receiver.portCount() + " decap=" + decapsulated() + " drops=" +
            rxDropCounts() + '}';
    }
}
