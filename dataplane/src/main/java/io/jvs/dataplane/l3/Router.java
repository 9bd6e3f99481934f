package io.jvs.dataplane.l3;

import io.jvs.dataplane.engine.L3Handler;
import io.jvs.dataplane.engine.L3Output;
import io.jvs.dataplane.engine.SwitchCounters;
import io.jvs.dataplane.nat.ConnState;
import io.jvs.dataplane.nat.ConnTable;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.nat.NatEntry;
import io.jvs.dataplane.nat.PortAllocator;
import io.jvs.dataplane.nat.PublishedPorts;
import io.jvs.dataplane.parse.ArpHeader;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.FrameParser;
import io.jvs.dataplane.parse.IcmpHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.parse.ParseResult;
import io.jvs.dataplane.parse.TcpHeader;
import io.jvs.dataplane.parse.UdpHeader;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The IPv4 router and NAT of the switch. Runs on the forwarding thread; no allocation, no locks per packet.
 * <p>
 * Interfaces, by index:
 * <pre>
 *   0                  UPLINK  routed port (AF_PACKET on an outside interface), address answered by ARP here;
 *                              everything leaving through it from a network is source-NATed to that address
 *   1 .. 4095          LEG     one per bridge domain with a gateway (index = bridge domain id): a virtual port
 *                              in the domain whose MAC is static in the MAC table; owns the gateway IP
 *   4096               HOST    routed port (a TAP in the host namespace): the host reaches the networks
 *                              through it (routes via the router's address on that link), containers the host
 *
 *   from      to                     what happens
 *   LEG       outside (uplink)       SNAT (masquerade) to the uplink address; not for --internal networks
 *   LEG       HOST link              routed as is
 *   LEG       other LEG              dropped (networks are isolated, as Docker does)
 *   HOST      LEG                    routed as is (internal networks too)
 *   any       uplink/host address    published port -> DNAT to the container (from a LEG also SNAT: hairpin)
 *   any       router address         ICMP echo answered; anything else dropped
 *   UPLINK    anything else          dropped unless it belongs to a tracked connection
 * </pre>
 * Per IPv4 packet: parse; a TCP/UDP/ICMP-echo packet of a tracked connection is translated (addresses, ports,
 * RFC 1624 checksum updates, CHECKSUM_PARTIAL aware) and routed; ICMP errors about a tracked connection are
 * translated back to the inner flow; else the table above. Routing decrements the TTL, resolves the next hop by
 * ARP (up to {@link #PENDING_SLOTS} packets wait for an answer) and rewrites the Ethernet header. TTL expiry, no
 * route, failed ARP, UDP to a router address and DF packets over the egress MTU get ICMP errors
 * ({@link IcmpErrors}, RFC 1812 rules, rate-limited), sent back out of the ingress interface.
 * <p>
 * Configuration methods ({@code addLeg}, {@code publish}, ...) must run on the forwarding thread too (as
 * commands); they may allocate.
 */
public final class Router implements L3Handler
{
    public static final int UPLINK = 0;
    public static final int HOST = SwitchCounters.MAX_BRIDGE_DOMAINS;
    static final int INTERFACES = HOST + 1;

    public static final int PENDING_SLOTS = 64;
    /** Packets longer than this ([vnet hdr][frame]) are not held while resolving; they are dropped. */
    public static final int PENDING_SLOT_LENGTH = 2048;
    public static final long ARP_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    public static final int ARP_MAX_REQUESTS = 3;
    public static final long PENDING_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(3);
    public static final int NEIGHBOUR_CAPACITY = 16384;
    public static final int LOCAL_TTL = 64;
    /** Egress MTU of an interface until set from the device ({@link #setMtu}); legs keep it (Docker's default). */
    public static final int DEFAULT_MTU = 1500;
    /** RFC 791: every IPv4 module must forward 68 bytes unfragmented. */
    public static final int MIN_MTU = 68;
    /** Linux's defaults: net.ipv4.icmp_msgs_per_sec 1000, icmp_msgs_burst 50. */
    public static final int ICMP_ERRORS_PER_SECOND = 1000;
    public static final int ICMP_ERRORS_BURST = 50;
    /** ARP frame: Ethernet 14 + ARP 28, padded to the 60-byte Ethernet minimum. */
    static final int ARP_FRAME_LENGTH = 60;

    /** Frames queued ({@link #queueFrame}) before {@link #endBatch()} handles them; more end the batch early. */
    public static final int MAX_BATCH = 64;
    /**
     * Below this many connections the table stays in the caches and the batch lookups cost more than they save
     * (2-core Xeon VM, ns per packet, batch with lookups vs one call per packet: 82 vs 77 at 30k connections, 88 vs
     * 96 at 60k, 87 vs 114 at 100k; at 1k the lookup passes add ~10 to a batch).
     */
    public static final int BATCH_LOOKUP_MIN_CONNECTIONS = 32768;

    static final int ICMP_DEST_UNREACHABLE = 3;
    static final int ICMP_TIME_EXCEEDED = 11;
    static final int ICMP_PARAMETER_PROBLEM = 12;

    private final NatConfig natConfig;
    private final RouterCounters counters;
    private final FrameParser parser = new FrameParser();
    private final ConnTable conns;
    private final PortAllocator allocator;
    private final PublishedPorts published = new PublishedPorts();
    private final NeighbourTable neighbours = new NeighbourTable(NEIGHBOUR_CAPACITY);
    private final ConnTable.ExpiredHandler onExpired = this::onExpired;
    private final NeighbourTable.Prober prober = this::probe;
    private final IcmpErrors icmpErrors = new IcmpErrors();
    private final TokenBucket icmpLimiter = new TokenBucket(ICMP_ERRORS_PER_SECOND, ICMP_ERRORS_BURST);
    /** Interface of the packet being processed: ICMP errors about it leave there, from its address. */
    private int ingress;
    private L3Output output;
    private long now;

    private final int[] ifPort = new int[INTERFACES];
    private final long[] ifMac = new long[INTERFACES];
    private final int[] ifIp = new int[INTERFACES];
    private final int[] ifMask = new int[INTERFACES];
    private final boolean[] ifInternal = new boolean[INTERFACES];
    private final int[] ifMtu = new int[INTERFACES];
    private int[] legs = new int[0];
    private int uplinkGateway;
    private final int[] portIface = new int[SwitchCounters.MAX_PORTS];

    private final UnsafeBuffer arpFrame = new UnsafeBuffer(new byte[VnetHeader.LENGTH + ARP_FRAME_LENGTH]);
    private final UnsafeBuffer pendingFrames = new UnsafeBuffer(new byte[PENDING_SLOTS * PENDING_SLOT_LENGTH]);
    private final int[] pendingIface = new int[PENDING_SLOTS];
    private final int[] pendingIngress = new int[PENDING_SLOTS];
    private final int[] pendingIp = new int[PENDING_SLOTS];
    private final int[] pendingLength = new int[PENDING_SLOTS];
    private final long[] pendingDeadline = new long[PENDING_SLOTS];
    private int pendingCount;

    private final boolean[] batchRouted = new boolean[MAX_BATCH];
    private final int[] batchPort = new int[MAX_BATCH];
    /** Not cleared after a batch (the forwarding agent's frames are all in its ring buffer, which lives on). */
    private final MutableDirectBuffer[] batchBuffer = new MutableDirectBuffer[MAX_BATCH];
    private final int[] batchOffset = new int[MAX_BATCH];
    private final int[] batchLength = new int[MAX_BATCH];
    private final long[] batchKeyA = new long[MAX_BATCH];
    private final long[] batchKeyB = new long[MAX_BATCH];
    private final int[] batchHandle = new int[MAX_BATCH];
    private final long[] batchScratch = new long[MAX_BATCH];
    private int batchCount;
    /** The batch's frame being handled (its lookup may be reused), else -1. */
    private int batchCurrent = -1;
    /** {@link ConnTable#changes()} when the batch's lookups were made. */
    private int batchChanges;
    private int batchLookupMinConnections = BATCH_LOOKUP_MIN_CONNECTIONS;
    /**
     * The two counters every forwarded packet bumps, added up in plain fields and published ({@link #publishCounts})
     * once per batch, per single frame and per duty cycle: each {@link RouterCounters} write is a release store.
     */
    private long routed;
    private long translated;
    private boolean inBatch;
    /** Forwarding thread: what {@link #loadReverse} read last. */
    private int reverseSrc;
    private int reverseDst;
    private int reverseSport;
    private int reverseDport;

    public Router(final NatConfig natConfig, final RouterCounters counters)
    {
        natConfig.validate();
        this.natConfig = natConfig;
        this.counters = counters;
        this.conns = new ConnTable(natConfig.capacity(), natConfig.accounting());
        this.allocator = new PortAllocator(natConfig.portMin(), natConfig.portMax());
    }

    public void output(final L3Output output)
    {
        this.output = output;
    }

    public RouterCounters counters()
    {
        return counters;
    }

    public NatConfig natConfig()
    {
        return natConfig;
    }

    // ------------------------------------------------------------------------------------------------ packets

    public void onBridgedFrame(final int legPort, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        final int iface = portIface[legPort] - 1;
        if (iface > UPLINK && iface < HOST)
        {
            process(iface, buffer, offset, length);
            if (!inBatch)
            {
                publishCounts();
            }
        }
    }

    public void onRoutedFrame(final int port, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        final int iface = portIface[port] - 1;
        if (iface == UPLINK || iface == HOST)
        {
            process(iface, buffer, offset, length);
            if (!inBatch)
            {
                publishCounts();
            }
        }
    }

    private void publishCounts()
    {
        if (routed != 0)
        {
            counters.add(RouterCounter.ROUTED, routed);
            routed = 0;
        }
        if (translated != 0)
        {
            counters.add(RouterCounter.NAT_TRANSLATED, translated);
            translated = 0;
        }
    }

    public void queueFrame(final boolean routed, final int port, final MutableDirectBuffer buffer, final int offset,
        final int length)
    {
        if (batchCount == MAX_BATCH)
        {
            endBatch();
        }
        final int i = batchCount++;
        batchRouted[i] = routed;
        batchPort[i] = port;
        if (batchBuffer[i] != buffer)
        {
            batchBuffer[i] = buffer; // mostly the same ring buffer: skip the store and its GC barrier
        }
        batchOffset[i] = offset;
        batchLength[i] = length;
    }

    /**
     * Handles the queued frames in order. With at least {@link #BATCH_LOOKUP_MIN_CONNECTIONS} connections, in three
     * passes: (1) each frame's flow key, read straight from the headers, (2) all the keys' connection lookups at once ({@link ConnTable#findAll}: the index slots of every frame, then their
     * records, so the cache misses of the batch overlap instead of adding up), (3) every frame in order through the
     * ordinary per-frame path, which takes the looked-up connection if the frame's parsed key is the one looked up
     * and the answer still holds (no connection added or removed since, or the record still has that key: an
     * earlier frame of the batch may have created or removed connections), else looks it up again.
     */
    public void endBatch()
    {
        final int count = batchCount;
        if (count == 0)
        {
            return;
        }
        final boolean lookups = conns.size() >= batchLookupMinConnections;
        if (lookups)
        {
            for (int i = 0; i < count; i++)
            {
                flowKey(i);
            }
            conns.findAll(batchKeyA, batchKeyB, batchHandle, batchScratch, count);
            batchChanges = conns.changes();
        }
        inBatch = true;
        try
        {
            for (int i = 0; i < count; i++)
            {
                batchCurrent = lookups ? i : -1;
                if (batchRouted[i])
                {
                    onRoutedFrame(batchPort[i], batchBuffer[i], batchOffset[i], batchLength[i]);
                }
                else
                {
                    onBridgedFrame(batchPort[i], batchBuffer[i], batchOffset[i], batchLength[i]);
                }
            }
        }
        finally
        {
            batchCurrent = -1;
            batchCount = 0;
            inBatch = false;
            publishCounts();
        }
    }

    /**
     * Batch pass 1: the connection key an IPv4 TCP, UDP or ICMP echo packet of queued frame {@code i} would be
     * looked up with, or key B 0 (none). Only a hint: the full parse decides, and the key is compared again.
     */
    private void flowKey(final int i)
    {
        batchKeyA[i] = 0;
        batchKeyB[i] = 0;
        final MutableDirectBuffer buffer = batchBuffer[i];
        final int eth = batchOffset[i] + VnetHeader.LENGTH;
        final int end = batchOffset[i] + batchLength[i];
        final int l3 = eth + EthernetHeader.HEADER_LENGTH;
        if (l3 + Ipv4Header.MIN_HEADER_LENGTH > end)
        {
            return;
        }
        // Few wide reads (each is bounds-checked): EtherType .. identification, identification .. checksum, both
        // addresses, both ports.
        final long typeToId = buffer.getLong(eth + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN);
        if ((int)(typeToId >>> 48) != EthernetHeader.ETHERTYPE_IPV4)
        {
            return;
        }
        final long idToChecksum = buffer.getLong(l3 + Ipv4Header.IDENTIFICATION_OFFSET, ByteOrder.BIG_ENDIAN);
        final int fragment = (int)(idToChecksum >>> 32) & 0xFFFF;
        final int protocol = (int)(idToChecksum >>> 16) & 0xFF;
        final int l4 = l3 + ((int)(typeToId >>> 40) & 0x0F) * 4; // version/IHL follows the EtherType
        if (l4 + IcmpHeader.HEADER_LENGTH > end ||
            (fragment & (Ipv4Header.FLAG_MORE_FRAGMENTS | Ipv4Header.FRAGMENT_OFFSET_MASK)) != 0)
        {
            return;
        }
        final int ports = buffer.getInt(l4, ByteOrder.BIG_ENDIAN);
        int sport = ports >>> 16;
        int dport = ports & 0xFFFF;
        if (protocol == Ipv4Header.PROTOCOL_ICMP)
        {
            final int type = sport >>> 8; // type, code, checksum in the place of the ports
            final int id = buffer.getShort(l4 + IcmpHeader.IDENTIFIER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if (type == IcmpHeader.TYPE_ECHO_REQUEST)
            {
                sport = id;
                dport = 0;
            }
            else if (type == IcmpHeader.TYPE_ECHO_REPLY)
            {
                sport = 0;
                dport = id;
            }
            else
            {
                return;
            }
        }
        else if (protocol != Ipv4Header.PROTOCOL_TCP && protocol != Ipv4Header.PROTOCOL_UDP)
        {
            return;
        }
        batchKeyA[i] = buffer.getLong(l3 + Ipv4Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN); // = keyA(src, dst)
        batchKeyB[i] = ConnTable.keyB(protocol, sport, dport);
    }

    public int doWork(final long nowNanos)
    {
        now = nowNanos;
        int work = conns.expire(nowNanos, onExpired);
        if (work > 0)
        {
            counters.setConnections(conns.size());
        }
        if (pendingCount > 0)
        {
            work += servicePending();
        }
        work += neighbours.sweep(nowNanos, prober);
        publishCounts(); // a held packet's host unreachable may have been translated and routed
        return work;
    }

    /** Sets the clock without doing timer work (benchmarks, tests driving the router directly). */
    public void clock(final long nowNanos)
    {
        now = nowNanos;
    }

    private void process(final int iface, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        final int eth = offset + VnetHeader.LENGTH;
        final int ethLength = length - VnetHeader.LENGTH;
        ingress = iface;
        if (ethLength < EthernetHeader.HEADER_LENGTH)
        {
            counters.increment(RouterCounter.DROP_MALFORMED_ETHERNET);
            return;
        }
        final int result = parser.parse(buffer, eth, ethLength);
        final long destination = MacAddress.readFirst(buffer, eth + EthernetHeader.DESTINATION_OFFSET);
        final boolean toUs = destination == ifMac[iface];
        if (!toUs && !MacAddress.isBroadcast(destination))
        {
            return; // a copy of someone else's unknown-unicast flood
        }
        if (result != ParseResult.OK)
        {
            countMalformed(parser.failedLayer());
            return;
        }
        if (parser.vlanCount() != 0)
        {
            counters.increment(RouterCounter.DROP_VLAN);
            return;
        }
        if (parser.has(FrameParser.LAYER_ARP))
        {
            onArp(iface);
            return;
        }
        if (!toUs)
        {
            return; // other broadcasts (DHCP, ...) are not the router's business
        }
        if (!parser.has(FrameParser.LAYER_IPV4))
        {
            counters.increment(RouterCounter.DROP_NOT_IPV4);
            return;
        }
        onIpv4(iface, buffer, offset, length);
    }

    private void countMalformed(final int layer)
    {
        switch (layer)
        {
            case FrameParser.LAYER_ARP -> counters.increment(RouterCounter.DROP_MALFORMED_ARP);
            case FrameParser.LAYER_IPV4 -> counters.increment(RouterCounter.DROP_MALFORMED_IPV4);
            case FrameParser.LAYER_TCP -> counters.increment(RouterCounter.DROP_MALFORMED_TCP);
            case FrameParser.LAYER_UDP -> counters.increment(RouterCounter.DROP_MALFORMED_UDP);
            case FrameParser.LAYER_ICMP -> counters.increment(RouterCounter.DROP_MALFORMED_ICMP);
            case FrameParser.LAYER_IPV6 -> counters.increment(RouterCounter.DROP_NOT_IPV4);
            default -> counters.increment(RouterCounter.DROP_MALFORMED_ETHERNET);
        }
    }

    private void onArp(final int iface)
    {
        final ArpHeader arp = parser.arp();
        final int sender = arp.senderIp();
        final long senderMac = arp.senderMac();
        final boolean validSender = sender != 0 && MacAddress.isValidSource(senderMac);
        if (ifIp[iface] == 0 || arp.targetIp() != ifIp[iface])
        {
            // Not for us: only refresh a neighbour we already know (gratuitous ARP after a MAC change).
            final int slot = validSender ? neighbours.find(iface, sender) : NeighbourTable.NOT_FOUND;
            if (slot != NeighbourTable.NOT_FOUND)
            {
                learn(iface, slot, sender, senderMac);
            }
            return;
        }
        if (validSender)
        {
            final int slot = neighbours.findOrCreate(iface, sender);
            if (slot != NeighbourTable.NOT_FOUND)
            {
                learn(iface, slot, sender, senderMac);
            }
        }
        if (arp.operation() == ArpHeader.OPER_REQUEST && validSender)
        {
            sendArp(iface, ArpHeader.OPER_REPLY, senderMac, senderMac, sender);
            counters.increment(RouterCounter.ARP_REPLIES_SENT);
        }
    }

    private void learn(final int iface, final int slot, final int ip, final long mac)
    {
        if (neighbours.resolve(slot, mac, now) && pendingCount > 0)
        {
            releasePending(iface, ip, mac);
        }
    }

    private void onIpv4(final int iface, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        // Few wide reads (each is bounds-checked): both addresses in one, both ports in one; protocol as parsed.
        // In a batch with lookups the flow key pass has read both already: a key B other than 0 means an untagged
        // IPv4 frame whose addresses (and, for an unfragmented TCP or UDP packet, ports) are at the places the
        // parser found, and the frame is unchanged since.
        final int batchFrame = batchCurrent;
        final boolean keyed = batchFrame >= 0 && batchKeyB[batchFrame] != 0;
        final long addresses = keyed ? batchKeyA[batchFrame] :
            buffer.getLong(parser.l3Offset() + Ipv4Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final int src = (int)(addresses >>> 32);
        final int dst = (int)addresses;
        final int protocol = parser.ipProtocol();
        final boolean fragment = parser.isFragment();

        int sport = 0;
        int dport = 0;
        boolean trackable = false;
        boolean echoRequest = false;
        if (!fragment)
        {
            if (parser.has(FrameParser.LAYER_TCP | FrameParser.LAYER_UDP))
            {
                final int ports = keyed ? (int)batchKeyB[batchFrame] : // same place in both
                    buffer.getInt(parser.l4Offset(), ByteOrder.BIG_ENDIAN);
                sport = ports >>> 16;
                dport = ports & 0xFFFF;
                trackable = true;
            }
            else if (parser.has(FrameParser.LAYER_ICMP))
            {
                final IcmpHeader icmp = parser.icmp();
                final int type = icmp.type();
                if (type == IcmpHeader.TYPE_ECHO_REQUEST)
                {
                    sport = icmp.identifier();
                    trackable = true;
                    echoRequest = true;
                }
                else if (type == IcmpHeader.TYPE_ECHO_REPLY)
                {
                    dport = icmp.identifier();
                    trackable = true;
                }
                else if (type == ICMP_DEST_UNREACHABLE || type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETER_PROBLEM)
                {
                    if (onIcmpError(buffer, offset, length, src))
                    {
                        return;
                    }
                }
            }
        }

        if (trackable)
        {
            int handle = lookup(protocol, src, sport, dst, dport);
            if (handle != ConnTable.NOT_FOUND && conns.isExpired(handle >>> 1, now))
            {
                expireNow(handle >>> 1);
                handle = ConnTable.NOT_FOUND;
            }
            if (handle != ConnTable.NOT_FOUND)
            {
                translateAndForward(handle, buffer, offset, length, protocol, src, sport, dst, dport);
                return;
            }
        }

        if (isRouterAddress(dst))
        {
            if (trackable && !echoRequest && isPublicAddress(dst) && dnat(iface, buffer, offset, length,
                protocol, src, sport, dst, dport))
            {
                return;
            }
            if (echoRequest)
            {
                echoReply(iface, buffer, offset, length, src, dst);
                return;
            }
            if (parser.has(FrameParser.LAYER_UDP))
            {
                sendError(buffer, offset, IcmpErrors.TYPE_DEST_UNREACHABLE, IcmpErrors.CODE_PORT_UNREACHABLE, 0);
            }
            counters.increment(dst == ifIp[UPLINK] && ifPort[UPLINK] != 0 ?
                RouterCounter.DROP_NAT_MISS : RouterCounter.DROP_TO_ROUTER);
            return;
        }

        final int egress = egressFor(dst);
        if (egress < 0)
        {
            counters.increment(RouterCounter.DROP_NO_ROUTE);
            sendError(buffer, offset, IcmpErrors.TYPE_DEST_UNREACHABLE, IcmpErrors.CODE_NET_UNREACHABLE, 0);
            return;
        }
        if (isLeg(iface))
        {
            if (egress == UPLINK)
            {
                if (ifInternal[iface])
                {
                    counters.increment(RouterCounter.DROP_NO_ROUTE);
                    sendError(buffer, offset, IcmpErrors.TYPE_DEST_UNREACHABLE, IcmpErrors.CODE_NET_UNREACHABLE, 0);
                }
                else if (fragment)
                {
                    counters.increment(RouterCounter.DROP_NAT_FRAGMENT);
                }
                else if (!trackable)
                {
                    counters.increment(RouterCounter.DROP_NAT_UNTRACKED);
                }
                else
                {
                    snat(buffer, offset, length, protocol, src, sport, dst, dport);
                }
                return;
            }
            if (egress != HOST && egress != iface)
            {
                counters.increment(RouterCounter.DROP_NO_ROUTE);
                return;
            }
        }
        else if (iface == HOST)
        {
            if (!isLeg(egress))
            {
                counters.increment(RouterCounter.DROP_NO_ROUTE);
                return;
            }
        }
        else
        {
            counters.increment(RouterCounter.DROP_NO_ROUTE);
            return;
        }
        forward(egress, buffer, offset, length, dst);
    }

    // ------------------------------------------------------------------------------------------------ NAT

    /**
     * The packet's connection: the batch's lookup if it was made for this key and still holds (no connection added
     * or removed since, or its record still has this key), else a lookup now.
     */
    private int lookup(final int protocol, final int src, final int sport, final int dst, final int dport)
    {
        final long a = ConnTable.keyA(src, dst);
        final long b = ConnTable.keyB(protocol, sport, dport);
        final int i = batchCurrent;
        batchCurrent = -1;
        if (i >= 0 && batchKeyA[i] == a && batchKeyB[i] == b)
        {
            final int handle = batchHandle[i];
            if (conns.changes() == batchChanges || (handle != ConnTable.NOT_FOUND && conns.matches(handle, a, b)))
            {
                return handle;
            }
        }
        return conns.find(a, b);
    }

    private void snat(final MutableDirectBuffer buffer, final int offset, final int length, final int protocol,
        final int src, final int sport, final int dst, final int dport)
    {
        if (!admit(UPLINK, buffer, offset))
        {
            return; // before a connection is made for it (traceroute's probes)
        }
        final int natIp = ifIp[UPLINK];
        final int natPort = allocator.allocate(conns, published, protocol, dst, dport, natIp);
        if (natPort < 0)
        {
            counters.increment(RouterCounter.DROP_NAT_PORTS_EXHAUSTED);
            return;
        }
        final int record = conns.add(
            ConnTable.keyA(src, dst), ConnTable.keyB(protocol, sport, dport),
            ConnTable.keyA(dst, natIp), ConnTable.keyB(protocol, dport, natPort),
            now, initialState(protocol), ConnState.FLAG_SNAT);
        if (record == ConnTable.NOT_FOUND)
        {
            counters.increment(RouterCounter.DROP_NAT_TABLE_FULL);
            return;
        }
        created();
        translateAndForward(record << 1, buffer, offset, length, protocol, src, sport, dst, dport);
    }

    /** @return false if (protocol, dport) is not published (the caller counts the miss). */
    private boolean dnat(final int iface, final MutableDirectBuffer buffer, final int offset, final int length,
        final int protocol, final int src, final int sport, final int dst, final int dport)
    {
        final int pi = PublishedPorts.index(protocol);
        if (pi < 0 || !published.isPublished(pi, dport))
        {
            return false;
        }
        final int targetIp = published.targetIp(pi, dport);
        final int targetPort = published.targetPort(pi, dport);
        int replyDstIp = src;
        int replyDstPort = sport;
        int flags = ConnState.FLAG_DNAT;
        if (isLeg(iface))
        {
            // Hairpin: without SNAT the container would answer the client directly and the client would drop it.
            replyDstIp = dst;
            replyDstPort = allocator.allocate(conns, published, protocol, targetIp, targetPort, dst);
            flags |= ConnState.FLAG_SNAT;
            if (replyDstPort < 0)
            {
                counters.increment(RouterCounter.DROP_NAT_PORTS_EXHAUSTED);
                return true;
            }
        }
        else if (conns.find(protocol, targetIp, targetPort, replyDstIp, replyDstPort) != ConnTable.NOT_FOUND)
        {
            // Two host ports published to one container port, same client endpoint: the replies would be ambiguous.
            counters.increment(RouterCounter.DROP_NAT_PORTS_EXHAUSTED);
            return true;
        }
        final int record = conns.add(
            ConnTable.keyA(src, dst), ConnTable.keyB(protocol, sport, dport),
            ConnTable.keyA(targetIp, replyDstIp), ConnTable.keyB(protocol, targetPort, replyDstPort),
            now, initialState(protocol), flags);
        if (record == ConnTable.NOT_FOUND)
        {
            counters.increment(RouterCounter.DROP_NAT_TABLE_FULL);
            return true;
        }
        created();
        translateAndForward(record << 1, buffer, offset, length, protocol, src, sport, dst, dport);
        return true;
    }

    private void created()
    {
        counters.increment(RouterCounter.NAT_CREATED);
        counters.setConnections(conns.size());
    }

    private int initialState(final int protocol)
    {
        switch (protocol)
        {
            case Ipv4Header.PROTOCOL_TCP:
                final int flags = parser.tcp().flags();
                return (flags & (TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK)) == TcpHeader.FLAG_SYN ?
                    ConnState.TCP_SYN_SENT : ConnState.TCP_ESTABLISHED; // loose pick-up of a flow seen mid-way
            case Ipv4Header.PROTOCOL_UDP:
                return ConnState.UDP_UNREPLIED;
            default:
                return ConnState.ICMP_ECHO;
        }
    }

    /**
     * Reads the connection's other tuple, reversed, into the reverse* fields: what a packet of {@code handle}'s
     * direction is rewritten to. Fields rather than a result object, so nothing allocates per packet.
     */
    private void loadReverse(final int handle)
    {
        final int record = handle >>> 1;
        final int other = (handle & 1) ^ 1;
        final long a = conns.tupleA(record, other);
        final long b = conns.tupleB(record, other);
        reverseSrc = ConnTable.destinationIp(a);
        reverseDst = ConnTable.sourceIp(a);
        reverseSport = ConnTable.destinationPort(b);
        reverseDport = ConnTable.sourcePort(b);
    }

    /**
     * A packet in direction d of a connection leaves with the other direction's tuple reversed: its source becomes
     * that tuple's destination and its destination that tuple's source.
     */
    private void translateAndForward(final int handle, final MutableDirectBuffer buffer, final int offset,
        final int length, final int protocol, final int src, final int sport, final int dst, final int dport)
    {
        loadReverse(handle);
        final int newSrc = reverseSrc;
        final int newDst = reverseDst;
        final int newSport = reverseSport;
        final int newDport = reverseDport;
        final int egress = egressFor(newDst);
        if (egress < 0)
        {
            counters.increment(RouterCounter.DROP_NO_ROUTE);
            return;
        }
        if (!admit(egress, buffer, offset))
        {
            return; // an ICMP error must quote the packet as its sender sent it: checked before the rewrite
        }
        if (!rewrite(buffer, offset, protocol, src, sport, dst, dport, newSrc, newSport, newDst, newDport))
        {
            return;
        }
        conns.countPacket(handle);
        track(handle >>> 1, handle & 1, protocol);
        translated++;
        routed++;
        send(egress, nextHop(egress, newDst), buffer, offset, length); // admitted above, TTL decremented by rewrite
    }

    private boolean rewrite(final MutableDirectBuffer buffer, final int offset, final int protocol,
        final int src, final int sport, final int dst, final int dport,
        final int newSrc, final int newSport, final int newDst, final int newDport)
    {
        final int l3 = parser.l3Offset();
        final int l4 = parser.l4Offset();
        final int checksumField = l4 + (protocol == Ipv4Header.PROTOCOL_TCP ? TcpHeader.CHECKSUM_OFFSET :
            protocol == Ipv4Header.PROTOCOL_UDP ? UdpHeader.CHECKSUM_OFFSET : IcmpHeader.CHECKSUM_OFFSET);
        final boolean partial = (buffer.getByte(offset + VnetHeader.FLAGS_OFFSET) & VnetHeader.FLAG_NEEDS_CSUM) != 0;
        if (partial)
        {
            final int eth = offset + VnetHeader.LENGTH;
            final int start = buffer.getShort(offset + VnetHeader.CSUM_START_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            final int at = buffer.getShort(offset + VnetHeader.CSUM_OFFSET_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            if (eth + start != l4 || l4 + at != checksumField)
            {
                counters.increment(RouterCounter.DROP_NAT_BAD_OFFLOAD);
                return false;
            }
        }

        // TTL, protocol and header checksum are one big-endian word: as parsed (nothing has written to the packet
        // yet: translateAndForward is reached before any other rewrite), written once with the new TTL.
        final int ttlWord = parser.ttlProtocolChecksum();
        int l4Sum = buffer.getShort(checksumField, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (protocol == Ipv4Header.PROTOCOL_ICMP)
        {
            // Echo: the identifier is the "port"; requests carry it as source, replies as destination.
            final boolean request = parser.icmp().type() == IcmpHeader.TYPE_ECHO_REQUEST;
            final int oldId = request ? sport : dport;
            final int newId = request ? newSport : newDport;
            if (oldId != newId)
            {
                if (!partial) // a partial ICMP sum covers no pseudo-header: the new id is summed when finished
                {
                    l4Sum = Checksum.update16(l4Sum, oldId, newId);
                }
                buffer.putShort(l4 + IcmpHeader.IDENTIFIER_OFFSET, (short)newId, ByteOrder.BIG_ENDIAN);
            }
        }
        else
        {
            final boolean noUdpChecksum = protocol == Ipv4Header.PROTOCOL_UDP && l4Sum == 0 && !partial;
            if (!noUdpChecksum)
            {
                if (partial)
                {
                    // Only the pseudo-header is in the field; ports are summed when the checksum is finished.
                    if (src != newSrc)
                    {
                        l4Sum = Checksum.updatePartial32(l4Sum, src, newSrc);
                    }
                    if (dst != newDst)
                    {
                        l4Sum = Checksum.updatePartial32(l4Sum, dst, newDst);
                    }
                }
                else
                {
                    // RFC 1624 eqn. 3 for all changed words at once, one fold: the same result as one update each.
                    long sum = ~l4Sum & 0xFFFF;
                    if (src != newSrc)
                    {
                        sum += Checksum.change32(src, newSrc);
                    }
                    if (dst != newDst)
                    {
                        sum += Checksum.change32(dst, newDst);
                    }
                    if (sport != newSport)
                    {
                        sum += Checksum.change16(sport, newSport);
                    }
                    if (dport != newDport)
                    {
                        sum += Checksum.change16(dport, newDport);
                    }
                    l4Sum = ~Checksum.fold(sum) & 0xFFFF;
                    if (protocol == Ipv4Header.PROTOCOL_UDP && l4Sum == 0)
                    {
                        l4Sum = 0xFFFF; // 0 means "no checksum" in UDP
                    }
                }
            }
            buffer.putInt(l4, (newSport << 16) | newDport, ByteOrder.BIG_ENDIAN); // both ports
        }
        buffer.putShort(checksumField, (short)l4Sum, ByteOrder.BIG_ENDIAN);

        // The TTL decrement of routing (admitted by the caller: TTL > 1) folded in with the address changes.
        final int ttlProtocol = ttlWord >>> 16;
        final int decremented = ttlProtocol - 0x100;
        long sum = (~ttlWord & 0xFFFF) + Checksum.change16(ttlProtocol, decremented);
        if (src != newSrc)
        {
            sum += Checksum.change32(src, newSrc);
        }
        if (dst != newDst)
        {
            sum += Checksum.change32(dst, newDst);
            buffer.putInt(l3 + Ipv4Header.DESTINATION_OFFSET, newDst, ByteOrder.BIG_ENDIAN);
        }
        final int newTtlWord = (decremented << 16) | (~Checksum.fold(sum) & 0xFFFF);
        if (src != newSrc) // the source address follows the checksum: both in one write
        {
            buffer.putLong(l3 + Ipv4Header.TTL_OFFSET, ((long)newTtlWord << 32) | (newSrc & 0xFFFF_FFFFL),
                ByteOrder.BIG_ENDIAN);
        }
        else
        {
            buffer.putInt(l3 + Ipv4Header.TTL_OFFSET, newTtlWord, ByteOrder.BIG_ENDIAN);
        }
        return true;
    }

    /** Connection state and deadline after a packet in {@code direction}. */
    private void track(final int record, final int direction, final int protocol)
    {
        int state = conns.state(record);
        int flags = conns.flags(record);
        final long timeout;
        if (protocol == Ipv4Header.PROTOCOL_TCP)
        {
            final int tcp = parser.tcp().flags();
            if ((tcp & TcpHeader.FLAG_RST) != 0)
            {
                state = ConnState.TCP_CLOSE;
            }
            else
            {
                if ((tcp & TcpHeader.FLAG_SYN) != 0)
                {
                    if ((tcp & TcpHeader.FLAG_ACK) != 0)
                    {
                        if (direction == 1 && state == ConnState.TCP_SYN_SENT)
                        {
                            state = ConnState.TCP_SYN_RECV;
                        }
                    }
                    else if (direction == 0 && (state == ConnState.TCP_TIME_WAIT || state == ConnState.TCP_CLOSE))
                    {
                        state = ConnState.TCP_SYN_SENT; // port reuse after close
                        flags &= ~(ConnState.FLAG_FIN_ORIGINAL | ConnState.FLAG_FIN_REPLY);
                    }
                }
                else if ((tcp & TcpHeader.FLAG_ACK) != 0 && direction == 0 && state == ConnState.TCP_SYN_RECV)
                {
                    state = ConnState.TCP_ESTABLISHED;
                }
                if ((tcp & TcpHeader.FLAG_FIN) != 0)
                {
                    flags |= direction == 0 ? ConnState.FLAG_FIN_ORIGINAL : ConnState.FLAG_FIN_REPLY;
                    final int both = ConnState.FLAG_FIN_ORIGINAL | ConnState.FLAG_FIN_REPLY;
                    state = (flags & both) == both ? ConnState.TCP_TIME_WAIT : ConnState.TCP_FIN_WAIT;
                }
            }
            switch (state)
            {
                case ConnState.TCP_SYN_SENT, ConnState.TCP_SYN_RECV -> timeout = natConfig.tcpSynNanos();
                case ConnState.TCP_ESTABLISHED -> timeout = natConfig.tcpEstablishedNanos();
                case ConnState.TCP_CLOSE -> timeout = natConfig.tcpCloseNanos();
                default -> timeout = natConfig.tcpClosingNanos();
            }
        }
        else if (protocol == Ipv4Header.PROTOCOL_UDP)
        {
            if (direction == 1)
            {
                state = ConnState.UDP_REPLIED;
            }
            timeout = state == ConnState.UDP_REPLIED ? natConfig.udpStreamNanos() : natConfig.udpNanos();
        }
        else
        {
            timeout = natConfig.icmpNanos();
        }
        conns.update(record, state, flags, now + timeout);
    }

    /**
     * An ICMP error whose inner packet belongs to a tracked connection: the inner packet went from the router
     * towards the error's sender, so its reversed tuple is the key of packets coming from that side. The error
     * is translated like such a packet (outer destination, inner source/destination, checksums) and routed.
     *
     * @return true if handled (translated or dropped), false to route it as an ordinary packet.
     */
    private boolean onIcmpError(final MutableDirectBuffer buffer, final int offset, final int length, final int src)
    {
        final IcmpHeader icmp = parser.icmp();
        final int inner = icmp.payloadOffset();
        final int available = icmp.payloadLength();
        if (available < Ipv4Header.MIN_HEADER_LENGTH)
        {
            counters.increment(RouterCounter.DROP_MALFORMED_ICMP);
            return true;
        }
        final int versionIhl = buffer.getByte(inner) & 0xFF;
        final int innerHeaderLength = (versionIhl & 0x0F) * 4;
        if ((versionIhl >>> 4) != Ipv4Header.VERSION || innerHeaderLength < Ipv4Header.MIN_HEADER_LENGTH ||
            available < innerHeaderLength + 8)
        {
            counters.increment(RouterCounter.DROP_MALFORMED_ICMP);
            return true;
        }
        final int innerProtocol = buffer.getByte(inner + Ipv4Header.PROTOCOL_OFFSET) & 0xFF;
        final int innerSrc = buffer.getInt(inner + Ipv4Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final int innerDst = buffer.getInt(inner + Ipv4Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        final int il4 = inner + innerHeaderLength;
        int innerSport;
        int innerDport;
        boolean innerEchoRequest = false;
        switch (innerProtocol)
        {
            case Ipv4Header.PROTOCOL_TCP, Ipv4Header.PROTOCOL_UDP ->
            {
                innerSport = buffer.getShort(il4, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                innerDport = buffer.getShort(il4 + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            }
            case Ipv4Header.PROTOCOL_ICMP ->
            {
                final int type = buffer.getByte(il4) & 0xFF;
                final int id = buffer.getShort(il4 + IcmpHeader.IDENTIFIER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                if (type == IcmpHeader.TYPE_ECHO_REQUEST)
                {
                    innerSport = id;
                    innerDport = 0;
                    innerEchoRequest = true;
                }
                else if (type == IcmpHeader.TYPE_ECHO_REPLY)
                {
                    innerSport = 0;
                    innerDport = id;
                }
                else
                {
                    return false;
                }
            }
            default ->
            {
                return false;
            }
        }
        final int handle = conns.find(innerProtocol, innerDst, innerDport, innerSrc, innerSport);
        if (handle == ConnTable.NOT_FOUND)
        {
            return false;
        }
        loadReverse(handle);
        final int newSrc = reverseSrc;
        final int newDst = reverseDst;
        final int newSport = reverseSport;
        final int newDport = reverseDport;
        final int egress = egressFor(newDst);
        if (egress < 0)
        {
            counters.increment(RouterCounter.DROP_NO_ROUTE);
            return true;
        }
        if ((buffer.getByte(offset + VnetHeader.FLAGS_OFFSET) & VnetHeader.FLAG_NEEDS_CSUM) != 0)
        {
            counters.increment(RouterCounter.DROP_NAT_BAD_OFFLOAD);
            return true;
        }

        // Inner packet: source becomes the original sender (newDst), destination the translated peer (newSrc).
        int innerSum = buffer.getShort(inner + Ipv4Header.CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        innerSum = Checksum.update32(innerSum, innerSrc, newDst);
        innerSum = Checksum.update32(innerSum, innerDst, newSrc);
        buffer.putInt(inner + Ipv4Header.SOURCE_OFFSET, newDst, ByteOrder.BIG_ENDIAN);
        buffer.putInt(inner + Ipv4Header.DESTINATION_OFFSET, newSrc, ByteOrder.BIG_ENDIAN);
        buffer.putShort(inner + Ipv4Header.CHECKSUM_OFFSET, (short)innerSum, ByteOrder.BIG_ENDIAN);
        if (innerProtocol == Ipv4Header.PROTOCOL_ICMP)
        {
            final int newId = innerEchoRequest ? newDport : newSport;
            final int oldId = innerEchoRequest ? innerSport : innerDport;
            final int field = il4 + IcmpHeader.CHECKSUM_OFFSET;
            final int sum = buffer.getShort(field, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            buffer.putShort(field, (short)Checksum.update16(sum, oldId, newId), ByteOrder.BIG_ENDIAN);
            buffer.putShort(il4 + IcmpHeader.IDENTIFIER_OFFSET, (short)newId, ByteOrder.BIG_ENDIAN);
        }
        else
        {
            final int field = il4 + (innerProtocol == Ipv4Header.PROTOCOL_TCP ?
                TcpHeader.CHECKSUM_OFFSET : UdpHeader.CHECKSUM_OFFSET);
            if (field + 2 <= inner + available)
            {
                int sum = buffer.getShort(field, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                if (sum != 0 || innerProtocol == Ipv4Header.PROTOCOL_TCP)
                {
                    sum = Checksum.update32(sum, innerSrc, newDst);
                    sum = Checksum.update32(sum, innerDst, newSrc);
                    sum = Checksum.update16(sum, innerSport, newDport);
                    sum = Checksum.update16(sum, innerDport, newSport);
                    buffer.putShort(field, (short)sum, ByteOrder.BIG_ENDIAN);
                }
            }
            buffer.putShort(il4, (short)newDport, ByteOrder.BIG_ENDIAN);
            buffer.putShort(il4 + 2, (short)newSport, ByteOrder.BIG_ENDIAN);
        }

        // Outer header: to the original sender; from the translated address if the peer itself complained.
        final int l3 = parser.l3Offset();
        final int dst = parser.ipv4().destination();
        final int outerSrc = src == innerDst ? newSrc : src;
        int ipSum = buffer.getShort(l3 + Ipv4Header.CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        ipSum = Checksum.update32(ipSum, dst, newDst);
        ipSum = Checksum.update32(ipSum, src, outerSrc);
        buffer.putInt(l3 + Ipv4Header.DESTINATION_OFFSET, newDst, ByteOrder.BIG_ENDIAN);
        buffer.putInt(l3 + Ipv4Header.SOURCE_OFFSET, outerSrc, ByteOrder.BIG_ENDIAN);
        buffer.putShort(l3 + Ipv4Header.CHECKSUM_OFFSET, (short)ipSum, ByteOrder.BIG_ENDIAN);

        // The ICMP checksum covers the rewritten inner packet: errors are rare and short, recompute it.
        final int l4 = parser.l4Offset();
        buffer.putShort(l4 + IcmpHeader.CHECKSUM_OFFSET, (short)0);
        buffer.putShort(l4 + IcmpHeader.CHECKSUM_OFFSET,
            (short)Checksum.compute(buffer, l4, parser.l4Length()), ByteOrder.BIG_ENDIAN);
        counters.increment(RouterCounter.NAT_ICMP_ERRORS);
        forward(egress, buffer, offset, length, newDst);
        return true;
    }

    // ------------------------------------------------------------------------------------------------ routing

    private static boolean isLeg(final int iface)
    {
        return iface > UPLINK && iface < HOST;
    }

    private boolean isPublicAddress(final int ip)
    {
        return (ifPort[UPLINK] != 0 && ip == ifIp[UPLINK]) || (ifPort[HOST] != 0 && ip == ifIp[HOST]);
    }

    private boolean isRouterAddress(final int ip)
    {
        if (isPublicAddress(ip))
        {
            return true;
        }
        for (final int leg : legs)
        {
            if (ifIp[leg] == ip)
            {
                return true;
            }
        }
        return false;
    }

    /** Interface towards {@code ip}: a network's subnet, the host link, else the uplink (default route). -1: none. */
    private int egressFor(final int ip)
    {
        for (final int leg : legs)
        {
            if ((ip & ifMask[leg]) == (ifIp[leg] & ifMask[leg]))
            {
                return leg;
            }
        }
        if (ifPort[HOST] != 0 && (ip & ifMask[HOST]) == (ifIp[HOST] & ifMask[HOST]))
        {
            return HOST;
        }
        return ifPort[UPLINK] != 0 ? UPLINK : -1;
    }

    private void forward(final int egress, final MutableDirectBuffer buffer, final int offset, final int length,
        final int dst)
    {
        if (!admit(egress, buffer, offset))
        {
            return;
        }
        // TTL, protocol and header checksum are one big-endian word: one read, one write.
        final int at = parser.l3Offset() + Ipv4Header.TTL_OFFSET;
        final int word = buffer.getInt(at, ByteOrder.BIG_ENDIAN);
        final int ttlProtocol = word >>> 16;
        final int decremented = ttlProtocol - 0x100;
        final int sum = Checksum.update16(word & 0xFFFF, ttlProtocol, decremented);
        buffer.putInt(at, (decremented << 16) | sum, ByteOrder.BIG_ENDIAN);
        routed++;
        send(egress, nextHop(egress, dst), buffer, offset, length);
    }

    /** The uplink's gateway for destinations off the uplink's subnet, else the destination itself. */
    private int nextHop(final int egress, final int dst)
    {
        return egress == UPLINK && uplinkGateway != 0 &&
            (dst & ifMask[UPLINK]) != (ifIp[UPLINK] & ifMask[UPLINK]) ? uplinkGateway : dst;
    }

    private void send(final int egress, final int nextHop, final MutableDirectBuffer buffer, final int offset,
        final int length)
    {
        final int slot = neighbours.findOrCreate(egress, nextHop);
        if (slot == NeighbourTable.NOT_FOUND)
        {
            counters.increment(RouterCounter.DROP_ARP_UNRESOLVED);
            return;
        }
        final long mac = neighbours.mac(slot);
        if (mac == NeighbourTable.UNRESOLVED)
        {
            hold(egress, nextHop, buffer, offset, length);
            requestIfDue(slot, egress, nextHop);
            return;
        }
        if (neighbours.needsProbe(slot, now))
        {
            neighbours.requested(slot, now);
            probe(egress, nextHop, mac);
        }
        final int eth = offset + VnetHeader.LENGTH;
        MacAddress.writePair(buffer, eth + EthernetHeader.DESTINATION_OFFSET, mac, ifMac[egress]);
        emit(egress, buffer, offset, length);
    }

    /**
     * Last checks before a packet leaves through {@code egress}: TTL (RFC 1812 5.3.1), then the egress MTU; a GSO
     * frame is measured by the segments the kernel will cut it into. Packets too big without DF are dropped, not
     * fragmented.
     *
     * @return false if dropped (counted, with an ICMP error where one may be sent).
     */
    private boolean admit(final int egress, final MutableDirectBuffer buffer, final int offset)
    {
        final int l3 = parser.l3Offset();
        if ((parser.ttlProtocolChecksum() >>> 24) <= 1) // no path writes the TTL before admitting the packet
        {
            counters.increment(RouterCounter.DROP_TTL);
            sendError(buffer, offset, IcmpErrors.TYPE_TIME_EXCEEDED, IcmpErrors.CODE_TTL_EXCEEDED, 0);
            return false;
        }
        final int mtu = ifMtu[egress];
        if (parser.l3Length() <= mtu || segmentLength(buffer, offset) <= mtu)
        {
            return true;
        }
        counters.increment(RouterCounter.DROP_TOO_BIG);
        if ((buffer.getShort(l3 + Ipv4Header.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) &
            Ipv4Header.FLAG_DONT_FRAGMENT) != 0)
        {
            sendError(buffer, offset, IcmpErrors.TYPE_DEST_UNREACHABLE, IcmpErrors.CODE_FRAGMENTATION_NEEDED, mtu);
        }
        return false;
    }

    /** IP length of the packets the kernel cuts a GSO frame into; the whole IP length if not GSO. */
    private int segmentLength(final MutableDirectBuffer buffer, final int offset)
    {
        final int gsoType = buffer.getByte(offset + VnetHeader.GSO_TYPE_OFFSET) & ~VnetHeader.GSO_ECN & 0xFF;
        if (gsoType == VnetHeader.GSO_NONE || parser.l4Offset() < 0)
        {
            return parser.l3Length();
        }
        final int gsoSize = buffer.getShort(offset + VnetHeader.GSO_SIZE_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int l4Header = parser.has(FrameParser.LAYER_TCP) ? parser.tcp().headerLength() : UdpHeader.HEADER_LENGTH;
        return parser.l4Offset() - parser.l3Offset() + l4Header + gsoSize;
    }

    // ------------------------------------------------------------------------------------------------ ICMP errors

    /** An ICMP error about the parsed packet, back out of the interface it came in on, to the MAC it came from. */
    private void sendError(final MutableDirectBuffer buffer, final int offset, final int type, final int code,
        final int mtu)
    {
        final int length = buildError(buffer, offset, type, code, mtu);
        if (length > 0)
        {
            emit(ingress, icmpErrors.frame(), 0, length);
        }
    }

    /** @return the error frame's length, or 0 if no error may be sent about the parsed packet (counted). */
    private int buildError(final MutableDirectBuffer buffer, final int offset, final int type, final int code,
        final int mtu)
    {
        final int l3 = parser.l3Offset();
        final int src = parser.ipv4().source();
        final int dst = parser.ipv4().destination();
        if (!IcmpErrors.mayAnswer(buffer, l3, parser.l3Length()) || isSubnetBroadcast(src) || isSubnetBroadcast(dst))
        {
            counters.increment(RouterCounter.ICMP_ERRORS_SUPPRESSED);
            return 0;
        }
        final boolean pmtu = type == IcmpErrors.TYPE_DEST_UNREACHABLE && code == IcmpErrors.CODE_FRAGMENTATION_NEEDED;
        // Linux exempts PMTU discovery's errors from the limit (icmpv4_mask_allow): a stalled TCP flow is worse.
        if (!pmtu && !icmpLimiter.tryAcquire(now))
        {
            counters.increment(RouterCounter.ICMP_ERRORS_RATE_LIMITED);
            return 0;
        }
        counters.increment(type == IcmpErrors.TYPE_TIME_EXCEEDED ? RouterCounter.ICMP_TIME_EXCEEDED :
            pmtu ? RouterCounter.ICMP_FRAG_NEEDED :
            code == IcmpErrors.CODE_NET_UNREACHABLE ? RouterCounter.ICMP_NET_UNREACHABLE :
            code == IcmpErrors.CODE_HOST_UNREACHABLE ? RouterCounter.ICMP_HOST_UNREACHABLE :
            RouterCounter.ICMP_PORT_UNREACHABLE);
        return icmpErrors.build(parser.ethernet().source(), ifMac[ingress], ifIp[ingress], src, type, code, mtu,
            buffer, l3, parser.l3Length());
    }

    /**
     * Host unreachable about a held packet whose next hop never answered ARP. The packet may already be translated
     * (NAT): the error then goes back the way the NAT's own ICMP errors do, translated to the inner flow.
     */
    private void hostUnreachable(final int slot, final int length)
    {
        final int base = slot * PENDING_SLOT_LENGTH;
        ingress = pendingIngress[slot];
        if (ifPort[ingress] == 0 ||
            parser.parse(pendingFrames, base + VnetHeader.LENGTH, length - VnetHeader.LENGTH) != ParseResult.OK ||
            !parser.has(FrameParser.LAYER_IPV4))
        {
            return;
        }
        final int errorLength =
            buildError(pendingFrames, base, IcmpErrors.TYPE_DEST_UNREACHABLE, IcmpErrors.CODE_HOST_UNREACHABLE, 0);
        if (errorLength == 0)
        {
            return;
        }
        final UnsafeBuffer error = icmpErrors.frame();
        if (parser.parse(error, VnetHeader.LENGTH, errorLength - VnetHeader.LENGTH) == ParseResult.OK &&
            !onIcmpError(error, 0, errorLength, ifIp[ingress]) && !isRouterAddress(parser.ipv4().destination()))
        {
            emit(ingress, error, 0, errorLength);
        }
    }

    private boolean isSubnetBroadcast(final int ip)
    {
        if (isSubnetBroadcast(UPLINK, ip) || isSubnetBroadcast(HOST, ip))
        {
            return true;
        }
        for (final int leg : legs)
        {
            if (isSubnetBroadcast(leg, ip))
            {
                return true;
            }
        }
        return false;
    }

    /** The directed broadcast of the interface's subnet (none on /31 and /32 links, RFC 3021). */
    private boolean isSubnetBroadcast(final int iface, final int ip)
    {
        final int mask = ifMask[iface];
        return ifPort[iface] != 0 && (mask & 0b10) == 0 && (ip | mask) == -1 && (ip & mask) == (ifIp[iface] & mask);
    }

    private void emit(final int iface, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        if (isLeg(iface))
        {
            output.injectBridged(ifPort[iface], buffer, offset, length);
        }
        else if (!output.transmitRouted(ifPort[iface], buffer, offset, length))
        {
            counters.increment(RouterCounter.DROP_TX);
        }
    }

    private void echoReply(final int iface, final MutableDirectBuffer buffer, final int offset, final int length,
        final int src, final int dst)
    {
        final int eth = offset + VnetHeader.LENGTH;
        final long senderMac = parser.ethernet().source();
        MacAddress.write(buffer, eth + EthernetHeader.DESTINATION_OFFSET, senderMac);
        MacAddress.write(buffer, eth + EthernetHeader.SOURCE_OFFSET, ifMac[iface]);
        final int l3 = parser.l3Offset();
        buffer.putInt(l3 + Ipv4Header.SOURCE_OFFSET, dst, ByteOrder.BIG_ENDIAN);
        buffer.putInt(l3 + Ipv4Header.DESTINATION_OFFSET, src, ByteOrder.BIG_ENDIAN);
        buffer.putByte(l3 + Ipv4Header.TTL_OFFSET, (byte)LOCAL_TTL);
        buffer.putShort(l3 + Ipv4Header.CHECKSUM_OFFSET, (short)0);
        buffer.putShort(l3 + Ipv4Header.CHECKSUM_OFFSET,
            (short)Checksum.compute(buffer, l3, parser.ipv4().headerLength()), ByteOrder.BIG_ENDIAN);
        final int l4 = parser.l4Offset();
        buffer.putByte(l4 + IcmpHeader.TYPE_OFFSET, (byte)IcmpHeader.TYPE_ECHO_REPLY);
        buffer.putShort(l4 + IcmpHeader.CHECKSUM_OFFSET, (short)0);
        buffer.putShort(l4 + IcmpHeader.CHECKSUM_OFFSET,
            (short)Checksum.compute(buffer, l4, parser.l4Length()), ByteOrder.BIG_ENDIAN);
        buffer.setMemory(offset, VnetHeader.LENGTH, (byte)0); // finished checksums, no GSO
        counters.increment(RouterCounter.ICMP_ECHO_REPLIES);
        emit(iface, buffer, offset, length);
    }

    // ------------------------------------------------------------------------------------------------ ARP

    private void sendArp(final int iface, final int operation, final long ethDestination, final long targetMac,
        final int targetIp)
    {
        final UnsafeBuffer f = arpFrame;
        f.setMemory(0, f.capacity(), (byte)0);
        final int eth = VnetHeader.LENGTH;
        MacAddress.write(f, eth + EthernetHeader.DESTINATION_OFFSET, ethDestination);
        MacAddress.write(f, eth + EthernetHeader.SOURCE_OFFSET, ifMac[iface]);
        f.putShort(eth + EthernetHeader.TYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_ARP, ByteOrder.BIG_ENDIAN);
        final int arp = eth + EthernetHeader.HEADER_LENGTH;
        f.putShort(arp + ArpHeader.HTYPE_OFFSET, (short)ArpHeader.HTYPE_ETHERNET, ByteOrder.BIG_ENDIAN);
        f.putShort(arp + ArpHeader.PTYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        f.putByte(arp + ArpHeader.HLEN_OFFSET, (byte)MacAddress.LENGTH);
        f.putByte(arp + ArpHeader.PLEN_OFFSET, (byte)4);
        f.putShort(arp + ArpHeader.OPER_OFFSET, (short)operation, ByteOrder.BIG_ENDIAN);
        MacAddress.write(f, arp + ArpHeader.SHA_OFFSET, ifMac[iface]);
        f.putInt(arp + ArpHeader.SPA_OFFSET, ifIp[iface], ByteOrder.BIG_ENDIAN);
        MacAddress.write(f, arp + ArpHeader.THA_OFFSET, targetMac);
        f.putInt(arp + ArpHeader.TPA_OFFSET, targetIp, ByteOrder.BIG_ENDIAN);
        emit(iface, f, 0, f.capacity());
    }

    private void requestIfDue(final int slot, final int iface, final int ip)
    {
        final int sent = neighbours.requests(slot);
        if (sent == 0 || (sent < ARP_MAX_REQUESTS && now - neighbours.lastRequest(slot) >= ARP_RETRY_NANOS))
        {
            neighbours.requested(slot, now);
            sendArp(iface, ArpHeader.OPER_REQUEST, MacAddress.BROADCAST, 0, ip);
            counters.increment(RouterCounter.ARP_REQUESTS_SENT);
        }
    }

    private void hold(final int iface, final int ip, final MutableDirectBuffer buffer, final int offset,
        final int length)
    {
        if (length > PENDING_SLOT_LENGTH || pendingCount == PENDING_SLOTS)
        {
            counters.increment(RouterCounter.DROP_ARP_QUEUE_FULL);
            return;
        }
        for (int i = 0; i < PENDING_SLOTS; i++)
        {
            if (pendingLength[i] == 0)
            {
                pendingFrames.putBytes(i * PENDING_SLOT_LENGTH, buffer, offset, length);
                pendingIface[i] = iface;
                pendingIngress[i] = ingress;
                pendingIp[i] = ip;
                pendingLength[i] = length;
                pendingDeadline[i] = now + PENDING_TIMEOUT_NANOS;
                pendingCount++;
                return;
            }
        }
    }

    private void releasePending(final int iface, final int ip, final long mac)
    {
        for (int i = 0; i < PENDING_SLOTS && pendingCount > 0; i++)
        {
            if (pendingLength[i] != 0 && pendingIface[i] == iface && pendingIp[i] == ip)
            {
                final int offset = i * PENDING_SLOT_LENGTH;
                final int eth = offset + VnetHeader.LENGTH;
                MacAddress.write(pendingFrames, eth + EthernetHeader.DESTINATION_OFFSET, mac);
                MacAddress.write(pendingFrames, eth + EthernetHeader.SOURCE_OFFSET, ifMac[iface]);
                final int length = pendingLength[i];
                pendingLength[i] = 0;
                pendingCount--;
                emit(iface, pendingFrames, offset, length);
            }
        }
    }

    private int servicePending()
    {
        int work = 0;
        for (int i = 0; i < PENDING_SLOTS; i++)
        {
            if (pendingLength[i] == 0)
            {
                continue;
            }
            if (pendingDeadline[i] - now <= 0)
            {
                final int length = pendingLength[i];
                pendingLength[i] = 0;
                pendingCount--;
                counters.increment(RouterCounter.DROP_ARP_UNRESOLVED);
                forgetFailed(pendingIface[i], pendingIp[i]);
                hostUnreachable(i, length);
                work++;
                continue;
            }
            final int slot = neighbours.find(pendingIface[i], pendingIp[i]);
            if (slot != NeighbourTable.NOT_FOUND && neighbours.mac(slot) == NeighbourTable.UNRESOLVED)
            {
                requestIfDue(slot, pendingIface[i], pendingIp[i]);
            }
        }
        return work;
    }

    /** A neighbour that never answered is forgotten at once, so the next packet for it starts a new resolution. */
    private void forgetFailed(final int iface, final int ip)
    {
        final int slot = neighbours.find(iface, ip);
        if (slot != NeighbourTable.NOT_FOUND && neighbours.mac(slot) == NeighbourTable.UNRESOLVED &&
            neighbours.requests(slot) >= ARP_MAX_REQUESTS)
        {
            neighbours.remove(slot);
        }
    }

    /** A unicast ARP request to a stale neighbour's known MAC (Linux's PROBE state). */
    private void probe(final int iface, final int ip, final long mac)
    {
        sendArp(iface, ArpHeader.OPER_REQUEST, mac, 0, ip);
        counters.increment(RouterCounter.ARP_REQUESTS_SENT);
    }

    // ------------------------------------------------------------------------------------------------ timers

    private void onExpired(final int record)
    {
        counters.increment(RouterCounter.NAT_EXPIRED);
    }

    private void expireNow(final int record)
    {
        onExpired(record);
        conns.remove(record);
        counters.setConnections(conns.size());
    }

    // ------------------------------------------------------------------------------------------------ configuration

    /** Command: the bridge domain's gateway; {@code legPort} is its virtual port (MAC static on it). */
    public void addLeg(final int bridgeDomainId, final int legPort, final long mac, final int ip,
        final int prefixLength, final boolean internal)
    {
        if (bridgeDomainId <= 0 || bridgeDomainId >= HOST)
        {
            throw new IllegalArgumentException("bridge domain " + bridgeDomainId);
        }
        if (ifPort[bridgeDomainId] != 0)
        {
            throw new IllegalArgumentException("bridge domain " + bridgeDomainId + " already has a gateway");
        }
        setInterface(bridgeDomainId, legPort, mac, ip, prefixLength);
        ifInternal[bridgeDomainId] = internal;
        final int[] newLegs = Arrays.copyOf(legs, legs.length + 1);
        newLegs[legs.length] = bridgeDomainId;
        legs = newLegs;
    }

    /** Command: removes the gateway, its neighbours and the connections of its subnet. */
    public void removeLeg(final int bridgeDomainId)
    {
        if (bridgeDomainId <= 0 || bridgeDomainId >= HOST || ifPort[bridgeDomainId] == 0)
        {
            throw new IllegalArgumentException("bridge domain " + bridgeDomainId + " has no gateway");
        }
        final int net = ifIp[bridgeDomainId] & ifMask[bridgeDomainId];
        final int mask = ifMask[bridgeDomainId];
        legs = Arrays.stream(legs).filter(l -> l != bridgeDomainId).toArray();
        removeConnections((record) ->
            (ConnTable.sourceIp(conns.tupleA(record, 0)) & mask) == net ||
            (ConnTable.sourceIp(conns.tupleA(record, 1)) & mask) == net);
        clearInterface(bridgeDomainId);
    }

    /** Command: the uplink (a routed port) with the address jvs answers and masquerades to. */
    public void setUplink(final int port, final long mac, final int ip, final int prefixLength, final int gateway)
    {
        if (ifPort[UPLINK] != 0)
        {
            throw new IllegalArgumentException("an uplink is already set");
        }
        setInterface(UPLINK, port, mac, ip, prefixLength);
        uplinkGateway = gateway;
    }

    public void clearUplink()
    {
        if (ifPort[UPLINK] == 0)
        {
            throw new IllegalArgumentException("no uplink");
        }
        final int ip = ifIp[UPLINK];
        removeConnections((record) -> ConnTable.destinationIp(conns.tupleA(record, 1)) == ip ||
            ConnTable.destinationIp(conns.tupleA(record, 0)) == ip);
        clearInterface(UPLINK);
        uplinkGateway = 0;
    }

    /** Command: the host port (a routed port, TAP in the host namespace); {@code ip} is the router's side. */
    public void setHost(final int port, final long mac, final int ip, final int prefixLength)
    {
        if (ifPort[HOST] != 0)
        {
            throw new IllegalArgumentException("a host port is already set");
        }
        setInterface(HOST, port, mac, ip, prefixLength);
    }

    public void clearHost()
    {
        if (ifPort[HOST] == 0)
        {
            throw new IllegalArgumentException("no host port");
        }
        final int ip = ifIp[HOST];
        final int mask = ifMask[HOST];
        removeConnections((record) -> (ConnTable.sourceIp(conns.tupleA(record, 0)) & mask) == (ip & mask) ||
            ConnTable.destinationIp(conns.tupleA(record, 0)) == ip);
        clearInterface(HOST);
    }

    private void setInterface(final int iface, final int port, final long mac, final int ip, final int prefixLength)
    {
        if (port <= 0 || port >= SwitchCounters.MAX_PORTS)
        {
            throw new IllegalArgumentException("port " + port);
        }
        if (!MacAddress.isValidSource(mac))
        {
            throw new IllegalArgumentException("router MAC must be unicast: " + MacAddress.toString(mac));
        }
        if (prefixLength < 1 || prefixLength > 32)
        {
            throw new IllegalArgumentException("prefix length " + prefixLength);
        }
        ifPort[iface] = port;
        ifMac[iface] = mac;
        ifIp[iface] = ip;
        ifMask[iface] = (int)(0xFFFF_FFFFL << (32 - prefixLength));
        ifMtu[iface] = DEFAULT_MTU;
        portIface[port] = iface + 1;
    }

    /** Command: the largest IPv4 packet {@code iface} ({@link #UPLINK}, {@link #HOST} or a leg) sends. */
    public void setMtu(final int iface, final int mtu)
    {
        if (iface < 0 || iface >= INTERFACES || ifPort[iface] == 0)
        {
            throw new IllegalArgumentException("interface " + iface + " is not set");
        }
        if (mtu < MIN_MTU || mtu > 0xFFFF)
        {
            throw new IllegalArgumentException("mtu=" + mtu);
        }
        ifMtu[iface] = mtu;
    }

    public int mtu(final int iface)
    {
        return ifMtu[iface];
    }

    private void clearInterface(final int iface)
    {
        portIface[ifPort[iface]] = 0;
        ifPort[iface] = 0;
        ifMac[iface] = 0;
        ifIp[iface] = 0;
        ifMask[iface] = 0;
        ifInternal[iface] = false;
        ifMtu[iface] = 0;
        neighbours.flushInterface(iface);
        for (int i = 0; i < PENDING_SLOTS; i++)
        {
            if (pendingLength[i] != 0 && pendingIface[i] == iface)
            {
                pendingLength[i] = 0;
                pendingCount--;
            }
        }
    }

    /** Command: publishes ports; nothing changes if one is taken. */
    public void publish(final int rule, final int protocol, final int hostFirst, final int hostLast,
        final int targetIp, final int targetFirst)
    {
        final int pi = PublishedPorts.index(protocol);
        if (pi < 0)
        {
            throw new IllegalArgumentException("only TCP and UDP ports can be published, not protocol " + protocol);
        }
        published.add(rule, pi, hostFirst, hostLast, targetIp, targetFirst);
    }

    /** Command: revokes published ports and removes the connections they created at once. @return removed. */
    public int unpublish(final int protocol, final int hostFirst, final int hostLast)
    {
        final int pi = PublishedPorts.index(protocol);
        published.remove(pi, hostFirst, hostLast);
        return removeConnections((record) ->
        {
            if ((conns.flags(record) & ConnState.FLAG_DNAT) == 0)
            {
                return false;
            }
            final long b = conns.tupleB(record, 0);
            final int port = ConnTable.destinationPort(b);
            return ConnTable.protocol(b) == protocol && port >= hostFirst && port <= hostLast;
        });
    }

    @FunctionalInterface
    private interface RecordFilter
    {
        boolean test(int record);
    }

    private int removeConnections(final RecordFilter filter)
    {
        int removed = 0;
        for (int r = 0; r < conns.capacity(); r++)
        {
            if (conns.inUse(r) && filter.test(r))
            {
                conns.remove(r);
                removed++;
            }
        }
        counters.setConnections(conns.size());
        return removed;
    }

    /** Command: the live translations (allocates). */
    public List<NatEntry> snapshot(final long nowNanos)
    {
        final List<NatEntry> entries = new ArrayList<>(conns.size());
        for (int r = 0; r < conns.capacity(); r++)
        {
            if (!conns.inUse(r) || conns.isExpired(r, nowNanos))
            {
                continue;
            }
            final long b = conns.tupleB(r, 0);
            final int flags = conns.flags(r);
            final int protocol = ConnTable.protocol(b);
            final String kind = (flags & ConnState.FLAG_DNAT) != 0 ?
                ((flags & ConnState.FLAG_SNAT) != 0 ? "hairpin" : "dnat") : "snat";
            entries.add(new NatEntry(
                protocol == Ipv4Header.PROTOCOL_TCP ? "tcp" : protocol == Ipv4Header.PROTOCOL_UDP ? "udp" : "icmp",
                kind, ConnState.name(conns.state(r)),
                tuple(conns.tupleA(r, 0), b), tuple(conns.tupleA(r, 1), conns.tupleB(r, 1)),
                Math.max(0, conns.expiresInNanos(r, nowNanos) / 1_000_000_000L),
                conns.packets(r, 0), conns.packets(r, 1)));
        }
        return entries;
    }

    private static String tuple(final long a, final long b)
    {
        return Ipv4Addresses.format(ConnTable.sourceIp(a)) + ":" + ConnTable.sourcePort(b) + " -> " +
            Ipv4Addresses.format(ConnTable.destinationIp(a)) + ":" + ConnTable.destinationPort(b);
    }

    /** Command: the ARP cache as "iface ip mac" lines (allocates). */
    public List<String> neighbourSnapshot()
    {
        final List<String> lines = new ArrayList<>();
        neighbours.forEach((iface, ip, mac) -> lines.add(
            (iface == UPLINK ? "uplink" : iface == HOST ? "host" : "bd" + iface) + " " + Ipv4Addresses.format(ip) +
            " " + (mac == NeighbourTable.UNRESOLVED ? "incomplete" : MacAddress.toString(mac))));
        return lines;
    }

    public int connections()
    {
        return conns.size();
    }

    /** For tests: from how many connections on {@link #endBatch} looks the batch up at once. */
    void batchLookupMinConnections(final int connections)
    {
        batchLookupMinConnections = connections;
    }

    /** For tests and benchmarks driving the router directly. */
    ConnTable connTable()
    {
        return conns;
    }
}
