package io.jvs.macvlan;

import io.jvs.dataplane.parse.ArpHeader;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import io.jvs.tap.SharedLinkPort;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The edge rules of every mode and the VLAN demultiplexing, over an in-memory parent. */
class LanPortTest
{
    private static final long PARENT = 0x0A_00_00_00_00_01L;
    private static final long LAN_HOST = 0x0A_00_00_00_00_64L;
    private static final long C1 = 0x02_42_AC_1D_00_21L;
    private static final long C2 = 0x02_42_AC_1D_00_22L;
    private static final int IP_PARENT = ip(172, 29, 0, 1);
    private static final int IP_LAN_HOST = ip(172, 29, 0, 100);
    private static final int IP_C1 = ip(172, 29, 0, 33);
    private static final int IP_C2 = ip(172, 29, 0, 34);

    private final MemoryParent parent = new MemoryParent();
    private final ParentLink link = ParentLink.create("p0", parent, PARENT);
    private final List<byte[]> delivered = new ArrayList<>();
    private final FrameHandler collect = (b, o, l) ->
    {
        final byte[] f = new byte[l];
        b.getBytes(o, f);
        delivered.add(f);
    };

    /** Frames off one read of the link, with the port id each was handed over with. */
    private final List<Integer> deliveredIds = new ArrayList<>();

    /**
     * What the switch receives for {@code port} in one cycle, as its receive agent does it: the port bound to an id
     * (its VID + 1) the first time, polled for the frames it makes itself, then the link read once. Every frame the
     * link hands over in that read must carry this port's id.
     */
    private int receive(final LanPort port, final int limit)
    {
        if (port.receiveId() == SharedLinkPort.UNBOUND)
        {
            port.bindReceive(port.vid() + 1);
        }
        final int n = port.receive(collect, limit);
        return n + readLink(limit - n, port.receiveId());
    }

    /** One read of the link; every frame must be for {@code expectedId} (0: any). */
    private int readLink(final int limit, final int expectedId)
    {
        return link.receive((portId, buffer, offset, length) ->
        {
            if (expectedId != SharedLinkPort.UNBOUND)
            {
                assertEquals(expectedId, portId, "a frame of another port");
            }
            deliveredIds.add(portId);
            collect.onFrame(buffer, offset, length);
        }, limit);
    }

    @Test
    void macvlanFiltersByContainerMacBothWays()
    {
        final LanPort port = link.openPort(LanPortConfig.of("p0", 0, LanMode.MACVLAN));
        port.setMembers(new LanMembers(Map.of(IP_C1, C1, IP_C2, C2)));

        parent.arrive(ipv4(C1, LAN_HOST, IP_LAN_HOST, IP_C1));             // to a container
        parent.arrive(ipv4(PARENT, LAN_HOST, IP_LAN_HOST, IP_PARENT));     // the host's own traffic
        parent.arrive(arp(MacAddress.BROADCAST, LAN_HOST, ArpHeader.OPER_REQUEST, LAN_HOST, IP_LAN_HOST, 0, IP_C1));
        parent.arrive(ipv4(LAN_HOST, C1, IP_C1, IP_LAN_HOST));             // spoofed container source
        assertEquals(2, receive(port, 64));
        assertEquals(C1, dst(delivered.get(0)));
        assertEquals(MacAddress.BROADCAST, dst(delivered.get(1)));
        assertEquals(1, port.counter(LanCounter.RX_NOT_OURS));
        assertEquals(1, port.counter(LanCounter.RX_LOCAL_SOURCE));

        final byte[] out = ipv4(LAN_HOST, C1, IP_C1, IP_LAN_HOST);
        assertTrue(port.offer(new UnsafeBuffer(out), 0, out.length));
        assertTrue(port.offer(wrap(ipv4(LAN_HOST, 0x02_00_00_00_00_99L, IP_PARENT, IP_LAN_HOST)), 0, out.length));
        assertEquals(1, parent.sent.size(), "only the container's frame leaves");
        assertArrayEquals(out, parent.sent.get(0));
        assertEquals(1, port.counter(LanCounter.TX_FOREIGN_SOURCE));
    }

