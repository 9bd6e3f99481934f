package io.jvs.vxlan;

import io.jvs.dataplane.parse.ArpHeader;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.FrameHandler;
import io.jvs.tap.StagingRing;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * ARP for the remote endpoints of a tunnel port's VNI, answered on this host: a broadcast request from a local
 * container for an address the cluster store places behind a remote VTEP gets its reply made on the TX thread
 * ({@link #answer}), and the reply reaches the switch as a frame received on the tunnel port ({@link #drain},
 * RX thread) through a single-producer, single-consumer {@link StagingRing}. The one copy left in the receive path:
 * the frame is made on another thread than the one that hands frames to the switch.
 */
final class RemoteArpResponder implements FrameHandler
{
    /** [vnet hdr][Ethernet][ARP], the reply the port makes for a remote endpoint's address. */
    static final int REPLY_LENGTH = VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH + ArpHeader.LENGTH;
    private static final int RING_BYTES = 64 * 1024;

    private final VxlanTunnelPort port;
    private final StagingRing replies = new StagingRing(RING_BYTES);
    private final UnsafeBuffer reply = new UnsafeBuffer(ByteBuffer.allocateDirect(REPLY_LENGTH));
    /** TX thread. */
    private long answered;
    /** RX thread: the handler of the current {@link #drain}. */
    private FrameHandler handler;

    RemoteArpResponder(final VxlanTunnelPort port)
    {
        this.port = port;
    }

    /** ARP requests answered (TX thread's count; any thread may read it, stale). */
    long answered()
    {
        return answered;
    }

    /** RX thread: hands up to {@code limit} replies to the handler as frames received on the port. */
    int drain(final FrameHandler handler, final int limit)
    {
        if (replies.isEmpty())
        {
            return 0;
        }
        this.handler = handler;
        try
        {
            return replies.drain(this, limit);
        }
        finally
        {
            this.handler = null;
        }
    }

    /** A staged reply -> the handler of the current drain. */
    public void onFrame(final DirectBuffer buffer, final int offset, final int length)
    {
        port.countRx(length - VnetHeader.LENGTH);
        handler.onFrame(buffer, offset, length);
    }

    /**
     * A broadcast ARP request for a remote endpoint's address: the reply is made here and handed to the switch as
     * if it came from the tunnel (so the switch learns that MAC behind this port); the request is not flooded.
     *
     * @return true when answered (the frame is consumed).
     */
    boolean answer(final DirectBuffer buffer, final int eth, final int frameLength, final RemoteEndpoints remote)
    {
        if (frameLength < EthernetHeader.HEADER_LENGTH + ArpHeader.LENGTH ||
            (buffer.getShort(eth + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) !=
                EthernetHeader.ETHERTYPE_ARP)
        {
            return false;
        }
        final int arp = eth + EthernetHeader.HEADER_LENGTH;
        if ((buffer.getShort(arp + ArpHeader.HTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) !=
                ArpHeader.HTYPE_ETHERNET ||
            (buffer.getShort(arp + ArpHeader.PTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) !=
                EthernetHeader.ETHERTYPE_IPV4 ||
            buffer.getByte(arp + ArpHeader.HLEN_OFFSET) != 6 || buffer.getByte(arp + ArpHeader.PLEN_OFFSET) != 4 ||
            (buffer.getShort(arp + ArpHeader.OPER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) != ArpHeader.OPER_REQUEST)
        {
            return false;
        }
        final int targetIp = buffer.getInt(arp + ArpHeader.TPA_OFFSET, ByteOrder.BIG_ENDIAN);
        final long targetMac = remote.macOf(targetIp);
        if (targetMac == RemoteEndpoints.NONE)
        {
            return false;
        }
        final long senderMac = MacAddress.read(buffer, arp + ArpHeader.SHA_OFFSET);
        final int senderIp = buffer.getInt(arp + ArpHeader.SPA_OFFSET, ByteOrder.BIG_ENDIAN);
        final UnsafeBuffer r = reply;
        r.setMemory(0, VnetHeader.LENGTH, (byte)0);
        final int re = VnetHeader.LENGTH;
        MacAddress.write(r, re + EthernetHeader.DESTINATION_OFFSET,
            MacAddress.read(buffer, eth + EthernetHeader.SOURCE_OFFSET));
        MacAddress.write(r, re + EthernetHeader.SOURCE_OFFSET, targetMac);
        r.putShort(re + EthernetHeader.TYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_ARP, ByteOrder.BIG_ENDIAN);
        final int ra = re + EthernetHeader.HEADER_LENGTH;
        r.putShort(ra + ArpHeader.HTYPE_OFFSET, (short)ArpHeader.HTYPE_ETHERNET, ByteOrder.BIG_ENDIAN);
        r.putShort(ra + ArpHeader.PTYPE_OFFSET, (short)EthernetHeader.ETHERTYPE_IPV4, ByteOrder.BIG_ENDIAN);
        r.putByte(ra + ArpHeader.HLEN_OFFSET, (byte)6);
        r.putByte(ra + ArpHeader.PLEN_OFFSET, (byte)4);
        r.putShort(ra + ArpHeader.OPER_OFFSET, (short)ArpHeader.OPER_REPLY, ByteOrder.BIG_ENDIAN);
        MacAddress.write(r, ra + ArpHeader.SHA_OFFSET, targetMac);
        r.putInt(ra + ArpHeader.SPA_OFFSET, targetIp, ByteOrder.BIG_ENDIAN);
        MacAddress.write(r, ra + ArpHeader.THA_OFFSET, senderMac);
        r.putInt(ra + ArpHeader.TPA_OFFSET, senderIp, ByteOrder.BIG_ENDIAN);
        if (!replies.stage(r, 0, REPLY_LENGTH))
        {
            // Ring full: let the request take the normal (flooded) path rather than lose it.
            return false;
        }
        answered++;
        return true;
    }
}
