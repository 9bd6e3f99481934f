package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.ArpHeader;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * ARP for the router: answers requests for its addresses, learns senders, resolves next hops. A packet whose next
 * hop is not resolved yet waits in one of {@link #PENDING_SLOTS} fixed slots (a copy) until the answer, or until
 * {@link #PENDING_TIMEOUT_NANOS}, when it goes to the {@link Unresolved} handler (host unreachable). Forwarding
 * thread only; no allocation per packet.
 */
final class NeighbourResolver
{
    static final int PENDING_SLOTS = 64;
    /** Packets longer than this ([vnet hdr][frame]) are not held while resolving; they are dropped. */
    static final int PENDING_SLOT_LENGTH = 2048;
    static final long ARP_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final int ARP_MAX_REQUESTS = 3;
    static final long PENDING_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(3);
    static final int NEIGHBOUR_CAPACITY = 16384;
    /** ARP frame: Ethernet 14 + ARP 28, padded to the 60-byte Ethernet minimum. */
    static final int ARP_FRAME_LENGTH = 60;
    private static final int IPV4_ADDRESS_LENGTH = 4;

    /** A held packet whose next hop never answered; the frame is valid only during the call. */
    @FunctionalInterface
    interface Unresolved
    {
        void onUnresolved(int ingress, MutableDirectBuffer frames, int offset, int length);
    }

    private final Interfaces interfaces;
    private final Transmitter transmitter;
    private final RouterCounters counters;
    private final Unresolved unresolved;
    private final NeighbourTable neighbours = new NeighbourTable(NEIGHBOUR_CAPACITY);
    private final NeighbourTable.Prober prober = this::probe;
    private final UnsafeBuffer arpFrame = new UnsafeBuffer(new byte[VnetHeader.LENGTH + ARP_FRAME_LENGTH]);

    private final HeldPackets pending = new HeldPackets(PENDING_SLOTS, PENDING_SLOT_LENGTH, PENDING_TIMEOUT_NANOS);
    private final HeldPackets.Timers timers = new HeldPackets.Timers()
    {
        public void expired(final int iface, final long high, final long low, final int ingress,
            final MutableDirectBuffer frames, final int offset, final int length)
        {
            counters.increment(RouterCounter.DROP_ARP_UNRESOLVED);
            forgetFailed(iface, (int)low);
            unresolved.onUnresolved(ingress, frames, offset, length);
        }

        public void waiting(final int iface, final long high, final long low)
        {
            final int slot = neighbours.find(iface, (int)low);
            if (slot != NeighbourTable.NOT_FOUND && neighbours.mac(slot) == NeighbourTable.UNRESOLVED)
            {
                requestIfDue(slot, iface, (int)low);
            }
        }
    };
    private long now;

    NeighbourResolver(final Interfaces interfaces, final Transmitter transmitter, final RouterCounters counters,
        final Unresolved unresolved)
    {
        this.interfaces = interfaces;
        this.transmitter = transmitter;
        this.counters = counters;
        this.unresolved = unresolved;
    }

    /** An ARP packet received on {@code iface}. */
    void onArp(final int iface, final ArpHeader arp, final long nowNanos)
    {
        now = nowNanos;
        final int sender = arp.senderIp();
        final long senderMac = arp.senderMac();
        final boolean validSender = sender != 0 && MacAddress.isValidSource(senderMac);
        final int ip = interfaces.ip(iface);
        if (ip == 0 || arp.targetIp() != ip)
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
        if (neighbours.resolve(slot, mac, now) && pending.count() > 0)
        {
            pending.release(iface, 0, ip & 0xFFFF_FFFFL, mac, interfaces.mac(iface), transmitter);
        }
    }

    /**
     * Addresses a routed packet to {@code nextHop} on {@code egress} and sends it, or holds it while the next hop
     * is resolved.
     *
     * @param ingress where the packet came in: an eventual host unreachable goes back there.
     */
    void send(final int egress, final int nextHop, final int ingress, final MutableDirectBuffer buffer,
        final int offset, final int length, final long nowNanos)
    {
        now = nowNanos;
        final int slot = neighbours.findOrCreate(egress, nextHop);
        if (slot == NeighbourTable.NOT_FOUND)
        {
            counters.increment(RouterCounter.DROP_ARP_UNRESOLVED);
            return;
        }
        final long mac = neighbours.mac(slot);
        if (mac == NeighbourTable.UNRESOLVED)
        {
            if (!pending.hold(egress, 0, nextHop & 0xFFFF_FFFFL, ingress, buffer, offset, length, now))
            {
                counters.increment(RouterCounter.DROP_ARP_QUEUE_FULL);
            }
            requestIfDue(slot, egress, nextHop);
            return;
        }
        if (neighbours.needsProbe(slot, now))
        {
            neighbours.requested(slot, now);
            probe(egress, nextHop, mac);
        }
        final int eth = offset + VnetHeader.LENGTH;
        MacAddress.writePair(buffer, eth + EthernetHeader.DESTINATION_OFFSET, mac, interfaces.mac(egress));
        transmitter.emit(egress, buffer, offset, length);
    }

    /** Timers: held packets' retries and timeouts, neighbour aging. @return work done. */
    int doWork(final long nowNanos)
    {
        now = nowNanos;
        final int work = pending.count() > 0 ? pending.service(nowNanos, timers) : 0;
        return work + neighbours.sweep(nowNanos, prober);
    }

    /** The interface is gone: its neighbours and held packets too. */
    void forget(final int iface)
    {
        neighbours.flushInterface(iface);
        pending.forget(iface);
    }

    /** The ARP cache as "iface ip mac" lines (allocates). */
    List<String> snapshot()
    {
        final List<String> lines = new ArrayList<>();
        neighbours.forEach((iface, ip, mac) -> lines.add(
            (iface == Interfaces.UPLINK ? "uplink" : iface == Interfaces.HOST ? "host" : "bd" + iface) + " " +
            Ipv4Addresses.format(ip) + " " +
            (mac == NeighbourTable.UNRESOLVED ? "incomplete" : MacAddress.toString(mac))));
        return lines;
    }

    private void sendArp(final int iface, final int operation, final long ethDestination, final long targetMac,
        final int targetIp)
    {
        final UnsafeBuffer f = arpFrame;
        final long mac = interfaces.mac(iface);
        f.setMemory(0, f.capacity(), (byte)0);
        final int eth = VnetHeader.LENGTH;
        MacAddress.write(f, eth + EthernetHeader.DESTINATION_OFFSET, ethDestination);
        MacAddress.write(f, eth + EthernetHeader.SOURCE_OFFSET, mac);
        f.putShort(eth + EthernetHeader.TYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_ARP, ByteOrder.BIG_ENDIAN);
        final int arp = eth + EthernetHeader.HEADER_LENGTH;
        f.putShort(arp + ArpHeader.HTYPE_OFFSET, (short)ArpHeader.HTYPE_ETHERNET, ByteOrder.BIG_ENDIAN);
        f.putShort(arp + ArpHeader.PTYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        f.putByte(arp + ArpHeader.HLEN_OFFSET, (byte)MacAddress.LENGTH);
        f.putByte(arp + ArpHeader.PLEN_OFFSET, (byte)IPV4_ADDRESS_LENGTH);
        f.putShort(arp + ArpHeader.OPER_OFFSET, (short)operation, ByteOrder.BIG_ENDIAN);
        MacAddress.write(f, arp + ArpHeader.SHA_OFFSET, mac);
        f.putInt(arp + ArpHeader.SPA_OFFSET, interfaces.ip(iface), ByteOrder.BIG_ENDIAN);
        MacAddress.write(f, arp + ArpHeader.THA_OFFSET, targetMac);
        f.putInt(arp + ArpHeader.TPA_OFFSET, targetIp, ByteOrder.BIG_ENDIAN);
        transmitter.emit(iface, f, 0, f.capacity());
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
}
