package io.jvs.vxlan;

import io.jvs.dataplane.l3.Ipv4Addresses;
import io.jvs.dataplane.l3.Checksum;
import io.jvs.dataplane.parse.ArpHeader;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.parse.UdpHeader;
import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
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
 *                      switch RX thread                                  switch TX thread
 *  underlay --receive--> Vtep.onFrame (this port's VNI)  --in place--> handler (ReceiveAgent)
 *  (AF_PACKET,           |  other VNI --copy--> that port's staging ring, drained by its receive()
 *   TPACKET_V2)          |  ARP reply  --> Neighbour.mac (volatile)          VxlanTunnelPort.offer
 *                        |  learn inner source MAC -> peer id (RemoteMacTable) --> InnerFramer (segment, csum)
 *                        +  every 100 ms: ARP retries/refresh, MAC aging          --> outer headers --> underlay.offer
 *  control thread: openPort, setPeers (PeerSet snapshot, volatile), ARP for new next hops (LinkSocket, write(2))
 * </pre>
 * Threads: every tunnel port of one Vtep must be polled ({@code receive}) by one thread and fed ({@code offer},
 * {@code flush}) by one thread, which may be another (the switch's SHARED and DEDICATED modes both fit).
 * Configuration calls are synchronized and may allocate.
 * <p>
 * Next-hop MACs come from ARP done by jvs itself: requests go out as soon as a peer is configured (and are retried
 * every second until answered, refreshed every 30 s), replies are read off the underlay. It keeps working when the
 * kernel's neighbour entry expires or was never created (the kernel sends nothing to the peers itself), and
 * picks up a MAC change from the next reply or gratuitous ARP. The kernel keeps answering ARP for the shared
 * address, which is what peers need.
 */
public final class Vtep implements FrameHandler, AutoCloseable
{
    public static final long HOUSEKEEPING_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    public static final long ARP_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    public static final long ARP_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** Remote MAC table slots examined per port per housekeeping round. */
    public static final int SWEEP_BUDGET = 1024;
    /** Polls per clock read (power of two). */
    static final int CLOCK_POLLS = 16;
    static final int ARP_FRAME_LENGTH = 60;
    static final int MAX_RX_FRAME = VnetHeader.LENGTH + 0x1_0000 + 64;
    /** The 8 bytes ending with the outer IPv4 header's first two: the EtherType at bits 31..16, version/IHL 15..8. */
    static final int ETHERNET_TYPE_WORD_OFFSET = EthernetHeader.TYPE_OFFSET - 4;

    private final VtepConfig config;
    private final PacketPort underlay;
    private final long localMac;
    private final int localIp;
    private final int udpPort;
    private final ArpTransmitter arp;
    private final UdpSink sink;
    private final UnsafeBuffer arpFrame = new UnsafeBuffer(new byte[ARP_FRAME_LENGTH]);
    private final UnsafeBuffer rxCopy = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_RX_FRAME));
    /** Merges a batch's in-order TCP segments of one flow into one GSO frame for the port being polled. */
    private final TcpCoalescer coalescer = new TcpCoalescer();
    /** RX thread: a sealed payload copied out of the ring (javax.crypto works on arrays), and its opened frame. */
    private final byte[] rxSealed = new byte[MAX_RX_FRAME];
    private final UnsafeBuffer rxOpened = new UnsafeBuffer(new byte[MAX_RX_FRAME]);

    // Control state, guarded by this.
    private final Map<Integer, VxlanTunnelPort> ports = new TreeMap<>();
    private final Map<Integer, RemoteVtep> remotes = new HashMap<>();
    private final Map<Integer, Neighbour> neighbours = new HashMap<>();
    private int nextRemoteId = RemoteVtep.MIN_ID;
    private boolean closed;

    // Published to the data path.
    private volatile IntIndex<VxlanTunnelPort> portsByVni = IntIndex.empty();
    private volatile VxlanTunnelPort[] portList = new VxlanTunnelPort[0];
    private volatile IntIndex<Neighbour> neighboursByIp = IntIndex.empty();
    private volatile Neighbour[] neighbourList = new Neighbour[0];

    // RX thread.
    private VxlanTunnelPort currentPort;
    private FrameHandler currentHandler;
    private int delivered;
    private long rxNanos;
    private long polls;
    private long lastHousekeeping = Long.MIN_VALUE / 2;
    private final long[] rxDrops = new long[RxDrop.values().length];
    private final long[] ignored = new long[RxIgnored.values().length];
    private long decapsulated;
    private long rxUdpGsoFrames;
    private long opened;
    private long arpLearned;
    /** RX thread: the last VNI looked up, its port, and the index snapshot they came from ({@link #portOf}). */
    private IntIndex<VxlanTunnelPort> rxPortIndex;
    private int rxVni = -1;
    private VxlanTunnelPort rxPort;

    private Vtep(
        final VtepConfig config, final PacketPort underlay, final long localMac, final ArpTransmitter arp,
        final UdpSink sink)
    {
        this.config = config;
        this.underlay = underlay;
        this.localMac = localMac;
        this.localIp = config.localIp();
        this.udpPort = config.udpPort();
        this.arp = arp;
        this.sink = sink;
    }

    /**
     * Opens the underlay AF_PACKET port, the ARP socket and the UDP sink on the real interface. The interface's
     * MAC is read from sysfs; its MTU must hold inner MTU + 50.
     */
    public static Vtep open(final VtepConfig config)
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
            return new Vtep(config, underlay, mac, arp, sink);
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

    /** A Vtep over any port (tests, benchmarks): no UDP sink, ARP through {@code arp}. */
    public static Vtep create(
        final VtepConfig config, final PacketPort underlay, final long localMac, final ArpTransmitter arp)
    {
        return new Vtep(config, underlay, localMac, arp, null);
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
        final VxlanTunnelPort port = new VxlanTunnelPort(this, vni, name, encrypted);
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
                requestArp(r.nextHop, now);
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

    synchronized void onPortClosed(final VxlanTunnelPort port)
    {
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
        portsByVni = new IntIndex<>(new LinkedHashMap<>(ports));
        portList = ports.values().toArray(new VxlanTunnelPort[0]);
    }

    private void publishNeighbours()
    {
        neighboursByIp = new IntIndex<>(new LinkedHashMap<>(neighbours));
        neighbourList = neighbours.values().toArray(new Neighbour[0]);
    }

    /** Next hops and their MACs (control path). */
    public synchronized List<Neighbour> neighbours()
    {
        return List.copyOf(neighbours.values());
    }

    private void requestArp(final Neighbour n, final long now)
    {
        if (null == arp)
        {
            return;
        }
        synchronized (arpFrame)
        {
            n.requestedNanos = now;
            n.requestedOnce = true;
            final UnsafeBuffer f = arpFrame;
            f.setMemory(0, ARP_FRAME_LENGTH, (byte)0);
            MacAddress.write(f, EthernetHeader.DESTINATION_OFFSET, MacAddress.BROADCAST);
            MacAddress.write(f, EthernetHeader.SOURCE_OFFSET, localMac);
            f.putShort(EthernetHeader.TYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_ARP, ByteOrder.BIG_ENDIAN);
            final int a = EthernetHeader.HEADER_LENGTH;
            f.putShort(a + ArpHeader.HTYPE_OFFSET, (short)ArpHeader.HTYPE_ETHERNET, ByteOrder.BIG_ENDIAN);
            f.putShort(a + ArpHeader.PTYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
            f.putByte(a + ArpHeader.HLEN_OFFSET, (byte)MacAddress.LENGTH);
            f.putByte(a + ArpHeader.PLEN_OFFSET, (byte)4);
            f.putShort(a + ArpHeader.OPER_OFFSET, (short)ArpHeader.OPER_REQUEST, ByteOrder.BIG_ENDIAN);
            MacAddress.write(f, a + ArpHeader.SHA_OFFSET, localMac);
            f.putInt(a + ArpHeader.SPA_OFFSET, localIp, ByteOrder.BIG_ENDIAN);
            f.putInt(a + ArpHeader.TPA_OFFSET, n.ip, ByteOrder.BIG_ENDIAN);
            arp.send(f, 0, ARP_FRAME_LENGTH);
        }
    }

    // ---------------------------------------------------------------- RX thread

    /**
     * Polls the underlay for up to {@code limit} frames on behalf of {@code port}: its frames go to the handler
     * (decapsulated in place), other VNIs' frames to their staging rings, ARP to the neighbour table.
     *
     * @return frames handed to the handler.
     */
    int poll(final VxlanTunnelPort port, final FrameHandler handler, final int limit)
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
        currentPort = port;
        currentHandler = handler;
        delivered = 0;
        final long handedBefore = coalescer.handed();
        try
        {
            underlay.receive(this, limit);
        }
        finally
        {
            coalescer.flush(handler); // a held frame never outlives the batch (nor the port it was for)
            currentPort = null;
            currentHandler = null;
        }
        return delivered + (int)(coalescer.handed() - handedBefore);
    }

    /** TCP segments received that went on inside coalesced GSO frames, and the frames they made. */
    public long rxCoalescedSegments()
    {
        return coalescer.coalesced();
    }

    public long rxCoalescedFrames()
    {
        return coalescer.flushedFrames();
    }

    private void housekeeping(final long now)
    {
        for (final Neighbour n : neighbourList)
        {
            final boolean retry = !n.requestedOnce || now - n.requestedNanos >= ARP_RETRY_NANOS;
            if (retry && (n.mac == Neighbour.UNRESOLVED || now - n.confirmedNanos >= ARP_REFRESH_NANOS))
            {
                requestArp(n, now);
            }
        }
        for (final VxlanTunnelPort port : portList)
        {
            port.macTable().sweep(now, port.peers(), SWEEP_BUDGET);
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
            if (length >= VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH + ArpHeader.LENGTH && isArp(buffer, eth))
            {
                onArp(buffer, eth + EthernetHeader.HEADER_LENGTH);
            }
            else
            {
                ignored[RxIgnored.NOT_IPV4.ordinal()]++;
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
                ignored[RxIgnored.NOT_IPV4.ordinal()]++;
            }
            return;
        }
        final int ip = eth + EthernetHeader.HEADER_LENGTH;
        final int destination = buffer.getInt(ip + Ipv4Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        if (destination != localIp)
        {
            ignored[RxIgnored.NOT_LOCAL.ordinal()]++;
            return;
        }
        final long ip8 = buffer.getLong(ip + Ipv4Header.TTL_OFFSET, ByteOrder.BIG_ENDIAN);
        if ((int)(ip8 >>> 48 & 0xFF) != Ipv4Header.PROTOCOL_UDP)
        {
            ignored[RxIgnored.NOT_UDP.ordinal()]++;
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
                ignored[RxIgnored.LATER_FRAGMENT.ordinal()]++;
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
            ignored[RxIgnored.OTHER_UDP_PORT.ordinal()]++;
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
     * anycast gateway, then handed to the switch (the current port's, in place where the buffer allows) or staged
     * for its own port.
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

        if (port == currentPort)
        {
            if (flags != 0 || innerGso != VnetHeader.GSO_NONE)
            {
                coalescer.flush(currentHandler); // a frame it cannot take goes on after the held one
            }
            else if (coalescer.offer(buffer, inner, innerLength, currentHandler))
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
            writeVnetHeader(target, at, flags, innerGso, headerLength, gsoSize, csumStart, csumOffset);
            delivered++;
            port.countRx(innerLength);
            currentHandler.onFrame(target, at, innerLength + VnetHeader.LENGTH);
        }
        else if (!port.stage(buffer, inner, innerLength, flags, innerGso, headerLength, gsoSize, csumStart,
            csumOffset))
        {
            drop(RxDrop.STAGING_FULL);
        }
    }

    /**
     * A sealed datagram for an encrypted VNI: authenticated and decrypted before anything in it is used (learning
     * included), then delivered or staged like a plain one. Every failure is a named drop.
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

    private static boolean isArp(final DirectBuffer buffer, final int eth)
    {
        return (buffer.getShort(eth + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) ==
            EthernetHeader.ETHERTYPE_ARP;
    }

    private void onArp(final DirectBuffer buffer, final int arpOffset)
    {
        ignored[RxIgnored.ARP.ordinal()]++;
        if ((buffer.getShort(arpOffset + ArpHeader.HTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) !=
            ArpHeader.HTYPE_ETHERNET ||
            (buffer.getShort(arpOffset + ArpHeader.PTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) !=
            EthernetHeader.ETHERTYPE_IPV4 ||
            buffer.getByte(arpOffset + ArpHeader.HLEN_OFFSET) != MacAddress.LENGTH ||
            buffer.getByte(arpOffset + ArpHeader.PLEN_OFFSET) != 4)
        {
            return;
        }
        final int op = buffer.getShort(arpOffset + ArpHeader.OPER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int senderIp = buffer.getInt(arpOffset + ArpHeader.SPA_OFFSET, ByteOrder.BIG_ENDIAN);
        final int targetIp = buffer.getInt(arpOffset + ArpHeader.TPA_OFFSET, ByteOrder.BIG_ENDIAN);
        // Replies, requests for us, and gratuitous ARP: what Linux would use to update an existing entry.
        if (op != ArpHeader.OPER_REPLY && targetIp != localIp && targetIp != senderIp)
        {
            return;
        }
        final Neighbour n = neighboursByIp.get(senderIp);
        final long mac = MacAddress.read(buffer, arpOffset + ArpHeader.SHA_OFFSET);
        if (null != n && MacAddress.isValidSource(mac))
        {
            if (n.mac != mac)
            {
                n.mac = mac;
                arpLearned++;
            }
            n.confirmedNanos = rxNanos;
        }
        // A peer asking for our address may not know our MAC. Its own host's kernel answers its request, but a
        // kernel does not answer one sent from an address it owns itself (two VTEPs' underlays in one namespace):
        // a request back lets the peer learn ours from that instead of waiting for our next refresh.
        if (null != n && op == ArpHeader.OPER_REQUEST && targetIp == localIp)
        {
            requestArpBack(n, rxNanos);
        }
    }

    private void requestArpBack(final Neighbour n, final long now)
    {
        synchronized (arpFrame)
        {
            if (n.requestedBackOnce && now - n.requestedBackNanos < ARP_RETRY_NANOS)
            {
                return; // a peer flooding requests gets at most one back per retry interval
            }
            n.requestedBackOnce = true;
            n.requestedBackNanos = now;
        }
        requestArp(n, now);
    }

    private void drop(final RxDrop reason)
    {
        rxDrops[reason.ordinal()]++;
    }

    // ---------------------------------------------------------------- stats (any thread; may be stale)

    public long rxDrops(final RxDrop reason)
    {
        return rxDrops[reason.ordinal()];
    }

    public long ignored(final RxIgnored reason)
    {
        return ignored[reason.ordinal()];
    }

    /** UDP GSO super-datagrams split into their VXLAN datagrams (from a VTEP on a veth underlay). */
    public long rxUdpGsoFrames()
    {
        return rxUdpGsoFrames;
    }

    /** Frames decapsulated (delivered or staged). */
    public long decapsulated()
    {
        return decapsulated;
    }

    /** Sealed datagrams that authenticated and were decrypted (included in {@link #decapsulated()}). */
    public long opened()
    {
        return opened;
    }

    /** Neighbour MACs learned or changed from ARP. */
    public long arpLearned()
    {
        return arpLearned;
    }

    public Map<String, Long> rxDropCounts()
    {
        final Map<String, Long> m = new LinkedHashMap<>();
        for (final RxDrop r : RxDrop.values())
        {
            m.put(r.label(), rxDrops[r.ordinal()]);
        }
        return m;
    }

    public Map<String, Long> ignoredCounts()
    {
        final Map<String, Long> m = new LinkedHashMap<>();
        for (final RxIgnored r : RxIgnored.values())
        {
            m.put(r.label(), ignored[r.ordinal()]);
        }
        return m;
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
        RuntimeException failure = null;
        for (final AutoCloseable c : new AutoCloseable[]{underlay, arp, sink})
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
            MacAddress.toString(localMac) + " vnis=" + portList.length + " decap=" + decapsulated + " drops=" +
            rxDropCounts() + '}';
    }
}
