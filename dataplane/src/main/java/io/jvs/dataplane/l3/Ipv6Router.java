package io.jvs.dataplane.l3;

import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.FrameParser;
import io.jvs.dataplane.parse.IcmpHeader;
import io.jvs.dataplane.parse.Ipv6Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The router's IPv6 path, per packet the {@link Router} has parsed: neighbor discovery and echo for its own
 * addresses, forwarding between a network's gateway and the host link, masquerade (NAT66, {@link Nat66}) to the
 * uplink when it has an IPv6 address, ICMPv6 errors.
 * <pre>
 *   from      to                       what happens
 *   LEG       HOST link prefix         routed (hop limit - 1)
 *   LEG       the same LEG's prefix    routed back, unless the network has inter-container communication off
 *   LEG       other LEG                dropped drop_no_route, silently (networks are isolated)
 *   HOST      LEG prefix               routed
 *   any       a router address         echo answered; NS/NA/RS handled; UDP: port unreachable; else dropped
 *   LEG       anything else            NAT66 to the uplink's address if it has one (not internal networks), else
 *                                      destination unreachable (no route); link-local is never forwarded
 *   UPLINK    uplink address           replies of masqueraded connections back to their sandbox; echo, NDP
 *   UPLINK    anything else            dropped
 * </pre>
 * Hop limit 1 or less: time exceeded. Larger than the egress MTU (a GSO frame measured by its segments): packet too
 * big with that MTU; IPv6 routers never fragment. Forwarding thread only; no allocation per packet.
 */
final class Ipv6Router
{
    private final FrameParser parser;
    private final Interfaces interfaces;
    private final Ipv6Interfaces ipv6;
    private final Transmitter transmitter;
    private final RouterCounters counters;
    private final EgressAdmission admission;
    private final Ipv6NeighbourResolver resolver;
    private final Icmpv6ErrorSender errors;
    private final Nat66 nat;
    /** The router's own table of legs without inter-container communication (shared, read only here). */
    private final boolean[] noInterContainer;
    private int ingress;
    private long now;
    /** Forwarded packets, published with the router's other per-batch counts ({@link #publishCounts}). */
    private long routed;

    Ipv6Router(final NatConfig natConfig, final FrameParser parser, final Interfaces interfaces,
        final Transmitter transmitter, final RouterCounters counters, final EgressAdmission admission,
        final boolean[] noInterContainer)
    {
        this.nat = new Nat66(natConfig, parser, counters);
        this.parser = parser;
        this.interfaces = interfaces;
        this.ipv6 = new Ipv6Interfaces(interfaces);
        this.transmitter = transmitter;
        this.counters = counters;
        this.admission = admission;
        this.noInterContainer = noInterContainer;
        this.errors = new Icmpv6ErrorSender(parser, interfaces, ipv6, transmitter, counters);
        this.resolver = new Ipv6NeighbourResolver(parser, interfaces, ipv6, transmitter, counters,
            this::addressUnreachable);
    }

    Ipv6Interfaces interfaces()
    {
        return ipv6;
    }

    Ipv6NeighbourResolver resolver()
    {
        return resolver;
    }