    @Test
    void vlansShareOneParentAndAreTaggedAndUntagged()
    {
        final LanPort ten = link.openPort(LanPortConfig.of("p0.10", 10, LanMode.MACVLAN));
        final LanPort twenty = link.openPort(LanPortConfig.of("p0.20", 20, LanMode.MACVLAN));
        assertThrows(IllegalArgumentException.class, () -> link.openPort(LanPortConfig.of("x", 10, LanMode.MACVLAN)));
        ten.setMembers(new LanMembers(Map.of(IP_C1, C1)));
        twenty.setMembers(new LanMembers(Map.of(IP_C2, C2)));

        final byte[] for20 = ipv4(C2, LAN_HOST, IP_LAN_HOST, IP_C2);
        parent.arrive(tag(for20, 20));
        parent.arrive(tag(ipv4(C1, LAN_HOST, IP_LAN_HOST, IP_C1), 30)); // no network on VLAN 30
        parent.arrive(ipv4(C1, LAN_HOST, IP_LAN_HOST, IP_C1));          // untagged: no untagged network
        ten.bindReceive(11);
        twenty.bindReceive(21);
        assertEquals(1, readLink(64, SharedLinkPort.UNBOUND), "one read of the parent for every VLAN");
        assertEquals(List.of(21), deliveredIds, "VLAN 20's frame goes to the switch as VLAN 20's port's");
        assertEquals(2, link.ignored(ParentLink.Ignored.NO_NETWORK));
        assertArrayEquals(for20, delivered.get(0), "untagged on the way in");
        assertEquals(1, twenty.rxFrames());
        assertEquals(0, ten.rxFrames());
        assertEquals(0, receive(twenty, 64), "nothing parked for a later poll of a port");

        // On the way out the tag goes in, and a partial checksum's start moves with the payload.
        final byte[] out = ipv4(LAN_HOST, C1, IP_C1, IP_LAN_HOST);
        out[VnetHeader.FLAGS_OFFSET] = VnetHeader.FLAG_NEEDS_CSUM;
        new UnsafeBuffer(out).putShort(VnetHeader.CSUM_START_OFFSET, (short)34, ByteOrder.LITTLE_ENDIAN);
        assertTrue(ten.offer(new UnsafeBuffer(out), 0, out.length));
        final byte[] sent = parent.sent.get(0);
        final UnsafeBuffer s = new UnsafeBuffer(sent);
        assertEquals(out.length + 4, sent.length);
        assertEquals(0x8100, s.getShort(VnetHeader.LENGTH + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF);
        assertEquals(10, s.getShort(VnetHeader.LENGTH + 14, ByteOrder.BIG_ENDIAN) & 0xFFFF);
        assertEquals(0x0800, s.getShort(VnetHeader.LENGTH + 16, ByteOrder.BIG_ENDIAN) & 0xFFFF);
        assertEquals(38, s.getShort(VnetHeader.CSUM_START_OFFSET, ByteOrder.LITTLE_ENDIAN));

        ten.close();
        assertEquals(1, link.portCount());
        parent.arrive(tag(ipv4(C1, LAN_HOST, IP_LAN_HOST, IP_C1), 10));
        assertEquals(0, receive(twenty, 64));
        assertEquals(1, delivered.size());
        assertEquals(3, link.ignored(ParentLink.Ignored.NO_NETWORK), "VLAN 10 is gone");
    }

    @Test
    void ipvlanL2ShowsTheParentMacAndDemultiplexesByAddress()
    {
        final LanPort port = link.openPort(LanPortConfig.of("p0", 0, LanMode.IPVLAN_L2));
        port.setMembers(new LanMembers(Map.of(IP_C1, C1, IP_C2, C2)));

        final byte[] request = arp(MacAddress.BROADCAST, C1, ArpHeader.OPER_REQUEST, C1, IP_C1, 0, IP_LAN_HOST);
        assertTrue(port.offer(new UnsafeBuffer(request), 0, request.length));
        final UnsafeBuffer sent = new UnsafeBuffer(parent.sent.get(0));
        assertEquals(PARENT, MacAddress.read(sent, VnetHeader.LENGTH + EthernetHeader.SOURCE_OFFSET));
        assertEquals(PARENT, MacAddress.read(sent, VnetHeader.LENGTH + 14 + ArpHeader.SHA_OFFSET));
        assertEquals(C1, MacAddress.read(new UnsafeBuffer(request), VnetHeader.LENGTH + 6), "switch's copy untouched");

        parent.arrive(arp(PARENT, LAN_HOST, ArpHeader.OPER_REPLY, LAN_HOST, IP_LAN_HOST, PARENT, IP_C1));
        parent.arrive(ipv4(PARENT, LAN_HOST, IP_LAN_HOST, IP_C2));
        parent.arrive(ipv4(PARENT, LAN_HOST, IP_LAN_HOST, IP_PARENT)); // the host's: left to the kernel
        parent.arrive(arp(MacAddress.BROADCAST, LAN_HOST, ArpHeader.OPER_REQUEST, LAN_HOST, IP_LAN_HOST, 0,
            ip(172, 29, 0, 7)));                                       // for nobody here
        assertEquals(2, receive(port, 64));
        final UnsafeBuffer reply = new UnsafeBuffer(delivered.get(0));
        assertEquals(C1, dst(delivered.get(0)));
        assertEquals(C1, MacAddress.read(reply, VnetHeader.LENGTH + 14 + ArpHeader.THA_OFFSET));
        assertEquals(C2, dst(delivered.get(1)));
        assertEquals(2, port.counter(LanCounter.RX_NOT_OURS));
    }

    @Test
    void ipvlanL3AnswersForTheGatewayAndRoutesWithItsOwnArp()
    {
        final int gateway = ip(10, 203, 0, 1);
        final int c1 = ip(10, 203, 0, 2);
        final LanPort port = link.openPort(
            new LanPortConfig("p0", 0, LanMode.IPVLAN_L3, IP_PARENT, 24, ip(172, 29, 0, 254), gateway));
        port.setMembers(new LanMembers(Map.of(c1, C1)));

        // The container asks for its gateway: jvs answers with the parent MAC, nothing goes to the LAN.
        final byte[] ask = arp(MacAddress.BROADCAST, C1, ArpHeader.OPER_REQUEST, C1, c1, 0, gateway);
        assertTrue(port.offer(new UnsafeBuffer(ask), 0, ask.length));
        assertEquals(0, parent.sent.size());
        assertEquals(1, receive(port, 64));
        final UnsafeBuffer answer = new UnsafeBuffer(delivered.get(0));
        assertEquals(C1, dst(delivered.get(0)));
        assertEquals(ArpHeader.OPER_REPLY, answer.getShort(VnetHeader.LENGTH + 14 + ArpHeader.OPER_OFFSET,
            ByteOrder.BIG_ENDIAN));
        assertEquals(PARENT, MacAddress.read(answer, VnetHeader.LENGTH + 14 + ArpHeader.SHA_OFFSET));
        assertEquals(gateway, answer.getInt(VnetHeader.LENGTH + 14 + ArpHeader.SPA_OFFSET, ByteOrder.BIG_ENDIAN));

        // Routed IPv4 to a LAN host: first an ARP request from the parent, the frame is dropped.
        final byte[] out = ipv4(PARENT, C1, c1, IP_LAN_HOST);
        assertTrue(port.offer(new UnsafeBuffer(out), 0, out.length));
        assertEquals(1, port.counter(LanCounter.TX_NEIGHBOUR_UNRESOLVED));
        final UnsafeBuffer request = new UnsafeBuffer(parent.sent.get(0));
        assertEquals(MacAddress.BROADCAST, dst(parent.sent.get(0)));
        assertEquals(IP_LAN_HOST, request.getInt(VnetHeader.LENGTH + 14 + ArpHeader.TPA_OFFSET, ByteOrder.BIG_ENDIAN));
        // The reply is learned (and not given to the containers); the next frame leaves with both MACs rewritten.
        parent.arrive(arp(PARENT, LAN_HOST, ArpHeader.OPER_REPLY, LAN_HOST, IP_LAN_HOST, PARENT, IP_PARENT));
        assertEquals(0, receive(port, 64));
        assertTrue(port.offer(new UnsafeBuffer(out), 0, out.length));
        assertEquals(2, parent.sent.size());
        assertEquals(LAN_HOST, dst(parent.sent.get(1)));
        assertEquals(PARENT, MacAddress.read(new UnsafeBuffer(parent.sent.get(1)), VnetHeader.LENGTH + 6));

        // No broadcast leaves; the LAN's routed packet for the container arrives from the "gateway".
        final byte[] bcast = ipv4(MacAddress.BROADCAST, C1, c1, -1);
        assertTrue(port.offer(new UnsafeBuffer(bcast), 0, bcast.length));
        assertEquals(2, parent.sent.size());
        assertEquals(1, port.counter(LanCounter.TX_NO_BROADCAST));
        parent.arrive(ipv4(PARENT, LAN_HOST, IP_LAN_HOST, c1));
        assertEquals(1, receive(port, 64));
        assertEquals(C1, dst(delivered.get(1)));
        assertEquals(PARENT, MacAddress.read(new UnsafeBuffer(delivered.get(1)), VnetHeader.LENGTH + 6));
    }

    @Test
    void oneReadKeepsEachVlansOrderAndCountsFramesOfAnUnboundPort()
    {
        final LanPort ten = link.openPort(LanPortConfig.of("p0.10", 10, LanMode.MACVLAN));
        final LanPort twenty = link.openPort(LanPortConfig.of("p0.20", 20, LanMode.MACVLAN));
        ten.setMembers(new LanMembers(Map.of(IP_C1, C1)));
        twenty.setMembers(new LanMembers(Map.of(IP_C2, C2)));
        ten.bindReceive(11);
        twenty.bindReceive(21);
        final byte[] a = ipv4(C1, LAN_HOST, IP_LAN_HOST, IP_C1);
        final byte[] b = ipv4(C2, LAN_HOST, IP_LAN_HOST, IP_C2);
        final byte[] c = ipv4(C1, LAN_HOST, IP_LAN_HOST + 1, IP_C1);
        parent.arrive(tag(a, 10));
        parent.arrive(tag(b, 20));
        parent.arrive(tag(c, 10));
        assertEquals(3, readLink(64, SharedLinkPort.UNBOUND));
        assertEquals(List.of(11, 21, 11), deliveredIds);
        assertArrayEquals(a, delivered.get(0));
        assertArrayEquals(b, delivered.get(1));
        assertArrayEquals(c, delivered.get(2));

        // The switch let go of VLAN 20's port: its frames are dropped and counted, VLAN 10's still go.
        twenty.bindReceive(SharedLinkPort.UNBOUND);
        parent.arrive(tag(b, 20));
        parent.arrive(tag(a, 10));
        assertEquals(1, readLink(64, 11));
        assertEquals(1, twenty.counter(LanCounter.RX_DETACHED));
        assertEquals(0, ten.counter(LanCounter.RX_DETACHED));
        assertArrayEquals(a, delivered.get(3));
    }

    @Test
    void tagCopyAndStripAreInverse()
    {
        final byte[] frame = ipv4(C1, LAN_HOST, IP_LAN_HOST, IP_C1);
        frame[VnetHeader.FLAGS_OFFSET] = VnetHeader.FLAG_NEEDS_CSUM;
        new UnsafeBuffer(frame).putShort(VnetHeader.CSUM_START_OFFSET, (short)34, ByteOrder.LITTLE_ENDIAN);
        new UnsafeBuffer(frame).putShort(VnetHeader.HDR_LEN_OFFSET, (short)54, ByteOrder.LITTLE_ENDIAN);
        final UnsafeBuffer tagged = new UnsafeBuffer(new byte[frame.length + 4]);
        assertEquals(frame.length + 4, VlanTag.copyTagged(new UnsafeBuffer(frame), 0, frame.length, tagged, 0, 4094));
        assertEquals(58, tagged.getShort(VnetHeader.HDR_LEN_OFFSET, ByteOrder.LITTLE_ENDIAN));
        final int at = VlanTag.stripInPlace(tagged, 0);
        final byte[] back = new byte[frame.length];
        tagged.getBytes(at, back);
        assertArrayEquals(frame, back);
    }

    // ------------------------------------------------------------------------------------------------- frames

    private static int ip(final int a, final int b, final int c, final int d)
    {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }

    private static UnsafeBuffer wrap(final byte[] bytes)
    {
        return new UnsafeBuffer(bytes);
    }

    private static long dst(final byte[] record)
    {
        return MacAddress.read(new UnsafeBuffer(record), VnetHeader.LENGTH);
    }

    private static byte[] ipv4(final long dst, final long src, final int srcIp, final int dstIp)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[VnetHeader.LENGTH + 14 + 28]);
        final int eth = VnetHeader.LENGTH;
        MacAddress.write(b, eth, dst);
        MacAddress.write(b, eth + 6, src);
        b.putShort(eth + 12, (short)EthernetHeader.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        final int ip = eth + 14;
        b.putByte(ip, (byte)0x45);
        b.putShort(ip + Ipv4Header.TOTAL_LENGTH_OFFSET, (short)28, ByteOrder.BIG_ENDIAN);
        b.putByte(ip + Ipv4Header.TTL_OFFSET, (byte)64);
        b.putByte(ip + Ipv4Header.PROTOCOL_OFFSET, (byte)Ipv4Header.PROTOCOL_ICMP);
        b.putInt(ip + Ipv4Header.SOURCE_OFFSET, srcIp, ByteOrder.BIG_ENDIAN);
        b.putInt(ip + Ipv4Header.DESTINATION_OFFSET, dstIp, ByteOrder.BIG_ENDIAN);
        return b.byteArray();
    }

