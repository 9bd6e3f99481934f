package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.FrameParser;
import io.jvs.dataplane.parse.IcmpHeader;
import io.jvs.dataplane.parse.Ipv6Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Neighbor discovery for the router (RFC 4861), the IPv6 twin of {@link NeighbourResolver}: answers neighbour
 * solicitations for its addresses (global and link-local, to the address or its solicited-node group) with a
 * solicited router advertisement of its MAC, learns neighbours from solicitations and advertisements that carry
 * their link-layer address, resolves next hops (multicast solicitation to the solicited-node group, packets held
 * meanwhile, {@link NeighbourResolver}'s timers), and answers router solicitations on a leg with a router
 * advertisement of the leg's prefix (on-link, no autoconfiguration: sandbox addresses are static). Forwarding
 * thread only; no allocation per packet.
 */
final class Ipv6NeighbourResolver
{
    static final int PENDING_SLOTS = 32;
    static final int PENDING_SLOT_LENGTH = NeighbourResolver.PENDING_SLOT_LENGTH;
    static final int NEIGHBOUR_CAPACITY = NeighbourResolver.NEIGHBOUR_CAPACITY;
    /** NS / NA: the 24-byte message and one link-layer address option. */
    static final int ND_LENGTH = Icmpv6.ND_OPTIONS_OFFSET + Icmpv6.LINK_LAYER_OPTION_LENGTH;
    static final int RA_LENGTH = Icmpv6.RA_OPTIONS_OFFSET + Icmpv6.LINK_LAYER_OPTION_LENGTH +
        Icmpv6.MTU_OPTION_LENGTH + Icmpv6.PREFIX_OPTION_LENGTH;
    private static final int NO_OPTION = -1;

    private final FrameParser parser;
    private final Interfaces interfaces;
    private final Ipv6Interfaces ipv6;
    private final Transmitter transmitter;
    private final RouterCounters counters;
    private final NeighbourResolver.Unresolved unresolved;
    private final Neighbour6Table neighbours = new Neighbour6Table(NEIGHBOUR_CAPACITY);
    private final Neighbour6Table.Prober prober = this::probe;
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[Ipv6Frames.ICMP_OFFSET + RA_LENGTH]);

    private final HeldPackets pending =
        new HeldPackets(PENDING_SLOTS, PENDING_SLOT_LENGTH, NeighbourResolver.PENDING_TIMEOUT_NANOS);
    private final HeldPackets.Timers timers = new HeldPackets.Timers()
    {
        public void expired(final int iface, final long high, final long low, final int ingress,
            final MutableDirectBuffer frames, final int offset, final int length)
        {
            counters.increment(RouterCounter.DROP_NDP_UNRESOLVED);
            forgetFailed(iface, high, low);
            unresolved.onUnresolved(ingress, frames, offset, length);
        }

        public void waiting(final int iface, final long high, final long low)
        {
            final int slot = neighbours.find(iface, high, low);
            if (slot != Neighbour6Table.NOT_FOUND && neighbours.mac(slot) == Neighbour6Table.UNRESOLVED)
            {
                requestIfDue(slot, iface, high, low);
            }
        }
    };
    private long now;

    Ipv6NeighbourResolver(final FrameParser parser, final Interfaces interfaces, final Ipv6Interfaces ipv6,
        final Transmitter transmitter, final RouterCounters counters, final NeighbourResolver.Unresolved unresolved)
    {
        this.parser = parser;
        this.interfaces = interfaces;
        this.ipv6 = ipv6;
        this.transmitter = transmitter;
        this.counters = counters;
        this.unresolved = unresolved;
    }

    // ------------------------------------------------------------------------------------------------ receiving

    /**
     * A neighbour or router solicitation or a neighbour advertisement (parsed, ICMPv6 checksum verified) that came
     * in on {@code iface}, to one of its addresses or to a multicast group.
     */
    void onNdp(final int iface, final int type, final MutableDirectBuffer buffer, final long nowNanos)
    {
        now = nowNanos;
        final int l3 = parser.l3Offset();
        final int l4 = parser.l4Offset();
        final int length = parser.l4Length();
        if ((buffer.getByte(l3 + Ipv6Header.HOP_LIMIT_OFFSET) & 0xFF) != Icmpv6.NDP_HOP_LIMIT ||
            parser.icmp().code() != 0)
        {
            counters.increment(RouterCounter.DROP_NDP_INVALID);
            return;
        }
        if (type == Icmpv6.TYPE_ROUTER_SOLICITATION)
        {
            onRouterSolicitation(iface, buffer, l3, l4, length);
            return;
        }
        if (length < Icmpv6.ND_OPTIONS_OFFSET)
        {
            counters.increment(RouterCounter.DROP_NDP_INVALID);
            return;
        }
        final long targetHigh = buffer.getLong(l4 + Icmpv6.ND_TARGET_OFFSET, ByteOrder.BIG_ENDIAN);
        final long targetLow = buffer.getLong(l4 + Icmpv6.ND_TARGET_OFFSET + 8, ByteOrder.BIG_ENDIAN);
        final int option = linkLayerOption(buffer, l4 + Icmpv6.ND_OPTIONS_OFFSET, l4 + length,
            type == Icmpv6.TYPE_NEIGHBOR_SOLICITATION ? Icmpv6.OPTION_SOURCE_LINK_LAYER :
            Icmpv6.OPTION_TARGET_LINK_LAYER);
        if (Ipv6Addresses.isMulticast(targetHigh) || option == NO_OPTION - 1)
        {
            counters.increment(RouterCounter.DROP_NDP_INVALID);
            return;
        }
        final long linkLayer = option == NO_OPTION ? parser.ethernet().source() :
            MacAddress.read(buffer, option + Icmpv6.LINK_LAYER_OPTION_ADDRESS_OFFSET);
        if (type == Icmpv6.TYPE_NEIGHBOR_SOLICITATION)
        {
            onSolicitation(iface, buffer, l3, targetHigh, targetLow, option != NO_OPTION, linkLayer);
        }
        else
        {
            onAdvertisement(iface, targetHigh, targetLow, linkLayer);
        }
    }

    private void onSolicitation(final int iface, final MutableDirectBuffer buffer, final int l3,
        final long targetHigh, final long targetLow, final boolean hasOption, final long linkLayer)
    {
        final long sourceHigh = buffer.getLong(l3 + Ipv6Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final long sourceLow = buffer.getLong(l3 + Ipv6Header.SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN);
        final boolean unspecified = Ipv6Addresses.isUnspecified(sourceHigh, sourceLow);
        if (!ipv6.isOwn(iface, targetHigh, targetLow))
        {
            return; // another neighbour's solicitation flooded to the leg too
        }
        if (unspecified)
        {
            // Duplicate address detection of one of our addresses (RFC 4862 5.4.3): defend by not answering it;
            // the sandbox's own DAD is its business (control plane adds addresses with nodad).
            return;
        }
        if (Ipv6Addresses.isMulticast(sourceHigh) || !MacAddress.isValidSource(linkLayer))
        {
            counters.increment(RouterCounter.DROP_NDP_INVALID);
            return;
        }
        if (hasOption)
        {
            // RFC 4861 7.2.3: the sender's link-layer address is worth keeping (it will be our next hop soon).
            final int slot = neighbours.findOrCreate(iface, sourceHigh, sourceLow);
            if (slot != Neighbour6Table.NOT_FOUND)
            {
                learn(iface, slot, sourceHigh, sourceLow, linkLayer);
            }
        }
        advertise(iface, targetHigh, targetLow, sourceHigh, sourceLow, linkLayer);
    }

    private void onAdvertisement(final int iface, final long targetHigh, final long targetLow, final long linkLayer)
    {
        if (!MacAddress.isValidSource(linkLayer) || ipv6.isOwn(iface, targetHigh, targetLow))
        {
            return;
        }
        // An advertisement updates an entry, never creates one (RFC 4861 7.2.5).
        final int slot = neighbours.find(iface, targetHigh, targetLow);
        if (slot != Neighbour6Table.NOT_FOUND)
        {
            learn(iface, slot, targetHigh, targetLow, linkLayer);
        }
    }

    private void learn(final int iface, final int slot, final long high, final long low, final long mac)
    {
        if (neighbours.resolve(slot, mac, now) && pending.count() > 0)
        {
            pending.release(iface, high, low, mac, interfaces.mac(iface), transmitter);
        }
    }

    /**
     * The offset of the link-layer address option of {@code type} in the options from {@code from} to {@code end},
     * {@link #NO_OPTION} if there is none, {@code NO_OPTION - 1} if an option has length 0 or runs past the end.
     */
    private static int linkLayerOption(final MutableDirectBuffer buffer, final int from, final int end,
        final int type)
    {
        int found = NO_OPTION;
        int at = from;
        while (at < end) // each step moves at least 8 bytes: bounded by the message length
        {
            if (at + Icmpv6.OPTION_UNIT > end)
            {
                return NO_OPTION - 1;
            }
            final int units = buffer.getByte(at + Icmpv6.OPTION_LENGTH_OFFSET) & 0xFF;
            if (units == 0 || at + units * Icmpv6.OPTION_UNIT > end)
            {
                return NO_OPTION - 1;
            }
            if (found == NO_OPTION && (buffer.getByte(at + Icmpv6.OPTION_TYPE_OFFSET) & 0xFF) == type)
            {
                found = at;
            }
            at += units * Icmpv6.OPTION_UNIT;
        }
        return found;
    }

    private void onRouterSolicitation(final int iface, final MutableDirectBuffer buffer, final int l3, final int l4,
        final int length)
    {
        if (length < Icmpv6.RS_OPTIONS_OFFSET ||
            linkLayerOption(buffer, l4 + Icmpv6.RS_OPTIONS_OFFSET, l4 + length, Icmpv6.OPTION_SOURCE_LINK_LAYER) ==
                NO_OPTION - 1)
        {
            counters.increment(RouterCounter.DROP_NDP_INVALID);
            return;
        }
        if (!Interfaces.isLeg(iface))
        {
            return; // never a default route for the host through its TAP
        }
        advertiseRouter(iface);
    }

    // ------------------------------------------------------------------------------------------------ sending

    /** A solicited neighbour advertisement of {@code target} (one of ours) to the solicitor. */
    private void advertise(final int iface, final long targetHigh, final long targetLow, final long toHigh,
        final long toLow, final long toMac)
    {
        final UnsafeBuffer f = frame;
        final long mac = interfaces.mac(iface);
        Ipv6Frames.ethernet(f, toMac, mac);
        Ipv6Frames.header(f, Ipv6Frames.IP_OFFSET, ND_LENGTH, Icmpv6.NDP_HOP_LIMIT, targetHigh, targetLow, toHigh,
            toLow);
        final int l4 = Ipv6Frames.ICMP_OFFSET;
        f.putByte(l4 + IcmpHeader.TYPE_OFFSET, (byte)Icmpv6.TYPE_NEIGHBOR_ADVERTISEMENT);
        f.putByte(l4 + IcmpHeader.CODE_OFFSET, (byte)0);
        f.putInt(l4 + Icmpv6.ND_FLAGS_OFFSET,
            (Icmpv6.NA_FLAG_ROUTER | Icmpv6.NA_FLAG_SOLICITED | Icmpv6.NA_FLAG_OVERRIDE) << 24, ByteOrder.BIG_ENDIAN);
        Ipv6Frames.address(f, l4 + Icmpv6.ND_TARGET_OFFSET, targetHigh, targetLow);
        Ipv6Frames.linkLayerOption(f, l4 + Icmpv6.ND_OPTIONS_OFFSET, Icmpv6.OPTION_TARGET_LINK_LAYER, mac);
        Ipv6Frames.icmpChecksum(f, Ipv6Frames.IP_OFFSET, l4, ND_LENGTH);
        counters.increment(RouterCounter.NDP_ADVERTS_SENT);
        transmitter.emit(iface, f, 0, l4 + ND_LENGTH);
    }

    /** A neighbour solicitation for {@code target}: to its solicited-node group, or unicast to {@code probeMac}. */
    private void solicit(final int iface, final long targetHigh, final long targetLow, final long probeMac)
    {
        final UnsafeBuffer f = frame;
        final long mac = interfaces.mac(iface);
        final boolean multicast = probeMac == Neighbour6Table.UNRESOLVED;
        final long toHigh = multicast ? Ipv6Addresses.SOLICITED_NODE_HIGH : targetHigh;
        final long toLow = multicast ? Ipv6Addresses.solicitedNodeLow(targetLow) : targetLow;
        Ipv6Frames.ethernet(f, multicast ? Ipv6Addresses.multicastMac(toLow) : probeMac, mac);
        // From the address of the interface in the target's scope: link-local targets get the link-local one.
        final boolean linkLocal = Ipv6Addresses.isLinkLocal(targetHigh);
        Ipv6Frames.header(f, Ipv6Frames.IP_OFFSET, ND_LENGTH, Icmpv6.NDP_HOP_LIMIT,
            linkLocal ? Ipv6Addresses.LINK_LOCAL_HIGH : ipv6.high(iface),
            linkLocal ? ipv6.linkLocalLow(iface) : ipv6.low(iface), toHigh, toLow);
        final int l4 = Ipv6Frames.ICMP_OFFSET;
        f.putByte(l4 + IcmpHeader.TYPE_OFFSET, (byte)Icmpv6.TYPE_NEIGHBOR_SOLICITATION);
        f.putByte(l4 + IcmpHeader.CODE_OFFSET, (byte)0);
        f.putInt(l4 + Icmpv6.ND_FLAGS_OFFSET, 0);
        Ipv6Frames.address(f, l4 + Icmpv6.ND_TARGET_OFFSET, targetHigh, targetLow);
        Ipv6Frames.linkLayerOption(f, l4 + Icmpv6.ND_OPTIONS_OFFSET, Icmpv6.OPTION_SOURCE_LINK_LAYER, mac);
        Ipv6Frames.icmpChecksum(f, Ipv6Frames.IP_OFFSET, l4, ND_LENGTH);
        counters.increment(RouterCounter.NDP_SOLICITS_SENT);
        transmitter.emit(iface, f, 0, l4 + ND_LENGTH);
    }

    /** A router advertisement to all nodes of the leg: the prefix on-link, this router a default router. */
    private void advertiseRouter(final int iface)
    {
        final UnsafeBuffer f = frame;
        final long mac = interfaces.mac(iface);
        final long allNodesLow = Ipv6Addresses.ALL_NODES_LOW;
        Ipv6Frames.ethernet(f, Ipv6Addresses.multicastMac(allNodesLow), mac);
        Ipv6Frames.header(f, Ipv6Frames.IP_OFFSET, RA_LENGTH, Icmpv6.NDP_HOP_LIMIT, Ipv6Addresses.LINK_LOCAL_HIGH,
            ipv6.linkLocalLow(iface), Ipv6Addresses.LINK_SCOPE_MULTICAST_HIGH, allNodesLow);
        final int l4 = Ipv6Frames.ICMP_OFFSET;
        f.setMemory(l4, RA_LENGTH, (byte)0);
        f.putByte(l4 + IcmpHeader.TYPE_OFFSET, (byte)Icmpv6.TYPE_ROUTER_ADVERTISEMENT);
        f.putByte(l4 + Icmpv6.RA_CUR_HOP_LIMIT_OFFSET, (byte)Icmpv6.RA_CUR_HOP_LIMIT);
        f.putShort(l4 + Icmpv6.RA_ROUTER_LIFETIME_OFFSET, (short)Icmpv6.RA_ROUTER_LIFETIME_SECONDS,
            ByteOrder.BIG_ENDIAN);
        int option = l4 + Icmpv6.RA_OPTIONS_OFFSET;
        Ipv6Frames.linkLayerOption(f, option, Icmpv6.OPTION_SOURCE_LINK_LAYER, mac);
        option += Icmpv6.LINK_LAYER_OPTION_LENGTH;
        f.putByte(option + Icmpv6.OPTION_TYPE_OFFSET, (byte)Icmpv6.OPTION_MTU);
        f.putByte(option + Icmpv6.OPTION_LENGTH_OFFSET, (byte)(Icmpv6.MTU_OPTION_LENGTH / Icmpv6.OPTION_UNIT));
        f.putInt(option + Icmpv6.MTU_OPTION_VALUE_OFFSET, interfaces.mtu(iface), ByteOrder.BIG_ENDIAN);
        option += Icmpv6.MTU_OPTION_LENGTH;
        final int prefixLength = ipv6.prefixLength(iface);
        f.putByte(option + Icmpv6.OPTION_TYPE_OFFSET, (byte)Icmpv6.OPTION_PREFIX_INFORMATION);
        f.putByte(option + Icmpv6.OPTION_LENGTH_OFFSET, (byte)(Icmpv6.PREFIX_OPTION_LENGTH / Icmpv6.OPTION_UNIT));
        f.putByte(option + Icmpv6.PREFIX_OPTION_PREFIX_LENGTH_OFFSET, (byte)prefixLength);
        f.putByte(option + Icmpv6.PREFIX_OPTION_FLAGS_OFFSET, (byte)Icmpv6.PREFIX_FLAG_ON_LINK);
        f.putInt(option + Icmpv6.PREFIX_OPTION_VALID_LIFETIME_OFFSET, Icmpv6.RA_VALID_LIFETIME_SECONDS,
            ByteOrder.BIG_ENDIAN);
        f.putInt(option + Icmpv6.PREFIX_OPTION_PREFERRED_LIFETIME_OFFSET, Icmpv6.RA_PREFERRED_LIFETIME_SECONDS,
            ByteOrder.BIG_ENDIAN);
        Ipv6Frames.address(f, option + Icmpv6.PREFIX_OPTION_PREFIX_OFFSET,
            ipv6.high(iface) & Ipv6Addresses.maskHigh(prefixLength), ipv6.low(iface) & Ipv6Addresses.maskLow(prefixLength));
        Ipv6Frames.icmpChecksum(f, Ipv6Frames.IP_OFFSET, l4, RA_LENGTH);
        counters.increment(RouterCounter.NDP_ROUTER_ADVERTS_SENT);
        transmitter.emit(iface, f, 0, l4 + RA_LENGTH);
    }

    // ------------------------------------------------------------------------------------------------ resolving

    /**
     * Addresses a routed packet to {@code high:low} on {@code egress} and sends it, or holds it while the neighbour
     * is resolved.
     */
    void send(final int egress, final long high, final long low, final int ingress, final MutableDirectBuffer buffer,
        final int offset, final int length, final long nowNanos)
    {
        now = nowNanos;
        final int slot = neighbours.findOrCreate(egress, high, low);
        if (slot == Neighbour6Table.NOT_FOUND)
        {
            counters.increment(RouterCounter.DROP_NDP_UNRESOLVED);
            return;
        }
        final long mac = neighbours.mac(slot);
        if (mac == Neighbour6Table.UNRESOLVED)
        {
            if (!pending.hold(egress, high, low, ingress, buffer, offset, length, now))
            {
                counters.increment(RouterCounter.DROP_NDP_QUEUE_FULL);
            }
            requestIfDue(slot, egress, high, low);
            return;
        }
        if (neighbours.needsProbe(slot, now))
        {
            neighbours.requested(slot, now);
            solicit(egress, high, low, mac);
        }
        MacAddress.writePair(buffer, offset + VnetHeader.LENGTH + EthernetHeader.DESTINATION_OFFSET, mac,
            interfaces.mac(egress));
        transmitter.emit(egress, buffer, offset, length);
    }

    int doWork(final long nowNanos)
    {
        now = nowNanos;
        final int work = pending.count() > 0 ? pending.service(nowNanos, timers) : 0;
        return work + neighbours.sweep(nowNanos, prober);
    }

    void forget(final int iface)
    {
        neighbours.flushInterface(iface);
        pending.forget(iface);
    }

    /** "iface address mac" lines (allocates). */
    List<String> snapshot()
    {
        final List<String> lines = new ArrayList<>();
        neighbours.forEach((iface, high, low, mac) -> lines.add(
            (iface == Interfaces.HOST ? "host" : "bd" + iface) + " " + Ipv6Addresses.format(high, low) + " " +
            (mac == Neighbour6Table.UNRESOLVED ? "incomplete" : MacAddress.toString(mac))));
        return lines;
    }

    private void requestIfDue(final int slot, final int iface, final long high, final long low)
    {
        final int sent = neighbours.requests(slot);
        if (sent == 0 || (sent < NeighbourResolver.ARP_MAX_REQUESTS &&
            now - neighbours.lastRequest(slot) >= NeighbourResolver.ARP_RETRY_NANOS))
        {
            neighbours.requested(slot, now);
            solicit(iface, high, low, Neighbour6Table.UNRESOLVED);
        }
    }

    private void probe(final int iface, final long high, final long low, final long mac)
    {
        solicit(iface, high, low, mac);
    }

    private void forgetFailed(final int iface, final long high, final long low)
    {
        final int slot = neighbours.find(iface, high, low);
        if (slot != Neighbour6Table.NOT_FOUND && neighbours.mac(slot) == Neighbour6Table.UNRESOLVED &&
            neighbours.requests(slot) >= NeighbourResolver.ARP_MAX_REQUESTS)
        {
            neighbours.remove(slot);
        }
    }
}
