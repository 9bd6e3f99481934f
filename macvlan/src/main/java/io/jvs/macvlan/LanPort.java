package io.jvs.macvlan;

import io.jvs.dataplane.parse.ArpHeader;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import io.jvs.tap.SharedLinkPort;
import io.jvs.tap.StagingRing;
import io.jvs.tap.VnetHeader;
import io.jvs.tap.counters.CounterTable;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * One LAN network's uplink as a switch port: the network's VLAN (or the untagged traffic) of a shared
 * {@link ParentLink}. The switch bridges it with the containers' ports like any other port; this class applies the
 * mode's rules at the edge, in both directions, without allocation.
 * <table>
 *   <caption>rules</caption>
 *   <tr><th>mode</th><th>LAN to containers ({@link #inbound}, RX thread)</th>
 *       <th>containers to LAN ({@link #offer}, TX thread)</th></tr>
 *   <tr><td>macvlan</td><td>broadcast/multicast, and unicast to a container MAC; nothing sourced from a container
 *       MAC</td><td>only frames sourced from a container MAC (the host port's frames stay inside)</td></tr>
 *   <tr><td>ipvlan l2</td><td>IPv4 to the parent MAC whose destination is a container: destination MAC rewritten
 *       to the container's; ARP whose target is a container (target MAC rewritten too); IPv4 broadcast/multicast
 *       </td><td>source MAC (and ARP sender MAC) rewritten to the parent's: the LAN sees one MAC</td></tr>
 *   <tr><td>ipvlan l3</td><td>IPv4 to the parent MAC for a container: MACs rewritten (source = parent, as the
 *       containers' gateway); ARP only feeds the neighbour table</td><td>ARP for the gateway answered by jvs
 *       (parent MAC); IPv4 to the gateway MAC routed: next hop from jvs's own ARP; no broadcast leaves</td></tr>
 * </table>
 * Frames for a VLAN get their tag on the way out ({@link VlanTag#copyTagged}); the link strips it on the way in.
 * The switch reads the LAN's frames through the {@link ParentLink} ({@link #sharedLink()}), which hands them over
 * with this port's id; the port's own {@link #receive} only hands over the ARP replies ipvlan l3 makes for the
 * containers' gateway on the TX thread.
 */
public final class LanPort implements SharedLinkPort
{
    /** A 64 KB GSO frame with Ethernet, a VLAN tag and the vnet header. */
    public static final int MAX_FRAME_LENGTH = VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH + VlanTag.LENGTH +
        0xFFFF;
    static final int REPLY_BYTES = 64 * 1024;
    static final int ARP_FRAME_LENGTH = 60;
    private static final int ARP_RECORD_LENGTH = VnetHeader.LENGTH + ARP_FRAME_LENGTH;
    private static final int ARP_AT = EthernetHeader.HEADER_LENGTH;

    private final ParentLink link;
    private final PacketPort parent;
    private final LanPortConfig config;
    private final LanMode mode;
    private final int vid;
    private final long parentMac;
    private final StagingRing replies;
    private final LanNeighbours neighbours;
    private final UnsafeBuffer scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_FRAME_LENGTH + 64));
    private final UnsafeBuffer arpScratch = new UnsafeBuffer(ByteBuffer.allocateDirect(ARP_RECORD_LENGTH));
    private final FrameHandler stagedCounter = this::onStaged;

    private volatile LanMembers members = LanMembers.EMPTY;
    private volatile boolean closed;

    // RX thread.
    /** The id the switch's receive side knows this port by, or UNBOUND. */
    private int receiveId = UNBOUND;
    private FrameHandler stagedHandler;
    private long rxFrames;
    private long rxBytes;
    // TX thread.
    private long txFrames;
    private long txBytes;
    private long arpRequests;
    private long arpReplies;
    /** One {@link LanCounter} record in the counters registry (key: the VID); TX_* the TX thread's, RX_* the RX's. */
    private final CounterTable counters;

    LanPort(final ParentLink link, final LanPortConfig config, final CounterTable counters)
    {
        this.counters = counters;
        this.link = link;
        this.parent = link.parent();
        this.config = config;
        this.mode = config.mode();
        this.vid = config.vid();
        this.parentMac = link.parentMac();
        final boolean l3 = mode == LanMode.IPVLAN_L3;
        this.replies = l3 ? new StagingRing(REPLY_BYTES) : null;
        this.neighbours = l3 ? new LanNeighbours() : null;
    }

    public LanPortConfig config()
    {
        return config;
    }

    public LanMode mode()
    {
        return mode;
    }

    public int vid()
    {
        return vid;
    }

    public ParentLink link()
    {
        return link;
    }

    public long parentMac()
    {
        return parentMac;
    }

    /** Replaces the network's containers (control path; applied to both directions at once). */
    public void setMembers(final LanMembers members)
    {
        this.members = members;
    }

    public LanMembers members()
    {
        return members;
    }

    public String name()
    {
        return config.name();
    }

    public int fd()
    {
        return link.fd();
    }

    public int maxFrameLength()
    {
        return MAX_FRAME_LENGTH - VlanTag.LENGTH;
    }

    // ---------------------------------------------------------------- RX thread

    public ParentLink sharedLink()
    {
        return link;
    }

    public void bindReceive(final int portId)
    {
        receiveId = portId;
    }

    int receiveId()
    {
        return receiveId;
    }

    /** ipvlan l3's gateway ARP replies; the LAN's frames come through the link. */
    public int receive(final FrameHandler handler, final int limit)
    {
        if (null == replies)
        {
            return 0;
        }
        stagedHandler = handler;
        try
        {
            return replies.drain(stagedCounter, limit); // produced by the TX thread: always look
        }
        finally
        {
            stagedHandler = null;
        }
    }

    private void onStaged(final DirectBuffer buffer, final int offset, final int length)
    {
        countRx(length);
        stagedHandler.onFrame(buffer, offset, length);
    }

    /** A frame that passed the rules while no switch receives from this port. */
    void countDetached()
    {
        counters.incrementCounter(0, LanCounter.RX_DETACHED.ordinal());
    }

    void countRx(final int recordLength)
    {
        rxFrames++;
        rxBytes += recordLength - VnetHeader.LENGTH;
    }

    /**
     * Applies the mode's LAN-to-containers rules to an untagged record, rewriting it in place.
     *
     * @return true to hand the frame to the switch.
     */
    boolean inbound(final MutableDirectBuffer b, final int offset, final int length)
    {
        final int eth = offset + VnetHeader.LENGTH;
        final int end = offset + length;
        final long dst = MacAddress.read(b, eth + EthernetHeader.DESTINATION_OFFSET);
        final long src = MacAddress.read(b, eth + EthernetHeader.SOURCE_OFFSET);
        final LanMembers m = members;
        if (m.hasMac(src))
        {
            return count(LanCounter.RX_LOCAL_SOURCE);
        }
        if (mode == LanMode.MACVLAN)
        {
            return MacAddress.isMulticast(dst) || m.hasMac(dst) || count(LanCounter.RX_NOT_OURS);
        }
        final int type = b.getShort(eth + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int l3 = eth + EthernetHeader.HEADER_LENGTH;
        if (type == EthernetHeader.ETHERTYPE_ARP)
        {
            if (l3 + ArpHeader.LENGTH > end || !isEthernetIpv4Arp(b, l3))
            {
                return count(LanCounter.RX_MALFORMED);
            }
            if (mode == LanMode.IPVLAN_L3)
            {
                final long sha = MacAddress.read(b, l3 + ArpHeader.SHA_OFFSET);
                if (MacAddress.isValidSource(sha))
                {
                    neighbours.learn(b.getInt(l3 + ArpHeader.SPA_OFFSET, ByteOrder.BIG_ENDIAN), sha);
                }
                return count(LanCounter.RX_NOT_OURS); // l3: ARP never reaches the containers
            }
            final long mac = m.macOf(b.getInt(l3 + ArpHeader.TPA_OFFSET, ByteOrder.BIG_ENDIAN));
            if (mac == LanMembers.NONE)
            {
                return count(LanCounter.RX_NOT_OURS);
            }
            if (dst == parentMac)
            {
                MacAddress.write(b, eth + EthernetHeader.DESTINATION_OFFSET, mac);
            }
            else if (!MacAddress.isMulticast(dst))
            {
                return count(LanCounter.RX_NOT_OURS);
            }
            if (MacAddress.read(b, l3 + ArpHeader.THA_OFFSET) == parentMac)
            {
                MacAddress.write(b, l3 + ArpHeader.THA_OFFSET, mac);
            }
            return true;
        }
        if (type != EthernetHeader.ETHERTYPE_IPV4)
        {
            return count(LanCounter.RX_NOT_IPV4);
        }
        if (dst != parentMac)
        {
            // ipvlan l2 takes the LAN's IPv4 broadcast and multicast (as Linux ipvlan does); l3 takes none.
            return (mode == LanMode.IPVLAN_L2 && MacAddress.isMulticast(dst)) || count(LanCounter.RX_NOT_OURS);
        }
        if (l3 + Ipv4Header.MIN_HEADER_LENGTH > end)
        {
            return count(LanCounter.RX_MALFORMED);
        }
        final long mac = m.macOf(b.getInt(l3 + Ipv4Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN));
        if (mac == LanMembers.NONE)
        {
            return count(LanCounter.RX_NOT_OURS); // the host's own traffic: the kernel has its copy
        }
        MacAddress.write(b, eth + EthernetHeader.DESTINATION_OFFSET, mac);
        if (mode == LanMode.IPVLAN_L3)
        {
            // Routed: it comes from the containers' gateway, whose MAC jvs gave out as the parent's.
            MacAddress.write(b, eth + EthernetHeader.SOURCE_OFFSET, parentMac);
        }
        return true;
    }

    // ---------------------------------------------------------------- TX thread

    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH)
        {
            return drop(LanCounter.TX_TOO_SHORT);
        }
        final int eth = offset + VnetHeader.LENGTH;
        final long src = MacAddress.read(buffer, eth + EthernetHeader.SOURCE_OFFSET);
        if (!members.hasMac(src))
        {
            return drop(LanCounter.TX_FOREIGN_SOURCE);
        }
        if (mode == LanMode.MACVLAN)
        {
            return vid == ParentLink.UNTAGGED ? send(buffer, offset, length) : sendCopy(buffer, offset, length);
        }
        final int type = buffer.getShort(eth + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final boolean arp = type == EthernetHeader.ETHERTYPE_ARP &&
            length >= VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH + ArpHeader.LENGTH;
        if (mode == LanMode.IPVLAN_L3)
        {
            return offerRouted(buffer, offset, length, src, arp);
        }
        if (!copy(buffer, offset, length))
        {
            return true;
        }
        final int at = VnetHeader.LENGTH + (vid == ParentLink.UNTAGGED ? 0 : VlanTag.LENGTH);
        MacAddress.write(scratch, VnetHeader.LENGTH + EthernetHeader.SOURCE_OFFSET, parentMac);
        if (arp && MacAddress.read(scratch, at + ARP_AT + ArpHeader.SHA_OFFSET) == src)
        {
            MacAddress.write(scratch, at + ARP_AT + ArpHeader.SHA_OFFSET, parentMac);
        }
        return send(scratch, 0, copiedLength);
    }

    /** ipvlan l3: jvs is the containers' router; nothing but routed IPv4 leaves. */
    private boolean offerRouted(
        final DirectBuffer buffer, final int offset, final int length, final long src, final boolean arp)
    {
        final int eth = offset + VnetHeader.LENGTH;
        final int l3 = eth + EthernetHeader.HEADER_LENGTH;
        if (arp)
        {
            if ((buffer.getShort(l3 + ArpHeader.OPER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) == ArpHeader.OPER_REQUEST &&
                buffer.getInt(l3 + ArpHeader.TPA_OFFSET, ByteOrder.BIG_ENDIAN) == config.gateway())
            {
                replyForGateway(src, buffer.getInt(l3 + ArpHeader.SPA_OFFSET, ByteOrder.BIG_ENDIAN));
                return true;
            }
            return drop(LanCounter.TX_NO_BROADCAST);
        }
        final long dst = MacAddress.read(buffer, eth + EthernetHeader.DESTINATION_OFFSET);
        if (MacAddress.isMulticast(dst))
        {
            return drop(LanCounter.TX_NO_BROADCAST);
        }
        final int type = buffer.getShort(eth + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (dst != parentMac || type != EthernetHeader.ETHERTYPE_IPV4 ||
            length < VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH + Ipv4Header.MIN_HEADER_LENGTH)
        {
            return drop(LanCounter.TX_NOT_ROUTED);
        }
        final int destination = buffer.getInt(l3 + Ipv4Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
        final int hop = sameNetwork(destination, config.parentIp(), config.parentPrefix()) ?
            destination : config.lanGateway();
        if (hop == 0)
        {
            return drop(LanCounter.TX_NO_ROUTE);
        }
        final long hopMac = neighbours.lookup(hop);
        if (hopMac == LanNeighbours.NONE)
        {
            if (neighbours.shouldRequest(hop, System.nanoTime()))
            {
                requestArp(hop);
            }
            return drop(LanCounter.TX_NEIGHBOUR_UNRESOLVED);
        }
        if (!copy(buffer, offset, length))
        {
            return true;
        }
        MacAddress.write(scratch, VnetHeader.LENGTH + EthernetHeader.DESTINATION_OFFSET, hopMac);
        MacAddress.write(scratch, VnetHeader.LENGTH + EthernetHeader.SOURCE_OFFSET, parentMac);
        return send(scratch, 0, copiedLength);
    }

    static boolean sameNetwork(final int a, final int b, final int prefix)
    {
        if (prefix <= 0)
        {
            return prefix == 0;
        }
        final int mask = prefix >= 32 ? -1 : -1 << (32 - prefix);
        return (a & mask) == (b & mask);
    }

    /** The gateway's ARP reply, queued for this port's next receive (the switch delivers it to the asker). */
    private void replyForGateway(final long asker, final int askerIp)
    {
        final int index = replies.claim(ARP_RECORD_LENGTH);
        if (index <= 0)
        {
            drop(LanCounter.TX_REPLY_QUEUE_FULL);
            return;
        }
        final MutableDirectBuffer b = replies.buffer();
        writeArp(b, index, asker, ArpHeader.OPER_REPLY, parentMac, config.gateway(), asker, askerIp);
        replies.commit(index);
        arpReplies++;
    }

    private void requestArp(final int ip)
    {
        writeArp(arpScratch, 0, MacAddress.BROADCAST, ArpHeader.OPER_REQUEST, parentMac, config.parentIp(), 0, ip);
        if (parent.offer(arpScratch, 0, ARP_RECORD_LENGTH))
        {
            arpRequests++;
        }
    }

    /** {@code [vnet hdr 0][Ethernet dst, src=parent, ARP][ARP]}, padded to 60 bytes. */
    private static void writeArp(
        final MutableDirectBuffer b, final int at, final long ethDst, final int op, final long sha, final int spa,
        final long tha, final int tpa)
    {
        b.setMemory(at, ARP_RECORD_LENGTH, (byte)0);
        final int eth = at + VnetHeader.LENGTH;
        MacAddress.write(b, eth + EthernetHeader.DESTINATION_OFFSET, ethDst);
        MacAddress.write(b, eth + EthernetHeader.SOURCE_OFFSET, sha);
        b.putShort(eth + EthernetHeader.TYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_ARP, ByteOrder.BIG_ENDIAN);
        final int a = eth + ARP_AT;
        b.putShort(a + ArpHeader.HTYPE_OFFSET, (short)ArpHeader.HTYPE_ETHERNET, ByteOrder.BIG_ENDIAN);
        b.putShort(a + ArpHeader.PTYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        b.putByte(a + ArpHeader.HLEN_OFFSET, (byte)MacAddress.LENGTH);
        b.putByte(a + ArpHeader.PLEN_OFFSET, (byte)4);
        b.putShort(a + ArpHeader.OPER_OFFSET, (short)op, ByteOrder.BIG_ENDIAN);
        MacAddress.write(b, a + ArpHeader.SHA_OFFSET, sha);
        b.putInt(a + ArpHeader.SPA_OFFSET, spa, ByteOrder.BIG_ENDIAN);
        MacAddress.write(b, a + ArpHeader.THA_OFFSET, tha);
        b.putInt(a + ArpHeader.TPA_OFFSET, tpa, ByteOrder.BIG_ENDIAN);
    }

    private int copiedLength;

    /**
     * Copies the record into the scratch buffer, tagged when this network has a VLAN, so it can be rewritten
     * (the switch's record may be flooded to other ports too and must stay as it is).
     */
    private boolean copy(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length + VlanTag.LENGTH > scratch.capacity())
        {
            drop(LanCounter.TX_TOO_LONG);
            return false;
        }
        if (vid == ParentLink.UNTAGGED)
        {
            scratch.putBytes(0, buffer, offset, length);
            copiedLength = length;
        }
        else
        {
            copiedLength = VlanTag.copyTagged(buffer, offset, length, scratch, 0, vid);
        }
        return true;
    }

    private boolean sendCopy(final DirectBuffer buffer, final int offset, final int length)
    {
        return !copy(buffer, offset, length) || send(scratch, 0, copiedLength);
    }

    private boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length > parent.maxFrameLength())
        {
            return drop(LanCounter.TX_TOO_LONG);
        }
        if (parent.offer(buffer, offset, length))
        {
            txFrames++;
            txBytes += length - VnetHeader.LENGTH;
            return true;
        }
        return false; // ring full: the switch counts tx_full
    }

    public int flush()
    {
        return parent.flush();
    }

    private static boolean isEthernetIpv4Arp(final DirectBuffer b, final int arp)
    {
        return (b.getShort(arp + ArpHeader.HTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) == ArpHeader.HTYPE_ETHERNET &&
            (b.getShort(arp + ArpHeader.PTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) == EthernetHeader.ETHERTYPE_IPV4 &&
            b.getByte(arp + ArpHeader.HLEN_OFFSET) == MacAddress.LENGTH && b.getByte(arp + ArpHeader.PLEN_OFFSET) == 4;
    }

    /** Counts a frame dropped on the way in. @return false (not delivered). */
    private boolean count(final LanCounter reason)
    {
        counters.incrementCounter(0, reason.ordinal());
        return false;
    }

    /** Counts a frame dropped on the way out. @return true (consumed: the switch must not count tx_full). */
    private boolean drop(final LanCounter reason)
    {
        counters.incrementCounter(0, reason.ordinal());
        return true;
    }

    // ---------------------------------------------------------------- stats (any thread; may be stale)

    public long counter(final LanCounter counter)
    {
        return counters.get(0, counter);
    }

    /** From the registry: label to value in declaration order. */
    public Map<String, Long> counters()
    {
        return counters.values(0);
    }

    public long rxFrames()
    {
        return rxFrames;
    }

    public long rxBytes()
    {
        return rxBytes;
    }

    public long txFrames()
    {
        return txFrames;
    }

    public long txBytes()
    {
        return txBytes;
    }

    /** ipvlan l3: ARP requests jvs sent for next hops. */
    public long arpRequests()
    {
        return arpRequests;
    }

    /** ipvlan l3: ARP replies jvs made for the containers' gateway. */
    public long arpReplies()
    {
        return arpReplies;
    }

    /** Unregisters from the link (the switch calls this after its agents let go of the port). */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            link.onPortClosed(this, counters);
        }
    }

    public String toString()
    {
        return "LanPort{" + config.name() + ' ' + mode.label() + " vid=" + vid + " members=" + members.size() +
            " rx=" + rxFrames + " tx=" + txFrames + " counters=" + counters() + '}';
    }
}