    private static byte[] arp(
        final long dst, final long src, final int op, final long sha, final int spa, final long tha, final int tpa)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[VnetHeader.LENGTH + 60]);
        final int eth = VnetHeader.LENGTH;
        MacAddress.write(b, eth, dst);
        MacAddress.write(b, eth + 6, src);
        b.putShort(eth + 12, (short)EthernetHeader.ETHERTYPE_ARP, ByteOrder.BIG_ENDIAN);
        final int a = eth + 14;
        b.putShort(a + ArpHeader.HTYPE_OFFSET, (short)1, ByteOrder.BIG_ENDIAN);
        b.putShort(a + ArpHeader.PTYPE_OFFSET, (short)0x0800, ByteOrder.BIG_ENDIAN);
        b.putByte(a + ArpHeader.HLEN_OFFSET, (byte)6);
        b.putByte(a + ArpHeader.PLEN_OFFSET, (byte)4);
        b.putShort(a + ArpHeader.OPER_OFFSET, (short)op, ByteOrder.BIG_ENDIAN);
        MacAddress.write(b, a + ArpHeader.SHA_OFFSET, sha);
        b.putInt(a + ArpHeader.SPA_OFFSET, spa, ByteOrder.BIG_ENDIAN);
        MacAddress.write(b, a + ArpHeader.THA_OFFSET, tha);
        b.putInt(a + ArpHeader.TPA_OFFSET, tpa, ByteOrder.BIG_ENDIAN);
        return b.byteArray();
    }

    /** Inserts a tag the independent way: by building a new array. */
    private static byte[] tag(final byte[] record, final int vid)
    {
        final byte[] out = new byte[record.length + 4];
        final int split = VnetHeader.LENGTH + 12;
        System.arraycopy(record, 0, out, 0, split);
        out[split] = (byte)0x81;
        out[split + 1] = 0;
        out[split + 2] = (byte)(vid >> 8);
        out[split + 3] = (byte)vid;
        System.arraycopy(record, split, out, split + 4, record.length - split);
        return out;
    }

    /** A parent that delivers queued records (copied into a fresh mutable buffer) and records what is offered. */
    static final class MemoryParent implements PacketPort
    {
        final ArrayDeque<byte[]> incoming = new ArrayDeque<>();
        final List<byte[]> sent = new ArrayList<>();

        void arrive(final byte[] record)
        {
            incoming.add(record);
        }

        public String name()
        {
            return "mem";
        }

        public int fd()
        {
            return -1;
        }

        public int receive(final FrameHandler handler, final int limit)
        {
            int n = 0;
            while (n < limit && !incoming.isEmpty())
            {
                final byte[] r = incoming.poll();
                final UnsafeBuffer slot = new UnsafeBuffer(new byte[r.length + 16]);
                slot.putBytes(16, r);
                handler.onFrame(slot, 16, r.length);
                n++;
            }
            return n;
        }

        public boolean offer(final DirectBuffer buffer, final int offset, final int length)
        {
            final byte[] f = new byte[length];
            buffer.getBytes(offset, f);
            sent.add(f);
            return true;
        }

        public int flush()
        {
            return 0;
        }

        public int maxFrameLength()
        {
            return 70_000;
        }

        public void close()
        {
        }
    }
}
