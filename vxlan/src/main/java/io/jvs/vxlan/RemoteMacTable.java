package io.jvs.vxlan;

import io.jvs.dataplane.parse.MacAddress;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Inner MAC -> peer VTEP for one VNI, learned on decapsulation like the Linux vxlan FDB: bounded, aging,
 * single writer (the thread polling the underlay), lock-free readers (the TX thread).
 * <p>
 * Each slot is one {@code long}, {@code mac << 16 | peerId} (0 = empty), so a reader always sees a consistent
 * pair. Open addressing with linear probing and backward-shift deletion; a reader racing a deletion may miss an
 * entry, which only means one frame is flooded instead of unicast. Entries whose peer has left the VNI's
 * {@link PeerSet} are ignored by TX and removed by the aging sweep.
 */
public final class RemoteMacTable
{
    public static final int NONE = 0;
    public static final int LEARNED = 1;
    public static final int REFRESHED = 2;
    public static final int MOVED = 3;
    public static final int TABLE_FULL = 4;

    private static final int ID_BITS = 16;
    private static final long ID_MASK = (1L << ID_BITS) - 1;

    private final AtomicLongArray slots;
    private final long[] lastSeen;
    private final int mask;
    private final int shift;
    private final int maxEntries;
    private final long agingNanos;
    private int size;
    private int sweepCursor;
    private long aged;

    /** @param maxEntries bound on entries; the table has the next power of two >= 2 * maxEntries slots. */
    public RemoteMacTable(final int maxEntries, final long agingNanos)
    {
        if (maxEntries < 1 || maxEntries > (1 << 24))
        {
            throw new IllegalArgumentException("maxEntries=" + maxEntries);
        }
        if (agingNanos <= 0)
        {
            throw new IllegalArgumentException("agingNanos=" + agingNanos);
        }
        int capacity = 2;
        while (capacity < maxEntries * 2)
        {
            capacity <<= 1;
        }
        slots = new AtomicLongArray(capacity);
        lastSeen = new long[capacity];
        mask = capacity - 1;
        shift = 64 - Integer.numberOfTrailingZeros(capacity);
        this.maxEntries = maxEntries;
        this.agingNanos = agingNanos;
    }

    /** Any thread. @return the peer id, or {@link #NONE}. */
    public int lookup(final long mac)
    {
        int i = home(mac);
        for (int n = 0; n <= mask; n++)
        {
            final long e = slots.get(i);
            if (e == 0)
            {
                return NONE;
            }
            if ((e >>> ID_BITS) == mac)
            {
                return (int)(e & ID_MASK);
            }
            i = (i + 1) & mask;
        }
        return NONE;
    }

    /** Writer thread. mac must be a valid unicast source. */
    public int learn(final long mac, final int peerId, final long nowNanos)
    {
        final long entry = (mac << ID_BITS) | peerId;
        int i = home(mac);
        while (true)
        {
            final long e = slots.get(i);
            if (e == 0)
            {
                if (size >= maxEntries)
                {
                    return TABLE_FULL;
                }
                lastSeen[i] = nowNanos;
                slots.lazySet(i, entry);
                size++;
                return LEARNED;
            }
            if ((e >>> ID_BITS) == mac)
            {
                lastSeen[i] = nowNanos;
                if (e != entry)
                {
                    slots.lazySet(i, entry);
                    return MOVED;
                }
                return REFRESHED;
            }
            i = (i + 1) & mask;
        }
    }

    /**
     * Writer thread: examines up to {@code budget} slots from where the last sweep stopped and removes entries
     * older than the aging time or whose peer is no longer in {@code peers}.
     *
     * @return entries removed.
     */
    public int sweep(final long nowNanos, final PeerSet peers, final int budget)
    {
        int removed = 0;
        for (int n = 0; n < budget && size > 0; n++)
        {
            final int i = sweepCursor;
            final long e = slots.get(i);
            if (e != 0 && (nowNanos - lastSeen[i] > agingNanos || null == peers.byId((int)(e & ID_MASK))))
            {
                delete(i);
                removed++;
                aged++;
                // The slot now holds the shifted-back successor (or is empty): look at it again.
                continue;
            }
            sweepCursor = (i + 1) & mask;
        }
        return removed;
    }

    /** Writer thread. */
    public void clear()
    {
        for (int i = 0; i <= mask; i++)
        {
            slots.lazySet(i, 0);
        }
        size = 0;
    }

    /** Entries (writer's view; other threads may read a stale value). */
    public int size()
    {
        return size;
    }

    public int maxEntries()
    {
        return maxEntries;
    }

    /** Entries removed by aging or because their peer left. */
    public long aged()
    {
        return aged;
    }

    private void delete(final int slot)
    {
        int hole = slot;
        int i = (slot + 1) & mask;
        while (true)
        {
            final long e = slots.get(i);
            if (e == 0)
            {
                break;
            }
            final int home = home(e >>> ID_BITS);
            // Move e back into the hole unless its home lies cyclically in (hole, i].
            if (((i - home) & mask) >= ((i - hole) & mask))
            {
                lastSeen[hole] = lastSeen[i];
                slots.lazySet(hole, e);
                hole = i;
            }
            i = (i + 1) & mask;
        }
        slots.lazySet(hole, 0);
        size--;
    }

    private int home(final long mac)
    {
        return (int)(((mac & MacAddress.MASK) * 0x9E3779B97F4A7C15L) >>> shift);
    }
}