    /**
     * A parsed IPv6 packet that came in on {@code iface}: to the interface's MAC ({@code toUs}) or to a multicast
     * group (flooded to the leg with the rest of the domain).
     */
    void onPacket(final int iface, final MutableDirectBuffer buffer, final int offset, final int length,
        final boolean toUs, final long nowNanos)
    {
        now = nowNanos;
        ingress = iface;
        if (!ipv6.isSet(iface))
        {
            if (toUs)
            {
                counters.increment(RouterCounter.DROP_NO_ADDRESS_FAMILY);
            }
            return;
        }
        final int l3 = parser.l3Offset();
        final long dstHigh = buffer.getLong(l3 + Ipv6Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        final long dstLow = buffer.getLong(l3 + Ipv6Header.DESTINATION_OFFSET + 8, ByteOrder.BIG_ENDIAN);
        if (Ipv6Addresses.isMulticast(dstHigh))
        {
            if (parser.has(FrameParser.LAYER_ICMP) && isNdp(parser.icmp().type()) && checksumOk(buffer, offset))
            {
                resolver.onNdp(iface, parser.icmp().type(), buffer, now);
            }
            return; // MLD reports, DAD, other groups: nothing for the router
        }
        if (!toUs)
        {
            return;
        }
        if (iface == Interfaces.UPLINK)
        {
            fromUplink(buffer, offset, length, dstHigh, dstLow);
            return;
        }
        if (ipv6.isOwn(iface, dstHigh, dstLow) || ipv6.isRouterAddress(dstHigh, dstLow))
        {
            toRouter(iface, buffer, offset, length, dstHigh, dstLow);
            return;
        }
        if (Ipv6Addresses.isLinkLocal(dstHigh))
        {
            counters.increment(RouterCounter.DROP_NO_ROUTE); // never forwarded (RFC 4291 2.5.6)
            return;
        }
        final long srcHigh = buffer.getLong(l3 + Ipv6Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        if (Ipv6Addresses.isLinkLocal(srcHigh))
        {
            counters.increment(RouterCounter.DROP_NO_ROUTE);
            error(buffer, Icmpv6.TYPE_DEST_UNREACHABLE, Icmpv6.CODE_BEYOND_SCOPE, 0);
            return;
        }
        final int egress = ipv6.egressFor(dstHigh, dstLow);
        if (egress < 0)
        {
            counters.increment(RouterCounter.DROP_NO_ROUTE);
            error(buffer, Icmpv6.TYPE_DEST_UNREACHABLE, Icmpv6.CODE_NO_ROUTE, 0);
            return;
        }
        if (Interfaces.isLeg(iface))
        {
            if (egress == Interfaces.UPLINK)
            {
                toUplink(iface, buffer, offset, length, l3, dstHigh, dstLow);
                return;
            }
            if (egress != Interfaces.HOST && egress != iface)
            {
                counters.increment(RouterCounter.DROP_NO_ROUTE); // another network: isolated, silently
                return;
            }
            if (egress == iface && noInterContainer[iface])
            {
                counters.increment(RouterCounter.DROP_ICC);
                return;
            }
        }
        else if (iface != Interfaces.HOST || !Interfaces.isLeg(egress))
        {
            counters.increment(RouterCounter.DROP_NO_ROUTE);
            return;
        }
        forward(egress, buffer, offset, length, l3, dstHigh, dstLow);
    }

    private void forward(final int egress, final MutableDirectBuffer buffer, final int offset, final int length,
        final int l3, final long dstHigh, final long dstLow)
    {
        if (admit(egress, buffer, offset, l3))
        {
            send(egress, buffer, offset, length, l3, dstHigh, dstLow);
        }
    }

    /** Hop limit and egress MTU, with their ICMPv6 errors; before any rewrite, so errors quote the packet as sent. */
    private boolean admit(final int egress, final MutableDirectBuffer buffer, final int offset, final int l3)
    {
        if ((buffer.getByte(l3 + Ipv6Header.HOP_LIMIT_OFFSET) & 0xFF) <= 1)
        {
            counters.increment(RouterCounter.DROP_TTL);
            error(buffer, Icmpv6.TYPE_TIME_EXCEEDED, Icmpv6.CODE_HOP_LIMIT_EXCEEDED, 0);
            return false;
        }
        if (!admission.fits(egress, buffer, offset))
        {
            counters.increment(RouterCounter.DROP_TOO_BIG);
            error(buffer, Icmpv6.TYPE_PACKET_TOO_BIG, 0, interfaces.mtu(egress));
            return false;
        }
        return true;
    }

    /** A packet from the outside translated back: to its sandbox's network, if it can still be delivered. */
    private void toSandbox(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        final int l3 = parser.l3Offset();
        final long toHigh = buffer.getLong(l3 + Ipv6Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        final long toLow = buffer.getLong(l3 + Ipv6Header.DESTINATION_OFFSET + 8, ByteOrder.BIG_ENDIAN);
        final int egress = ipv6.egressFor(toHigh, toLow);
        // Translated already: an error now would tell the outside the sandbox's address; dropped silently.
        if (!Interfaces.isLeg(egress) || (buffer.getByte(l3 + Ipv6Header.HOP_LIMIT_OFFSET) & 0xFF) <= 1 ||
            !admission.fits(egress, buffer, offset))
        {
            counters.increment(RouterCounter.DROP_NO_ROUTE);
            return;
        }
        send(egress, buffer, offset, length, l3, toHigh, toLow);
    }

    /** Decrements the hop limit (no header checksum in IPv6) and hands the packet to its next hop. */
    private void send(final int egress, final MutableDirectBuffer buffer, final int offset, final int length,
        final int l3, final long dstHigh, final long dstLow)
    {
        buffer.putByte(l3 + Ipv6Header.HOP_LIMIT_OFFSET, (byte)(buffer.getByte(l3 + Ipv6Header.HOP_LIMIT_OFFSET) - 1));
        routed++;
        final boolean viaGateway = egress == Interfaces.UPLINK && ipv6.viaUplinkGateway(dstHigh, dstLow);
        resolver.send(egress, viaGateway ? ipv6.uplinkGatewayHigh() : dstHigh,
            viaGateway ? ipv6.uplinkGatewayLow() : dstLow, ingress, buffer, offset, length, now);
    }

    /** A network's packet to the outside: masqueraded to the uplink's address (NAT66), not from internal networks. */
    private void toUplink(final int iface, final MutableDirectBuffer buffer, final int offset, final int length,
        final int l3, final long dstHigh, final long dstLow)
    {
        if (interfaces.isInternal(iface))
        {
            counters.increment(RouterCounter.DROP_NO_ROUTE);
            error(buffer, Icmpv6.TYPE_DEST_UNREACHABLE, Icmpv6.CODE_NO_ROUTE, 0);
            return;
        }
        if (admit(Interfaces.UPLINK, buffer, offset, l3) &&
            nat.outbound(buffer, offset, ipv6.high(Interfaces.UPLINK), ipv6.low(Interfaces.UPLINK), now))
        {
            send(Interfaces.UPLINK, buffer, offset, length, l3, dstHigh, dstLow);
        }
    }

    /**
     * From the outside: replies of masqueraded connections go back to their sandbox; the router's own address is
     * answered (echo, neighbour discovery); anything else is dropped, as Docker drops unsolicited traffic.
     */
    private void fromUplink(final MutableDirectBuffer buffer, final int offset, final int length, final long dstHigh,
        final long dstLow)
    {
        final long uplinkHigh = ipv6.high(Interfaces.UPLINK);
        final long uplinkLow = ipv6.low(Interfaces.UPLINK);
        final boolean toUplinkAddress = dstHigh == uplinkHigh && dstLow == uplinkLow;
        if (toUplinkAddress && nat.inbound(buffer, offset, uplinkHigh, uplinkLow, now))
        {
            toSandbox(buffer, offset, length);
            return;
        }
        if (toUplinkAddress && parser.has(FrameParser.LAYER_ICMP) && Icmpv6.isError(parser.icmp().type()))
        {
            if (!checksumOk(buffer, offset))
            {
                return; // counted; it would be recomputed by the translation
            }
            if (nat.inboundError(buffer, uplinkHigh, uplinkLow))
            {
                toSandbox(buffer, offset, length);
            }
            else
            {
                counters.increment(RouterCounter.DROP_NAT_MISS);
            }
            return;
        }
        if (ipv6.isOwn(Interfaces.UPLINK, dstHigh, dstLow) && parser.has(FrameParser.LAYER_ICMP))
        {
            toRouter(Interfaces.UPLINK, buffer, offset, length, dstHigh, dstLow); // echo, neighbour discovery
            return;
        }
        counters.increment(dstHigh == uplinkHigh && dstLow == uplinkLow ? RouterCounter.DROP_NAT_MISS :
            RouterCounter.DROP_NO_ROUTE);
    }

    /** To one of the router's addresses: echo, neighbor discovery; UDP gets port unreachable; the rest is dropped. */
    private void toRouter(final int iface, final MutableDirectBuffer buffer, final int offset, final int length,
        final long dstHigh, final long dstLow)
    {
        if (!parser.has(FrameParser.LAYER_ICMP))
        {
            if (parser.has(FrameParser.LAYER_UDP))
            {
                error(buffer, Icmpv6.TYPE_DEST_UNREACHABLE, Icmpv6.CODE_PORT_UNREACHABLE, 0);
            }
            counters.increment(RouterCounter.DROP_TO_ROUTER);
            return;
        }
        final int type = parser.icmp().type();
        if (type != Icmpv6.TYPE_ECHO_REQUEST && !isNdp(type))
        {
            counters.increment(RouterCounter.DROP_TO_ROUTER);
            return;
        }
        if (!checksumOk(buffer, offset))
        {
            return;
        }
        if (type == Icmpv6.TYPE_ECHO_REQUEST)
        {
            echo(iface, buffer, offset, length, dstHigh, dstLow);
        }
        else
        {
            resolver.onNdp(iface, type, buffer, now);
        }
    }

    private static boolean isNdp(final int type)
    {
        return type == Icmpv6.TYPE_NEIGHBOR_SOLICITATION || type == Icmpv6.TYPE_NEIGHBOR_ADVERTISEMENT ||
            type == Icmpv6.TYPE_ROUTER_SOLICITATION;
    }

    /**
     * Verifies the ICMPv6 checksum (pseudo-header included); a message whose vnet header says the checksum is still
     * to be finished (CHECKSUM_PARTIAL) cannot be checked and is taken as is. A bad one is counted.
     */
    private boolean checksumOk(final MutableDirectBuffer buffer, final int offset)
    {
        if ((buffer.getByte(offset + VnetHeader.FLAGS_OFFSET) & VnetHeader.FLAG_NEEDS_CSUM) != 0 ||
            Ipv6Frames.icmpChecksumOf(buffer, parser.l3Offset(), parser.l4Offset(), parser.l4Length()) == 0)
        {
            return true;
        }
        counters.increment(RouterCounter.DROP_BAD_ICMPV6_CHECKSUM);
        return false;
    }

    /** The request turned into the reply in place: addresses and MACs swapped, type 129, checksum recomputed. */
    private void echo(final int iface, final MutableDirectBuffer buffer, final int offset, final int length,
        final long dstHigh, final long dstLow)
    {
        final int l3 = parser.l3Offset();
        final int l4 = parser.l4Offset();
        final long srcHigh = buffer.getLong(l3 + Ipv6Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final long srcLow = buffer.getLong(l3 + Ipv6Header.SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN);
        if (!Ipv6Addresses.isHostSource(srcHigh, srcLow))
        {
            counters.increment(RouterCounter.DROP_ECHO_BAD_SOURCE);
            return;
        }
        final int eth = offset + VnetHeader.LENGTH;
        MacAddress.writePair(buffer, eth + EthernetHeader.DESTINATION_OFFSET, parser.ethernet().source(),
            interfaces.mac(iface));
        Ipv6Frames.address(buffer, l3 + Ipv6Header.SOURCE_OFFSET, dstHigh, dstLow);
        Ipv6Frames.address(buffer, l3 + Ipv6Header.DESTINATION_OFFSET, srcHigh, srcLow);
        buffer.putByte(l3 + Ipv6Header.HOP_LIMIT_OFFSET, (byte)Router.LOCAL_TTL);
        buffer.putByte(l4 + IcmpHeader.TYPE_OFFSET, (byte)Icmpv6.TYPE_ECHO_REPLY);
        Ipv6Frames.icmpChecksum(buffer, l3, l4, parser.l4Length());
        buffer.setMemory(offset, VnetHeader.LENGTH, (byte)0); // finished checksum, no GSO
        counters.increment(RouterCounter.ICMPV6_ECHO_REPLIES);
        transmitter.emit(iface, buffer, offset, length);
    }

    private void error(final MutableDirectBuffer buffer, final int type, final int code, final int mtu)
    {
        errors.send(ingress, buffer, type, code, mtu, now);
    }

    /** A held packet whose next hop never answered: address unreachable, back where it came from. */
    private void addressUnreachable(final int from, final MutableDirectBuffer frames, final int base,
        final int length)
    {
        if (!ipv6.isSet(from) ||
            parser.parse(frames, base + VnetHeader.LENGTH, length - VnetHeader.LENGTH) != 0 ||
            !parser.has(FrameParser.LAYER_IPV6))
        {
            return;
        }
        ingress = from;
        error(frames, Icmpv6.TYPE_DEST_UNREACHABLE, Icmpv6.CODE_ADDRESS_UNREACHABLE, 0);
    }

    int doWork(final long nowNanos)
    {
        now = nowNanos;
        return resolver.doWork(nowNanos) + nat.expire(nowNanos);
    }

    int connections()
    {
        return nat.conns().size();
    }

    void publishCounts()
    {
        if (routed != 0)
        {
            counters.add(RouterCounter.ROUTED_IPV6, routed);
            routed = 0;
        }
    }

    // ------------------------------------------------------------------------------------------------ configuration

    void addLeg(final int bridgeDomainId, final int legPort, final long mac, final long high, final long low,
        final int prefixLength)
    {
        Ipv6Interfaces.check(high, low, prefixLength);
        interfaces.attachIpv6Leg(bridgeDomainId, legPort, mac);
        ipv6.addLeg(bridgeDomainId, high, low, prefixLength);
    }

    void removeLeg(final int bridgeDomainId)
    {
        if (!Interfaces.isLeg(bridgeDomainId) || !ipv6.isSet(bridgeDomainId))
        {
            throw new IllegalArgumentException("bridge domain " + bridgeDomainId + " has no IPv6 gateway");
        }
        nat.conns().removeSandboxes(ipv6.high(bridgeDomainId), ipv6.low(bridgeDomainId),
            ipv6.maskHigh(bridgeDomainId), ipv6.maskLow(bridgeDomainId));
        ipv6.removeLeg(bridgeDomainId);
        resolver.forget(bridgeDomainId);
        interfaces.removeIpv6(bridgeDomainId);
    }

    void setHost(final long high, final long low, final int prefixLength)
    {
        Ipv6Interfaces.check(high, low, prefixLength);
        interfaces.addIpv6(Interfaces.HOST);
        ipv6.set(Interfaces.HOST, high, low, prefixLength);
    }

    /** The uplink's IPv6 address (masquerade target) and gateway ({@code 0:0}: none, destinations on-link). */
    void setUplink(final long high, final long low, final int prefixLength, final long gatewayHigh,
        final long gatewayLow)
    {
        Ipv6Interfaces.check(high, low, prefixLength);
        interfaces.addIpv6(Interfaces.UPLINK);
        ipv6.set(Interfaces.UPLINK, high, low, prefixLength);
        ipv6.uplinkGateway(gatewayHigh, gatewayLow);
    }

    /** IPv6 off the uplink (before the uplink itself goes, or alone): its masqueraded connections go too. */
    void clearUplink()
    {
        if (ipv6.isSet(Interfaces.UPLINK))
        {
            nat.conns().removeSandboxes(0, 0, 0, 0);
            ipv6.clear(Interfaces.UPLINK);
            ipv6.uplinkGateway(0, 0);
            resolver.forget(Interfaces.UPLINK);
            interfaces.removeIpv6(Interfaces.UPLINK);
        }
    }

    /** IPv6 off the host port (before the host port itself goes, or alone). */
    void clearHost()
    {
        if (ipv6.isSet(Interfaces.HOST))
        {
            ipv6.clear(Interfaces.HOST);
            resolver.forget(Interfaces.HOST);
            interfaces.removeIpv6(Interfaces.HOST);
        }
    }
}
