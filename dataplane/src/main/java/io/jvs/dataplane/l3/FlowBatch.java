package io.jvs.dataplane.l3;

import io.jvs.dataplane.nat.ConnTable;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.IcmpHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The router's batch of queued frames and, for a large connection table, their connection lookups made all at
 * once ({@link #lookUp}): each frame's flow key read straight from the headers, then {@link ConnTable#findAll}
 * (the index slots of every frame, then their records, so the cache misses of the batch overlap instead of
 * adding up). The per-frame path takes a frame's looked-up connection ({@link #lookup}) if its parsed key is the
 * one looked up and the answer still holds. Forwarding thread only; fixed arrays, no allocation.
 */
final class FlowBatch
{
    /** Frames queued before the batch is handled; more end the batch early. */
    static final int MAX_BATCH = 64;

    private final boolean[] routed = new boolean[MAX_BATCH];
    private final int[] port = new int[MAX_BATCH];
    /** Not cleared after a batch (the forwarding agent's frames are all in its ring buffer, which lives on). */
    private final MutableDirectBuffer[] buffer = new MutableDirectBuffer[MAX_BATCH];
    private final int[] offset = new int[MAX_BATCH];
    private final int[] length = new int[MAX_BATCH];
    private final long[] keyA = new long[MAX_BATCH];
    private final long[] keyB = new long[MAX_BATCH];
    private final int[] handle = new int[MAX_BATCH];
    private final long[] scratch = new long[MAX_BATCH];
    private int count;
    /** The batch's frame being handled (its lookup may be reused), else -1. */
    private int current = -1;
    /** {@link ConnTable#changes()} when the batch's lookups were made. */
    private int changes;

    boolean isFull()
    {
        return count == MAX_BATCH;
    }

    int count()
    {
        return count;
    }

    void add(final boolean isRouted, final int portId, final MutableDirectBuffer frameBuffer, final int frameOffset,
        final int frameLength)
    {
        final int i = count++;
        routed[i] = isRouted;
        port[i] = portId;
        if (buffer[i] != frameBuffer)
        {
            buffer[i] = frameBuffer; // mostly the same ring buffer: skip the store and its GC barrier
        }
        offset[i] = frameOffset;
        length[i] = frameLength;
    }

    boolean isRouted(final int i)
    {
        return routed[i];
    }

    int port(final int i)
    {
        return port[i];
    }

    MutableDirectBuffer buffer(final int i)
    {
        return buffer[i];
    }

    int offset(final int i)
    {
        return offset[i];
    }

    int length(final int i)
    {
        return length[i];
    }

    /** Every queued frame's flow key, then all their lookups at once. */
    void lookUp(final ConnTable conns)
    {
        for (int i = 0; i < count; i++)
        {
            flowKey(i);
        }
        conns.findAll(keyA, keyB, handle, scratch, count);
        changes = conns.changes();
    }

    /** Frame {@code i} is handled next; -1: a frame without a batch lookup. */
    void current(final int i)
    {
        current = i;
    }

    /** The batch is done. */
    void clear()
    {
        current = -1;
        count = 0;
    }

    /**
     * True if the current frame has a flow key: an untagged IPv4 frame whose addresses (and, for an unfragmented
     * TCP or UDP packet, ports) are at the places the parser found, and the frame is unchanged since.
     */
    boolean isKeyed()
    {
        return current >= 0 && keyB[current] != 0;
    }

    /** The current frame's source and destination address, as {@link ConnTable#keyA}. Only if {@link #isKeyed}. */
    long addresses()
    {
        return keyA[current];
    }

    /** The current frame's ports (same place in key B for TCP and UDP). Only if {@link #isKeyed}. */
    int ports()
    {
        return (int)keyB[current];
    }

    /**
     * The packet's connection: the batch's lookup if it was made for this key and still holds (no connection added
     * or removed since, or its record still has this key), else a lookup now. Consumes the current frame's lookup.
     */
    int lookup(final ConnTable conns, final long a, final long b)
    {
        final int i = current;
        current = -1;
        if (i >= 0 && keyA[i] == a && keyB[i] == b)
        {
            final int h = handle[i];
            if (conns.changes() == changes || (h != ConnTable.NOT_FOUND && conns.matches(h, a, b)))
            {
                return h;
            }
        }
        return conns.find(a, b);
    }

    /**
     * The connection key an IPv4 TCP, UDP or ICMP echo packet of queued frame {@code i} would be looked up with, or
     * key B 0 (none). Only a hint: the full parse decides, and the key is compared again.
     */
    private void flowKey(final int i)
    {
        keyA[i] = 0;
        keyB[i] = 0;
        final MutableDirectBuffer frame = buffer[i];
        final int eth = offset[i] + VnetHeader.LENGTH;
        final int end = offset[i] + length[i];
        final int l3 = eth + EthernetHeader.HEADER_LENGTH;
        if (l3 + Ipv4Header.MIN_HEADER_LENGTH > end)
        {
            return;
        }
        // Few wide reads (each is bounds-checked): EtherType .. identification, identification .. checksum, both
        // addresses, both ports.
        final long typeToId = frame.getLong(eth + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN);
        if ((int)(typeToId >>> 48) != EthernetHeader.ETHERTYPE_IPV4)
        {
            return;
        }
        final long idToChecksum = frame.getLong(l3 + Ipv4Header.IDENTIFICATION_OFFSET, ByteOrder.BIG_ENDIAN);
        final int fragment = (int)(idToChecksum >>> 32) & 0xFFFF;
        final int protocol = (int)(idToChecksum >>> 16) & 0xFF;
        final int l4 = l3 + ((int)(typeToId >>> 40) & 0x0F) * 4; // version/IHL follows the EtherType
        if (l4 + IcmpHeader.HEADER_LENGTH > end ||
            (fragment & (Ipv4Header.FLAG_MORE_FRAGMENTS | Ipv4Header.FRAGMENT_OFFSET_MASK)) != 0)
        {
            return;
        }
        final int ports = frame.getInt(l4, ByteOrder.BIG_ENDIAN);
        int sport = ports >>> 16;
        int dport = ports & 0xFFFF;
        if (protocol == Ipv4Header.PROTOCOL_ICMP)
        {
            final int type = sport >>> 8; // type, code, checksum in the place of the ports
            final int id = frame.getShort(l4 + IcmpHeader.IDENTIFIER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
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
        keyA[i] = frame.getLong(l3 + Ipv4Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN); // = keyA(src, dst)
        keyB[i] = ConnTable.keyB(protocol, sport, dport);
    }
}
