package io.jvs.macvlan;

import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * ipvlan l3's LAN neighbours: next-hop IPv4 address to MAC, learned from every ARP frame seen on the parent's
 * segment (replies to jvs's own requests included). The RX thread sees the ARP frames, the TX thread needs the
 * MACs: the RX thread queues (ip, mac) pairs on a single-producer ring and the TX thread, which alone owns the
 * table, applies them before each lookup. Bounded: a full table is cleared (and refilled from ARP).
 */
final class LanNeighbours implements MessageHandler
{
    static final long NONE = -1;
    static final long REQUEST_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final int CAPACITY = 4096;
    private static final int RECORD_LENGTH = 16;
    private static final int QUEUE_BYTES = 64 * 1024;

    private final OneToOneRingBuffer learned = new OneToOneRingBuffer(
        new UnsafeBuffer(ByteBuffer.allocateDirect(QUEUE_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
    private final Long2LongHashMap macByIp = new Long2LongHashMap(NONE);
    private final Long2LongHashMap requestedAt = new Long2LongHashMap(Long.MIN_VALUE);

    // RX thread: skip repeats of the last pair so a chatty LAN does not fill the queue.
    private int lastIp;
    private long lastMac = NONE;

    /** RX thread. */
    void learn(final int ip, final long mac)
    {
        if (ip == lastIp && mac == lastMac)
        {
            return;
        }
        final int index = learned.tryClaim(1, RECORD_LENGTH);
        if (index > 0)
        {
            learned.buffer().putLong(index, ip & 0xFFFF_FFFFL);
            learned.buffer().putLong(index + 8, mac);
            learned.commit(index);
            lastIp = ip;
            lastMac = mac;
        }
    }

    /** TX thread: the MAC of {@code ip}, or {@link #NONE}. */
    long lookup(final int ip)
    {
        learned.read(this);
        return macByIp.get(ip & 0xFFFF_FFFFL);
    }

    /** TX thread: true (and remembered) when no request for {@code ip} left in the last second. */
    boolean shouldRequest(final int ip, final long now)
    {
        final long key = ip & 0xFFFF_FFFFL;
        final long last = requestedAt.get(key);
        if (last != Long.MIN_VALUE && now - last < REQUEST_INTERVAL_NANOS)
        {
            return false;
        }
        if (requestedAt.size() >= CAPACITY)
        {
            requestedAt.clear();
        }
        requestedAt.put(key, now);
        return true;
    }

    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (macByIp.size() >= CAPACITY)
        {
            macByIp.clear();
        }
        macByIp.put(buffer.getLong(index), buffer.getLong(index + 8));
    }

    /** TX thread's view (tests, diagnostics from the TX thread). */
    int size()
    {
        return macByIp.size();
    }
}
