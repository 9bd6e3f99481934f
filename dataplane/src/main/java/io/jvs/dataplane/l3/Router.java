package io.jvs.dataplane.l3;

import io.jvs.dataplane.engine.L3Handler;
import io.jvs.dataplane.engine.L3Output;
import io.jvs.dataplane.nat.ConnTable;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.nat.NatEntry;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.FrameParser;
import io.jvs.dataplane.parse.IcmpHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.parse.ParseResult;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The router and NAT of the switch: the per-packet pipeline, wiring its parts. IPv6 goes to {@link Ipv6Router}
 * (gateways, host link, neighbor discovery, ICMPv6; no NAT66 yet); the rest of this comment is the IPv4 path. Runs on the forwarding thread;
 * no allocation, no locks per packet.
 * <p>
 * Interfaces, by index ({@link Interfaces}):
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
 *   LEG       the same LEG           routed back, unless the network has inter-container communication off
 *   HOST      LEG                    routed as is (internal networks too)
 *   any       uplink/host address    published port -> DNAT to the container (from a LEG also SNAT: hairpin)
 *   any       router address         ICMP echo answered; anything else dropped
 *   UPLINK    anything else          dropped unless it belongs to a tracked connection
 * </pre>
 * Per IPv4 packet: parse; a TCP/UDP/ICMP-echo packet of a tracked connection ({@link NatEngine}) is translated
 * ({@link NatTranslator}: addresses, ports, RFC 1624 checksum updates, CHECKSUM_PARTIAL aware) and routed; ICMP
 * errors about a tracked connection are translated back to the inner flow; else the table above. Routing
 * decrements the TTL, resolves the next hop by ARP ({@link NeighbourResolver}: up to {@link #PENDING_SLOTS}
 * packets wait for an answer) and rewrites the Ethernet header. TTL expiry, no route, failed ARP, UDP to a router
 * address and DF packets over the egress MTU get ICMP errors ({@link IcmpErrorSender}, RFC 1812 rules,
 * rate-limited), sent back out of the ingress interface.
 * <p>
 * Configuration methods ({@code addLeg}, {@code publish}, ...) must run on the forwarding thread too (as
 * commands); they may allocate.
 */
public final class Router implements L3Handler
{
    public static final int UPLINK = Interfaces.UPLINK;
    public static final int HOST = Interfaces.HOST;

    public static final int PENDING_SLOTS = NeighbourResolver.PENDING_SLOTS;
    /** Packets longer than this ([vnet hdr][frame]) are not held while resolving; they are dropped. */
    public static final int PENDING_SLOT_LENGTH = NeighbourResolver.PENDING_SLOT_LENGTH;
    public static final long ARP_RETRY_NANOS = NeighbourResolver.ARP_RETRY_NANOS;
    public static final int ARP_MAX_REQUESTS = NeighbourResolver.ARP_MAX_REQUESTS;
    public static final long PENDING_TIMEOUT_NANOS = NeighbourResolver.PENDING_TIMEOUT_NANOS;
    public static final int NEIGHBOUR_CAPACITY = NeighbourResolver.NEIGHBOUR_CAPACITY;
    public static final int LOCAL_TTL = 64;
    /** Egress MTU of an interface until set from the device ({@link #setMtu}); legs keep it (Docker's default). */
    public static final int DEFAULT_MTU = Interfaces.DEFAULT_MTU;
    /** RFC 791: every IPv4 module must forward 68 bytes unfragmented. */
    public static final int MIN_MTU = Interfaces.MIN_MTU;
    /** Linux's defaults: net.ipv4.icmp_msgs_per_sec 1000, icmp_msgs_burst 50. */
    public static final int ICMP_ERRORS_PER_SECOND = IcmpErrorSender.ERRORS_PER_SECOND;
    public static final int ICMP_ERRORS_BURST = IcmpErrorSender.ERRORS_BURST;

    /** Frames queued ({@link #queueFrame}) before {@link #endBatch()} handles them; more end the batch early. */
    public static final int MAX_BATCH = FlowBatch.MAX_BATCH;
    /**
     * Below this many connections the table stays in the caches and the batch lookups cost more than they save
     * (2-core Xeon VM, ns per packet, batch with lookups vs one call per packet: 82 vs 77 at 30k connections, 88 vs
     * 96 at 60k, 87 vs 114 at 100k; at 1k the lookup passes add ~10 to a batch).
     */
    public static final int BATCH_LOOKUP_MIN_CONNECTIONS = 32768;

    private final NatConfig natConfig;
    private final RouterCounters counters;
    private final FrameParser parser = new FrameParser();
    private final Interfaces interfaces = new Interfaces();
    private final Transmitter transmitter;
    private final NeighbourResolver resolver;
    private final IcmpErrorSender icmpErrors;
    private final EgressAdmission admission;
    private final EchoResponder echo;
    private final NatEngine nat;
    private final NatTranslator translator;
    private final Ipv6Router ipv6;
    private final FlowBatch batch = new FlowBatch();
    private int batchLookupMinConnections = BATCH_LOOKUP_MIN_CONNECTIONS;
    /** Interface of the packet being processed: ICMP errors about it leave there, from its address. */
    private int ingress;
    private long now;
    /**
     * The two counters every forwarded packet bumps, added up in plain fields and published ({@link #publishCounts})
     * once per batch, per single frame and per duty cycle: each {@link RouterCounters} write is a release store.
     */
    private long routed;
    private long translated;
    private boolean inBatch;
    /** Legs (by bridge domain) whose containers may not reach each other, not even routed through the gateway. */
    private final boolean[] noInterContainer = new boolean[Interfaces.HOST];

    public Router(final NatConfig natConfig, final RouterCounters counters)
    {
        natConfig.validate();
        this.natConfig = natConfig;
        this.counters = counters;
        this.transmitter = new Transmitter(interfaces, counters);
        this.resolver = new NeighbourResolver(interfaces, transmitter, counters, this::hostUnreachable);
        this.icmpErrors = new IcmpErrorSender(parser, interfaces, transmitter, counters);
        this.admission = new EgressAdmission(parser, interfaces, counters, icmpErrors);
        this.echo = new EchoResponder(parser, interfaces, transmitter, counters);
        this.nat = new NatEngine(natConfig, counters, parser, interfaces);
        this.translator = new NatTranslator(parser, counters, nat);
        this.ipv6 = new Ipv6Router(natConfig, parser, interfaces, transmitter, counters, admission, noInterContainer);
    }

    public void output(final L3Output output)
    {
        transmitter.output(output);
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
        final int iface = interfaces.ofPort(legPort);
        if (Interfaces.isLeg(iface))
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
        final int iface = interfaces.ofPort(port);
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
        ipv6.publishCounts();
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
        if (batch.isFull())
        {
            endBatch();
        }
        batch.add(routed, port, buffer, offset, length);
    }

    /**
     * Handles the queued frames in order. With at least {@link #BATCH_LOOKUP_MIN_CONNECTIONS} connections, their
     * connection lookups first, all at once ({@link FlowBatch#lookUp}); then every frame in order through the
     * ordinary per-frame path, which takes the looked-up connection if the frame's parsed key is the one looked up
     * and the answer still holds (an earlier frame of the batch may have created or removed connections), else
     * looks it up again.
     */
    public void endBatch()
    {
        final int count = batch.count();
        if (count == 0)
        {
            return;
        }
        final ConnTable conns = nat.conns();
        final boolean lookups = conns.size() >= batchLookupMinConnections;
        if (lookups)
        {
            batch.lookUp(conns);
        }
        inBatch = true;
        try
        {
            for (int i = 0; i < count; i++)
            {
                batch.current(lookups ? i : -1);
                if (batch.isRouted(i))
                {
                    onRoutedFrame(batch.port(i), batch.buffer(i), batch.offset(i), batch.length(i));
                }
                else
                {
                    onBridgedFrame(batch.port(i), batch.buffer(i), batch.offset(i), batch.length(i));
                }
            }
        }
        finally
        {
            batch.clear();
            inBatch = false;
            publishCounts();
        }
    }

    public int doWork(final long nowNanos)
    {
        now = nowNanos;
        int work = nat.expire(nowNanos);
        work += resolver.doWork(nowNanos);
        work += ipv6.doWork(nowNanos);
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
        final boolean toUs = destination == interfaces.mac(iface);
        if (!toUs && !MacAddress.isBroadcast(destination) && !Ipv6Addresses.isMulticastMac(destination))
        {
            return; // a copy of someone else's unknown-unicast flood
        }
        if (result != ParseResult.OK)
        {
            counters.increment(RouterCounter.malformed(parser.failedLayer()));
            return;
        }
        if (parser.vlanCount() != 0)
        {
            counters.increment(RouterCounter.DROP_VLAN);
            return;
        }
        if (parser.has(FrameParser.LAYER_ARP))
        {
            resolver.onArp(iface, parser.arp(), now);
            return;
        }
        if (parser.has(FrameParser.LAYER_IPV6))
        {
            ipv6.onPacket(iface, buffer, offset, length, toUs, now); // neighbor discovery comes by multicast
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
        if (!interfaces.has(iface, Interfaces.FAMILY_IPV4))
        {
            counters.increment(RouterCounter.DROP_NO_ADDRESS_FAMILY); // a leg with an IPv6 gateway only
            return;
        }
        onIpv4(iface, buffer, offset, length);
    }

    private void onIpv4(final int iface, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        // Few wide reads (each is bounds-checked): both addresses in one, both ports in one; protocol as parsed.
        // In a batch with lookups the flow key pass has read both already (FlowBatch#isKeyed).
        final boolean keyed = batch.isKeyed();
        final long addresses = keyed ? batch.addresses() :
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
                final int ports = keyed ? batch.ports() : buffer.getInt(parser.l4Offset(), ByteOrder.BIG_ENDIAN);
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
                else if (isIcmpError(type) && onIcmpError(buffer, offset, length, src))
                {
                    return;
                }
            }
        }

        if (trackable)
        {
            final int handle = nat.live(batch.lookup(nat.conns(), ConnTable.keyA(src, dst),
                ConnTable.keyB(protocol, sport, dport)), now);
            if (handle != ConnTable.NOT_FOUND)
            {
                translateAndForward(handle, buffer, offset, length, protocol, src, sport, dst, dport);
                return;
            }
        }

        if (interfaces.isRouterAddress(dst))
        {
            toRouter(iface, buffer, offset, length, trackable, echoRequest, protocol, src, sport, dst, dport);
            return;
        }

        final int egress = interfaces.egressFor(dst);
        if (egress < 0)
        {
            counters.increment(RouterCounter.DROP_NO_ROUTE);
            sendError(buffer, offset, IcmpErrors.TYPE_DEST_UNREACHABLE, IcmpErrors.CODE_NET_UNREACHABLE, 0);
            return;
        }
        if (Interfaces.isLeg(iface))
        {
            if (egress == UPLINK)
            {
                if (interfaces.isInternal(iface))
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
            if (egress == iface && noInterContainer[iface])
            {
                counters.increment(RouterCounter.DROP_ICC);
                return;
            }
        }
        else if (iface != HOST || !Interfaces.isLeg(egress))
        {
            counters.increment(RouterCounter.DROP_NO_ROUTE);
            return;
        }
        forward(egress, buffer, offset, length, dst);
    }

    private static boolean isIcmpError(final int type)
    {
        return type == IcmpErrors.TYPE_DEST_UNREACHABLE || type == IcmpErrors.TYPE_TIME_EXCEEDED ||
            type == IcmpErrors.TYPE_PARAMETER_PROBLEM;
    }

    /** A packet to one of the router's addresses: a published port, a ping, else dropped. */
    private void toRouter(final int iface, final MutableDirectBuffer buffer, final int offset, final int length,
        final boolean trackable, final boolean echoRequest, final int protocol, final int src, final int sport,
        final int dst, final int dport)
    {
        if (trackable && !echoRequest && interfaces.isPublicAddress(dst))
        {
            final int handle = nat.dnat(Interfaces.isLeg(iface), protocol, src, sport, dst, dport, now);
            if (handle != NatEngine.NOT_PUBLISHED)
            {
                if (handle != ConnTable.NOT_FOUND)
                {
                    translateAndForward(handle, buffer, offset, length, protocol, src, sport, dst, dport);
                }
                return;
            }
        }
        if (echoRequest)
        {
            echo.reply(iface, buffer, offset, length, src, dst);
            return;
        }
        if (parser.has(FrameParser.LAYER_UDP))
        {
            sendError(buffer, offset, IcmpErrors.TYPE_DEST_UNREACHABLE, IcmpErrors.CODE_PORT_UNREACHABLE, 0);
        }
        counters.increment(dst == interfaces.ip(UPLINK) && interfaces.isSet(UPLINK) ?
            RouterCounter.DROP_NAT_MISS : RouterCounter.DROP_TO_ROUTER);
    }

    // ------------------------------------------------------------------------------------------------ NAT

    private void snat(final MutableDirectBuffer buffer, final int offset, final int length, final int protocol,
        final int src, final int sport, final int dst, final int dport)
    {
        if (!admission.admit(UPLINK, ingress, buffer, offset, now))
        {
            return; // before a connection is made for it (traceroute's probes)
        }
        final int handle = nat.snat(protocol, src, sport, dst, dport, now);
        if (handle != ConnTable.NOT_FOUND)
        {
            translateAndForward(handle, buffer, offset, length, protocol, src, sport, dst, dport);
        }
    }

    private void translateAndForward(final int handle, final MutableDirectBuffer buffer, final int offset,
        final int length, final int protocol, final int src, final int sport, final int dst, final int dport)
    {
        final int egress = nat.route(handle);
        if (egress < 0)
        {
            return;
        }
        if (!admission.admit(egress, ingress, buffer, offset, now))
        {
            return; // an ICMP error must quote the packet as its sender sent it: checked before the rewrite
        }
        final NatTuple to = nat.reverse();
        if (!translator.rewrite(buffer, offset, protocol, src, sport, dst, dport, to))
        {
            return;
        }
        nat.translated(handle, protocol, now);
        translated++;
        routed++;
        send(egress, interfaces.nextHop(egress, to.dst()), buffer, offset, length); // TTL decremented by rewrite
    }

    /**
     * An ICMP error about a tracked connection is translated back to the inner flow and routed.
     *
     * @return true if handled (translated or dropped), false to route it as an ordinary packet.
     */
    private boolean onIcmpError(final MutableDirectBuffer buffer, final int offset, final int length, final int src)
    {
        final int egress = translator.translateIcmpError(buffer, offset, src);
        if (egress == NatTranslator.NOT_TRACKED)
        {
            return false;
        }
        if (egress >= 0)
        {
            forward(egress, buffer, offset, length, nat.reverse().dst());
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------------ routing

    private void forward(final int egress, final MutableDirectBuffer buffer, final int offset, final int length,
        final int dst)
    {
        if (!admission.admit(egress, ingress, buffer, offset, now))
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
        send(egress, interfaces.nextHop(egress, dst), buffer, offset, length);
    }

    private void send(final int egress, final int nextHop, final MutableDirectBuffer buffer, final int offset,
        final int length)
    {
        resolver.send(egress, nextHop, ingress, buffer, offset, length, now);
    }

    // ------------------------------------------------------------------------------------------------ local answers

    /** An ICMP error about the parsed packet, back out of the interface it came in on, to the MAC it came from. */
    private void sendError(final MutableDirectBuffer buffer, final int offset, final int type, final int code,
        final int mtu)
    {
        icmpErrors.send(ingress, buffer, offset, type, code, mtu, now);
    }

    /**
     * Host unreachable about a held packet whose next hop never answered ARP. The packet may already be translated
     * (NAT): the error then goes back the way the NAT's own ICMP errors do, translated to the inner flow.
     */
    private void hostUnreachable(final int from, final MutableDirectBuffer frames, final int base, final int length)
    {
        ingress = from;
        if (!interfaces.isSet(ingress) ||
            parser.parse(frames, base + VnetHeader.LENGTH, length - VnetHeader.LENGTH) != ParseResult.OK ||
            !parser.has(FrameParser.LAYER_IPV4))
        {
            return;
        }
        final int errorLength = icmpErrors.build(
            ingress, frames, base, IcmpErrors.TYPE_DEST_UNREACHABLE, IcmpErrors.CODE_HOST_UNREACHABLE, 0, now);
        if (errorLength == 0)
        {
            return;
        }
        final UnsafeBuffer error = icmpErrors.frame();
        if (parser.parse(error, VnetHeader.LENGTH, errorLength - VnetHeader.LENGTH) == ParseResult.OK &&
            !onIcmpError(error, 0, errorLength, interfaces.ip(ingress)) &&
            !interfaces.isRouterAddress(parser.ipv4().destination()))
        {
            transmitter.emit(ingress, error, 0, errorLength);
        }
    }

    // ------------------------------------------------------------------------------------------------ configuration

    /** Command: the bridge domain's gateway; {@code legPort} is its virtual port (MAC static on it). */
    public void addLeg(final int bridgeDomainId, final int legPort, final long mac, final int ip,
        final int prefixLength, final boolean internal)
    {
        interfaces.addLeg(bridgeDomainId, legPort, mac, ip, prefixLength, internal);
    }

    /** Command: whether containers of the bridge domain may reach each other through its gateway. */
    public void setInterContainer(final int bridgeDomainId, final boolean allowed)
    {
        if (bridgeDomainId <= 0 || bridgeDomainId >= Interfaces.HOST)
        {
            throw new IllegalArgumentException("bridge domain " + bridgeDomainId);
        }
        noInterContainer[bridgeDomainId] = !allowed;
    }

    /** Command: removes the gateway, its neighbours and the connections of its subnet. */
    public void removeLeg(final int bridgeDomainId)
    {
        interfaces.checkLeg(bridgeDomainId);
        final int mask = interfaces.mask(bridgeDomainId);
        nat.removeSubnet(interfaces.ip(bridgeDomainId) & mask, mask);
        interfaces.removeLeg(bridgeDomainId);
        resolver.forget(bridgeDomainId);
    }

    /** Command: the uplink (a routed port) with the address jvs answers and masquerades to. */
    public void setUplink(final int port, final long mac, final int ip, final int prefixLength, final int gateway)
    {
        interfaces.setUplink(port, mac, ip, prefixLength, gateway);
    }

    public void clearUplink()
    {
        interfaces.checkUplink();
        ipv6.clearUplink();
        nat.removeUplinkAddress(interfaces.ip(UPLINK));
        interfaces.clearUplink();
        resolver.forget(UPLINK);
    }

    /** Command: the host port (a routed port, TAP in the host namespace); {@code ip} is the router's side. */
    public void setHost(final int port, final long mac, final int ip, final int prefixLength)
    {
        interfaces.setHost(port, mac, ip, prefixLength);
    }

    public void clearHost()
    {
        interfaces.checkHost();
        ipv6.clearHost();
        nat.removeHostLink(interfaces.ip(HOST), interfaces.mask(HOST));
        interfaces.clearHost();
        resolver.forget(HOST);
    }

    /**
     * Command: the bridge domain's IPv6 gateway {@code high:low/prefixLength} (and its link-local address from
     * {@code mac}); {@code legPort} is the domain's leg, the one its IPv4 gateway has if it has one.
     */
    public void addIpv6Leg(final int bridgeDomainId, final int legPort, final long mac, final long high,
        final long low, final int prefixLength)
    {
        ipv6.addLeg(bridgeDomainId, legPort, mac, high, low, prefixLength);
    }

    /** Command: removes the IPv6 gateway and its neighbours; the leg stays while the IPv4 gateway does. */
    public void removeIpv6Leg(final int bridgeDomainId)
    {
        ipv6.removeLeg(bridgeDomainId);
    }

    /**
     * Command: the uplink's IPv6 address, which networks are masqueraded to (NAT66), and its gateway for destinations
     * off its prefix ({@code 0, 0} for none). The uplink must be set.
     */
    public void setUplinkIpv6(final long high, final long low, final int prefixLength, final long gatewayHigh,
        final long gatewayLow)
    {
        ipv6.setUplink(high, low, prefixLength, gatewayHigh, gatewayLow);
    }

    public void clearUplinkIpv6()
    {
        ipv6.clearUplink();
    }

    /** IPv6 connections masqueraded to the uplink. */
    public int ipv6Connections()
    {
        return ipv6.connections();
    }

    /** Command: the router's IPv6 address on the host link (the host port must be set). */
    public void setHostIpv6(final long high, final long low, final int prefixLength)
    {
        ipv6.setHost(high, low, prefixLength);
    }

    public void clearHostIpv6()
    {
        ipv6.clearHost();
    }

    /** Command: the largest IPv4 or IPv6 packet {@code iface} ({@link #UPLINK}, {@link #HOST} or a leg) sends. */
    public void setMtu(final int iface, final int mtu)
    {
        interfaces.setMtu(iface, mtu);
    }

    public int mtu(final int iface)
    {
        return interfaces.mtu(iface);
    }

    /** Command: publishes ports; nothing changes if one is taken. */
    public void publish(final int rule, final int protocol, final int hostFirst, final int hostLast,
        final int targetIp, final int targetFirst)
    {
        nat.publish(rule, protocol, hostFirst, hostLast, targetIp, targetFirst);
    }

    /** Command: revokes published ports and removes the connections they created at once. @return removed. */
    public int unpublish(final int protocol, final int hostFirst, final int hostLast)
    {
        return nat.unpublish(protocol, hostFirst, hostLast);
    }

    /** Command: the live translations (allocates). */
    public List<NatEntry> snapshot(final long nowNanos)
    {
        return nat.snapshot(nowNanos);
    }

    /** Command: the ARP cache as "iface ip mac" lines (allocates). */
    public List<String> neighbourSnapshot()
    {
        final List<String> lines = new ArrayList<>(resolver.snapshot());
        lines.addAll(ipv6.resolver().snapshot());
        return lines;
    }

    public int connections()
    {
        return nat.conns().size();
    }

    /** For tests: from how many connections on {@link #endBatch} looks the batch up at once. */
    void batchLookupMinConnections(final int connections)
    {
        batchLookupMinConnections = connections;
    }

    /** For tests and benchmarks driving the router directly. */
    ConnTable connTable()
    {
        return nat.conns();
    }
}
