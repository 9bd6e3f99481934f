package io.jvs.vxlan;

import io.jvs.dataplane.parse.ArpHeader;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.MacAddress;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link Vtep}'s ARP for its next hops on the underlay: requests go out as soon as a peer is configured (retried
 * every second until answered, refreshed every 30 s, {@link #retry}), replies and requests read off the underlay
 * set the next hops' MACs ({@link #onArp}). Works whether or not the kernel has a neighbour entry.
 * <p>
 * Threads: {@link #publish} on the control thread (under the Vtep's lock), {@link #onArp} and {@link #retry} on
 * the thread polling the underlay, {@link #request} on either: a request is built and sent under {@link #frame}'s
 * lock, which also guards the neighbours' request times.
 */
final class UnderlayArp
{
    static final long ARP_RETRY_NANOS = Vtep.ARP_RETRY_NANOS;
    static final long ARP_REFRESH_NANOS = Vtep.ARP_REFRESH_NANOS;
    static final int FRAME_LENGTH = 60;
    private static final int IPV4_LENGTH = 4;

    private final ArpTransmitter transmitter;
    private final long localMac;
    private final int localIp;
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[FRAME_LENGTH]);

    private volatile IntIndex<Neighbour> byIp = IntIndex.empty();
    private volatile Neighbour[] list = new Neighbour[0];

    /** Polling thread. */
    private long learned;

    /** @param transmitter null: requests are not sent (a Vtep without an ARP socket). */
    UnderlayArp(final ArpTransmitter transmitter, final long localMac, final int localIp)
    {
        this.transmitter = transmitter;
        this.localMac = localMac;
        this.localIp = localIp;
    }

    /** Control thread: the next hops in use, as one snapshot. */
    void publish(final Map<Integer, Neighbour> neighbours)
    {
        byIp = new IntIndex<>(new LinkedHashMap<>(neighbours));
        list = neighbours.values().toArray(new Neighbour[0]);
    }

    /** Neighbour MACs learned or changed from ARP. */
    long learned()
    {
        return learned;
    }

    /** Polling thread, every housekeeping round: unanswered requests retried, answered ones refreshed. */
    void retry(final long now)
    {
        for (final Neighbour n : list)
        {
            final boolean retry = !n.requestedOnce || now - n.requestedNanos >= ARP_RETRY_NANOS;
            if (retry && (n.mac == Neighbour.UNRESOLVED || now - n.confirmedNanos >= ARP_REFRESH_NANOS))
            {
                request(n, now);
            }
        }
    }

    void request(final Neighbour n, final long now)
    {
        if (null == transmitter)
        {
            return;
        }
        synchronized (frame)
        {
            n.requestedNanos = now;
            n.requestedOnce = true;
            final UnsafeBuffer f = frame;
            f.setMemory(0, FRAME_LENGTH, (byte)0);
            MacAddress.write(f, EthernetHeader.DESTINATION_OFFSET, MacAddress.BROADCAST);
            MacAddress.write(f, EthernetHeader.SOURCE_OFFSET, localMac);
            f.putShort(EthernetHeader.TYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_ARP, ByteOrder.BIG_ENDIAN);
            final int a = EthernetHeader.HEADER_LENGTH;
            f.putShort(a + ArpHeader.HTYPE_OFFSET, (short)ArpHeader.HTYPE_ETHERNET, ByteOrder.BIG_ENDIAN);
            f.putShort(a + ArpHeader.PTYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
            f.putByte(a + ArpHeader.HLEN_OFFSET, (byte)MacAddress.LENGTH);
            f.putByte(a + ArpHeader.PLEN_OFFSET, (byte)IPV4_LENGTH);
            f.putShort(a + ArpHeader.OPER_OFFSET, (short)ArpHeader.OPER_REQUEST, ByteOrder.BIG_ENDIAN);
            MacAddress.write(f, a + ArpHeader.SHA_OFFSET, localMac);
            f.putInt(a + ArpHeader.SPA_OFFSET, localIp, ByteOrder.BIG_ENDIAN);
            f.putInt(a + ArpHeader.TPA_OFFSET, n.ip, ByteOrder.BIG_ENDIAN);
            transmitter.send(f, 0, FRAME_LENGTH);
        }
    }

    static boolean isArp(final DirectBuffer buffer, final int eth)
    {
        return (buffer.getShort(eth + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) ==
            EthernetHeader.ETHERTYPE_ARP;
    }

    /** Polling thread: an ARP packet off the underlay ({@code arpOffset}: its ARP header). */
    void onArp(final DirectBuffer buffer, final int arpOffset, final long now)
    {
        if ((buffer.getShort(arpOffset + ArpHeader.HTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) !=
            ArpHeader.HTYPE_ETHERNET ||
            (buffer.getShort(arpOffset + ArpHeader.PTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) !=
            EthernetHeader.ETHERTYPE_IPV4 ||
            buffer.getByte(arpOffset + ArpHeader.HLEN_OFFSET) != MacAddress.LENGTH ||
            buffer.getByte(arpOffset + ArpHeader.PLEN_OFFSET) != IPV4_LENGTH)
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
        final Neighbour n = byIp.get(senderIp);
        final long mac = MacAddress.read(buffer, arpOffset + ArpHeader.SHA_OFFSET);
        if (null != n && MacAddress.isValidSource(mac))
        {
            if (n.mac != mac)
            {
                n.mac = mac;
                learned++;
            }
            n.confirmedNanos = now;
        }
        // A peer asking for our address may not know our MAC. Its own host's kernel answers its request, but a
        // kernel does not answer one sent from an address it owns itself (two VTEPs' underlays in one namespace):
        // a request back lets the peer learn ours from that instead of waiting for our next refresh.
        if (null != n && op == ArpHeader.OPER_REQUEST && targetIp == localIp)
        {
            requestBack(n, now);
        }
    }

    private void requestBack(final Neighbour n, final long now)
    {
        synchronized (frame)
        {
            if (n.requestedBackOnce && now - n.requestedBackNanos < ARP_RETRY_NANOS)
            {
                return; // a peer flooding requests gets at most one back per retry interval
            }
            n.requestedBackOnce = true;
            n.requestedBackNanos = now;
        }
        request(n, now);
    }
}
