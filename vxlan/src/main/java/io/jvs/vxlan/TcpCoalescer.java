package io.jvs.vxlan;

import io.jvs.dataplane.l3.Checksum;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.TcpHeader;
import io.jvs.tap.PortFrameHandler;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Receive-side coalescing (what the kernel's GRO does for a NIC) of decapsulated TCP segments: consecutive
 * segments of one IPv4 flow that arrive in one underlay batch are handed on as one GSO_TCPV4 frame with a partial
 * checksum, so the switch forwards, and the container's stack receives, one 64 KB frame instead of ~45. A
 * segment joins the held frame only when it is exactly what the next segment cut from one TSO burst looks like:
 * <ul>
 *   <li>plain IPv4 without options or fragmentation, DF set, TCP with payload, only ACK (and PSH) set, both
 *       checksums verified here (a segment that fails is handed on alone: the receiver's stack drops it);</li>
 *   <li>for the same port, with the same MACs, addresses, ports, TOS, TTL, acknowledgment, window and TCP options
 *       (the timestamps of one burst are equal) as the held frame, sequence number where the held payload ends,
 *       payload no longer than the first segment's; a shorter segment or PSH is the last one; 64 segments and one
 *       IPv4 datagram at most.</li>
 * </ul>
 * Anything else first flushes the held frame, so the order of frames is kept. The caller flushes at the end of
 * each batch. Single-threaded (the VTEP's receive thread); no allocation.
 */
final class TcpCoalescer
{
    /** Smaller segments are not held: request/response traffic would only pay the copy. */
    static final int MIN_PAYLOAD = 512;
    static final int MAX_SEGMENTS = 64;
    private static final int MAX_IP_TOTAL_LENGTH = 0xFFFF;
    private static final int IP = VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH;
    private static final int TCP = IP + Ipv4Header.MIN_HEADER_LENGTH;
    private static final int VERSION_IHL_NO_OPTIONS = (Ipv4Header.VERSION << 4) | Ipv4Header.MIN_IHL;
    private static final int ALLOWED_FLAGS = TcpHeader.FLAG_ACK | TcpHeader.FLAG_PSH;
    private static final int CSUM_START = EthernetHeader.HEADER_LENGTH + Ipv4Header.MIN_HEADER_LENGTH;

    /** The held frame: {@code [virtio_net_hdr][Ethernet][IPv4][TCP][payload...]}. */
    private final UnsafeBuffer held = new UnsafeBuffer(ByteBuffer.allocateDirect(VnetHeader.LENGTH +
        EthernetHeader.HEADER_LENGTH + MAX_IP_TOTAL_LENGTH));
    /** The port the held frame is for. */
    private int heldPort;
    private int heldLength;
    private int tcpHeaderLength;
    private int mss;
    private int nextSequence;
    private int segments;
    private boolean closed;
    private long coalesced;
    private long flushedFrames;
    private long handed;

    /** Frames handed to a handler so far (held frames flushed, coalesced or not). */
    long handed()
    {
        return handed;
    }

    boolean holding()
    {
        return segments > 0;
    }

    /** Segments that went out as part of a coalesced frame (not counting frames handed on alone). */
    long coalesced()
    {
        return coalesced;
    }

    /** GSO frames made from two or more segments. */
    long flushedFrames()
    {
        return flushedFrames;
    }

    /**
     * @param portId the port the frame is for: a frame for another port flushes the held one first.
     * @param frame  an inner Ethernet frame with complete checksums (no virtio_net_hdr).
     * @return true if the frame is now part of the held frame; false if the caller must hand it on itself
     *         (after this call, which has flushed the held frame if the two could not be merged).
     */
    boolean offer(
        final int portId, final DirectBuffer frame, final int offset, final int length, final PortFrameHandler handler)
    {
        final int payload = eligiblePayload(frame, offset, length);
        if (payload < 0)
        {
            flush(handler);
            return false;
        }
        final int tcp = offset + EthernetHeader.HEADER_LENGTH + Ipv4Header.MIN_HEADER_LENGTH;
        final int thl = ((frame.getByte(tcp + TcpHeader.DATA_OFFSET_OFFSET) & 0xFF) >>> 4) * 4;
        final boolean push = (frame.getByte(tcp + TcpHeader.FLAGS_OFFSET) & TcpHeader.FLAG_PSH) != 0;
        if (segments > 0)
        {
            if (portId == heldPort && continues(frame, offset, tcp, thl, payload))
            {
                held.putBytes(heldLength, frame, tcp + thl, payload);
                heldLength += payload;
                nextSequence += payload;
                segments++;
                if (push)
                {
                    held.putByte(TCP + TcpHeader.FLAGS_OFFSET,
                        (byte)(held.getByte(TCP + TcpHeader.FLAGS_OFFSET) | TcpHeader.FLAG_PSH));
                }
                closed = push || payload < mss || segments == MAX_SEGMENTS;
                return true;
            }
            flush(handler);
        }
        if (push || payload < MIN_PAYLOAD)
        {
            return false; // nothing could follow it into a frame
        }
        held.putBytes(VnetHeader.LENGTH, frame, offset, length);
        heldPort = portId;
        heldLength = VnetHeader.LENGTH + length;
        tcpHeaderLength = thl;
        mss = payload;
        nextSequence = frame.getInt(tcp + TcpHeader.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) + payload;
        segments = 1;
        closed = false;
        return true;
    }

    /** Hands the held frame on: as it arrived if it is one segment, else as one GSO frame. */
    void flush(final PortFrameHandler handler)
    {
        final int n = segments;
        if (n == 0)
        {
            return;
        }
        segments = 0;
        handed++;
        final UnsafeBuffer b = held;
        if (n == 1)
        {
            Vtep.writeVnetHeader(b, 0, 0, VnetHeader.GSO_NONE, 0, 0, 0, 0);
            handler.onFrame(heldPort, b, 0, heldLength);
            return;
        }
        final int ipTotal = heldLength - IP;
        b.putShort(IP + Ipv4Header.TOTAL_LENGTH_OFFSET, (short)ipTotal, ByteOrder.BIG_ENDIAN);
        b.putShort(IP + Ipv4Header.CHECKSUM_OFFSET, (short)0);
        b.putShort(IP + Ipv4Header.CHECKSUM_OFFSET, (short)Checksum.compute(b, IP, Ipv4Header.MIN_HEADER_LENGTH),
            ByteOrder.BIG_ENDIAN);
        // CHECKSUM_PARTIAL: the field holds the pseudo-header sum; the kernel finishes it per segment, if ever.
        final int tcpLength = ipTotal - Ipv4Header.MIN_HEADER_LENGTH;
        b.putShort(TCP + TcpHeader.CHECKSUM_OFFSET, (short)Checksum.foldNative(Checksum.ipv4PseudoHeader(
            b.getInt(IP + Ipv4Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN),
            b.getInt(IP + Ipv4Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN), Ipv4Header.PROTOCOL_TCP, tcpLength)),
            ByteOrder.BIG_ENDIAN);
        Vtep.writeVnetHeader(b, 0, VnetHeader.FLAG_NEEDS_CSUM, VnetHeader.GSO_TCPV4, CSUM_START + tcpHeaderLength, mss,
            CSUM_START, TcpHeader.CHECKSUM_OFFSET);
        coalesced += n;
        flushedFrames++;
        handler.onFrame(heldPort, b, 0, heldLength);
    }

    /** TCP payload length if the frame may be held at all (see the class comment), else -1. */
    private static int eligiblePayload(final DirectBuffer frame, final int offset, final int length)
    {
        if (length < EthernetHeader.HEADER_LENGTH + Ipv4Header.MIN_HEADER_LENGTH + TcpHeader.MIN_HEADER_LENGTH ||
            (frame.getShort(offset + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) !=
                EthernetHeader.ETHERTYPE_IPV4)
        {
            return -1;
        }
        final int ip = offset + EthernetHeader.HEADER_LENGTH;
        final int ipTotal = frame.getShort(ip + Ipv4Header.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if ((frame.getByte(ip) & 0xFF) != VERSION_IHL_NO_OPTIONS ||
            (frame.getByte(ip + Ipv4Header.PROTOCOL_OFFSET) & 0xFF) != Ipv4Header.PROTOCOL_TCP ||
            (frame.getShort(ip + Ipv4Header.FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF) !=
                Ipv4Header.FLAG_DONT_FRAGMENT ||
            ipTotal != length - EthernetHeader.HEADER_LENGTH)
        {
            return -1;
        }
        final int tcp = ip + Ipv4Header.MIN_HEADER_LENGTH;
        final int thl = ((frame.getByte(tcp + TcpHeader.DATA_OFFSET_OFFSET) & 0xFF) >>> 4) * 4;
        final int flags = frame.getByte(tcp + TcpHeader.FLAGS_OFFSET) & 0xFF;
        final int payload = ipTotal - Ipv4Header.MIN_HEADER_LENGTH - thl;
        if (thl < TcpHeader.MIN_HEADER_LENGTH || payload <= 0 || (flags & TcpHeader.FLAG_ACK) == 0 ||
            (flags & ~ALLOWED_FLAGS) != 0)
        {
            return -1;
        }
        // Both checksums are checked here, since the coalesced frame goes on with a partial one nobody checks.
        final int tcpLength = ipTotal - Ipv4Header.MIN_HEADER_LENGTH;
        if (Checksum.compute(frame, ip, Ipv4Header.MIN_HEADER_LENGTH) != 0 ||
            Checksum.finishNative(Checksum.ipv4PseudoHeader(
                frame.getInt(ip + Ipv4Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN),
                frame.getInt(ip + Ipv4Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN), Ipv4Header.PROTOCOL_TCP,
                tcpLength) + Checksum.sumNative(frame, tcp, tcpLength)) != 0)
        {
            return -1;
        }
        return payload;
    }

    /** Whether the segment is the one that follows the held frame in the same burst. */
    private boolean continues(final DirectBuffer frame, final int offset, final int tcp, final int thl, final int payload)
    {
        final int ip = offset + EthernetHeader.HEADER_LENGTH;
        final UnsafeBuffer b = held;
        return !closed && thl == tcpHeaderLength && payload <= mss &&
            heldLength - IP + payload <= MAX_IP_TOTAL_LENGTH &&
            frame.getInt(tcp + TcpHeader.SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) == nextSequence &&
            // MACs (12 bytes) and EtherType
            frame.getLong(offset) == b.getLong(VnetHeader.LENGTH) &&
            frame.getInt(offset + 8) == b.getInt(VnetHeader.LENGTH + 8) &&
            // TOS; flags/fragment, TTL, protocol; addresses
            frame.getByte(ip + Ipv4Header.TOS_OFFSET) == b.getByte(IP + Ipv4Header.TOS_OFFSET) &&
            frame.getInt(ip + Ipv4Header.FLAGS_FRAGMENT_OFFSET) == b.getInt(IP + Ipv4Header.FLAGS_FRAGMENT_OFFSET) &&
            frame.getLong(ip + Ipv4Header.SOURCE_OFFSET) == b.getLong(IP + Ipv4Header.SOURCE_OFFSET) &&
            // ports; acknowledgment; window
            frame.getInt(tcp + TcpHeader.SOURCE_PORT_OFFSET) == b.getInt(TCP + TcpHeader.SOURCE_PORT_OFFSET) &&
            frame.getInt(tcp + TcpHeader.ACKNOWLEDGMENT_OFFSET) == b.getInt(TCP + TcpHeader.ACKNOWLEDGMENT_OFFSET) &&
            frame.getShort(tcp + TcpHeader.WINDOW_OFFSET) == b.getShort(TCP + TcpHeader.WINDOW_OFFSET) &&
            sameOptions(frame, tcp, thl);
    }

    private boolean sameOptions(final DirectBuffer frame, final int tcp, final int thl)
    {
        for (int i = TcpHeader.MIN_HEADER_LENGTH; i < thl; i += 4)
        {
            if (frame.getInt(tcp + i) != held.getInt(TCP + i))
            {
                return false;
            }
        }
        return true;
    }
}
