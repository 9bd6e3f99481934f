package io.jvs.dataplane.l3;

import org.agrona.BitUtil;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * IPv4 neighbours (ARP cache) of the router: (interface, IP) -> MAC, open addressing over primitive arrays,
 * bounded to {@code capacity} entries. Forwarding thread only; nothing here allocates after construction.
 * <p>
 * Life of an entry, after Linux's neighbour states (REACHABLE, STALE, PROBE, FAILED; base_reachable_time 30 s,
 * gc_stale_time 60 s, 3 probes 1 s apart):
 * <pre>
 *   created unresolved by the router --ARP answer--> resolved (confirmed: stale after {@link #REACHABLE_NANOS})
 *   unresolved, all requests unanswered                                       --sweep--> removed (failed)
 *   stale and used ({@link #needsProbe}) -> the router probes (unicast ARP), keeps using the MAC meanwhile
 *   probing, {@link #MAX_PROBES} unanswered                                   --sweep--> removed (failed)
 *   stale, not used for {@link #GC_STALE_NANOS} more                          --sweep--> removed
 *   any ARP from the neighbour (answer, request, gratuitous) re-confirms it ({@link #resolve})
 * </pre>
 * The MAC and the time it goes stale sit next to each other in one array, so the per-packet check reads one cache
 * line. Removal is a backward shift (no tombstones), so a slot number is only valid until the next removal.
 */
public final class NeighbourTable
{
    public static final long UNRESOLVED = -1L;
    public static final int NOT_FOUND = -1;
    public static final long REACHABLE_NANOS = TimeUnit.SECONDS.toNanos(30);
    public static final long GC_STALE_NANOS = TimeUnit.SECONDS.toNanos(60);
    public static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Requests (unresolved) or probes (stale) sent before the entry is given up. */
    public static final int MAX_PROBES = 3;
    /** A full pass over the slots per period; at most {@link #MAX_SWEEP_STEP} slots per call. */
    static final long SWEEP_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final int MAX_SWEEP_STEP = 4096;

    private static final int MAC = 0;
    private static final int STALE_AT = 1;
    private static final int STRIDE = 2;
    private static final int RECENT_SLOTS = 64;
    private static final int RECENT_MASK = RECENT_SLOTS - 1;

    /** What the sweep asks of the router; implemented without allocation by the router. */
    @FunctionalInterface
    public interface Prober
    {
        /** Send a unicast ARP request for {@code ip} to {@code mac}, the entry's current MAC. */
        void probe(int iface, int ip, long mac);
    }

    private final int capacity;
    private final long[] keys;
    private final long[] entries; // [slot * 2] MAC, [slot * 2 + 1] stale-at (nanos)
    private final long[] lastRequest;
    private final int[] requests;
    private final int mask;
    private final long reachableNanos;
    private final long gcStaleNanos;
    /**
     * Last slot found per interface (direct-mapped by {@code iface & RECENT_MASK}): a router sends most packets of
     * an interface to one next hop (the uplink gateway, a busy container), so the hash probe is mostly skipped.
     * Only {@link #remove} moves or frees slots, and it clears this cache.
     */
    private final long[] recentKey = new long[RECENT_SLOTS];
    private final int[] recentSlot = new int[RECENT_SLOTS];
    private int size;
    private int sweepCursor;
    private long lastSweepNanos;
    private boolean swept;

    public NeighbourTable(final int capacity)
    {
        this(capacity, REACHABLE_NANOS, GC_STALE_NANOS);
    }

    public NeighbourTable(final int capacity, final long reachableNanos, final long gcStaleNanos)
    {
        if (capacity <= 0 || reachableNanos <= 0 || gcStaleNanos <= 0)
        {
            throw new IllegalArgumentException("capacity=" + capacity + " reachableNanos=" + reachableNanos +
                " gcStaleNanos=" + gcStaleNanos);
        }
        this.capacity = capacity;
        this.reachableNanos = reachableNanos;
        this.gcStaleNanos = gcStaleNanos;
        final int slots = BitUtil.findNextPositivePowerOfTwo(Math.max(16, capacity * 2));
        keys = new long[slots];
        entries = new long[slots * STRIDE];
        lastRequest = new long[slots];
        requests = new int[slots];
        mask = slots - 1;
    }

    /** Never 0, so 0 marks an empty slot. */
    static long key(final int iface, final int ip)
    {
        return ((long)(iface + 1) << 32) | (ip & 0xFFFF_FFFFL);
    }

    private static int hash(final long key)
    {
        final long h = key * 0x9E37_79B9_7F4A_7C15L;
        return (int)(h ^ (h >>> 32));
    }

    /** @return slot of the entry, or {@link #NOT_FOUND}. */
    public int find(final int iface, final int ip)
    {
        final long key = key(iface, ip);
        int i = hash(key) & mask;
        for (int n = 0; n <= mask; n++)
        {
            final long k = keys[i];
            if (k == key)
            {
                return i;
            }
            if (k == 0)
            {
                return NOT_FOUND;
            }
            i = (i + 1) & mask;
        }
        return NOT_FOUND;
    }

    /** The MAC, or {@link #UNRESOLVED} if unknown or not yet answered. */
    public long lookup(final int iface, final int ip)
    {
        final int slot = find(iface, ip);
        return slot == NOT_FOUND ? UNRESOLVED : entries[slot * STRIDE + MAC];
    }

    /** Finds or creates (unresolved) the entry. @return its slot, or {@link #NOT_FOUND} when full. */
    public int findOrCreate(final int iface, final int ip)
    {
        final long key = key(iface, ip);
        final int recent = iface & RECENT_MASK;
        if (recentKey[recent] == key)
        {
            return recentSlot[recent];
        }
        final int slot = findOrCreate(key);
        if (slot != NOT_FOUND)
        {
            recentKey[recent] = key;
            recentSlot[recent] = slot;
        }
        return slot;
    }

    private int findOrCreate(final long key)
    {
        int i = hash(key) & mask;
        for (int n = 0; n <= mask; n++)
        {
            final long k = keys[i];
            if (k == key)
            {
                return i;
            }
            if (k == 0)
            {
                if (size >= capacity)
                {
                    return NOT_FOUND;
                }
                keys[i] = key;
                entries[i * STRIDE + MAC] = UNRESOLVED;
                entries[i * STRIDE + STALE_AT] = 0;
                lastRequest[i] = 0;
                requests[i] = 0;
                size++;
                return i;
            }
            i = (i + 1) & mask;
        }
        return NOT_FOUND;
    }

    /**
     * Records an answer (or any ARP from the neighbour): the entry is confirmed until {@code nowNanos} + reachable.
     *
     * @return true if the entry existed unresolved (packets may be waiting for it).
     */
    public boolean resolve(final int slot, final long mac, final long nowNanos)
    {
        final boolean wasUnresolved = entries[slot * STRIDE + MAC] == UNRESOLVED;
        entries[slot * STRIDE + MAC] = mac;
        entries[slot * STRIDE + STALE_AT] = nowNanos + reachableNanos;
        requests[slot] = 0;
        return wasUnresolved;
    }

    public long mac(final int slot)
    {
        return entries[slot * STRIDE + MAC];
    }

    /** A resolved entry past its confirmation with no probe out yet: the router should probe it (hot path). */
    public boolean needsProbe(final int slot, final long nowNanos)
    {
        return nowNanos - entries[slot * STRIDE + STALE_AT] > 0 && requests[slot] == 0;
    }

    public long lastRequest(final int slot)
    {
        return lastRequest[slot];
    }

    public int requests(final int slot)
    {
        return requests[slot];
    }

    public void requested(final int slot, final long nowNanos)
    {
        lastRequest[slot] = nowNanos;
        requests[slot]++;
    }

    /**
     * Timer work: examines a slice of the slots proportional to the time since the last call (a full pass per
     * second), removes failed and long-unused stale entries and asks for the next probe of stale ones in use.
     *
     * @return entries removed or probed.
     */
    public int sweep(final long nowNanos, final Prober prober)
    {
        if (!swept)
        {
            swept = true;
            lastSweepNanos = nowNanos;
            return 0;
        }
        final long due = (long)keys.length * (nowNanos - lastSweepNanos) / SWEEP_PERIOD_NANOS;
        if (due <= 0)
        {
            return 0;
        }
        lastSweepNanos = nowNanos;
        final int step = (int)Math.min(Math.min(due, MAX_SWEEP_STEP), keys.length);
        int work = 0;
        int cursor = sweepCursor;
        for (int n = 0; n < step; n++)
        {
            if (keys[cursor] != 0)
            {
                // After a removal the slot holds a shifted entry (or nothing): it is looked at on the next pass.
                work += examine(cursor, nowNanos, prober);
            }
            cursor = (cursor + 1) & mask;
        }
        sweepCursor = cursor;
        return work;
    }

    /** @return 1 if probed or removed, 0 if left alone. */
    private int examine(final int slot, final long nowNanos, final Prober prober)
    {
        final long mac = entries[slot * STRIDE + MAC];
        final int sent = requests[slot];
        final boolean retryDue = nowNanos - lastRequest[slot] >= RETRY_NANOS;
        if (mac == UNRESOLVED)
        {
            // The router's pending queue drives requests; without packets waiting an entry is left half-asked.
            if ((sent >= MAX_PROBES && retryDue) || nowNanos - lastRequest[slot] > gcStaleNanos)
            {
                remove(slot);
                return 1;
            }
            return 0;
        }
        if (sent > 0)
        {
            if (!retryDue)
            {
                return 0;
            }
            if (sent >= MAX_PROBES)
            {
                remove(slot);
                return 1;
            }
            requested(slot, nowNanos);
            prober.probe((int)(keys[slot] >>> 32) - 1, (int)keys[slot], mac);
            return 1;
        }
        if (nowNanos - entries[slot * STRIDE + STALE_AT] > gcStaleNanos)
        {
            remove(slot);
            return 1;
        }
        return 0;
    }

    /** Removes the entry in {@code slot}, shifting back the entries of its probe sequence (no tombstones). */
    public void remove(final int slot)
    {
        Arrays.fill(recentKey, 0L); // slots move: forget them (removal is timer or control work, not per packet)
        int hole = slot;
        int j = slot;
        while (true)
        {
            j = (j + 1) & mask;
            final long k = keys[j];
            if (k == 0)
            {
                break;
            }
            final int home = hash(k) & mask;
            // The entry at j may move into the hole unless its home lies cyclically in (hole, j].
            final boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (stays)
            {
                continue;
            }
            keys[hole] = k;
            entries[hole * STRIDE + MAC] = entries[j * STRIDE + MAC];
            entries[hole * STRIDE + STALE_AT] = entries[j * STRIDE + STALE_AT];
            lastRequest[hole] = lastRequest[j];
            requests[hole] = requests[j];
            hole = j;
        }
        keys[hole] = 0;
        entries[hole * STRIDE + MAC] = 0;
        entries[hole * STRIDE + STALE_AT] = 0;
        lastRequest[hole] = 0;
        requests[hole] = 0;
        size--;
    }

    /** Removes every entry of the interface (control path, no allocation). */
    public void flushInterface(final int iface)
    {
        final long ifaceKey = (long)(iface + 1);
        for (int i = 0; i < keys.length; )
        {
            if (keys[i] != 0 && keys[i] >>> 32 == ifaceKey)
            {
                remove(i); // slot i now holds a shifted entry (or nothing): look at it again
            }
            else
            {
                i++;
            }
        }
    }

    /** Calls back for every entry (control path). */
    public void forEach(final Visitor visitor)
    {
        for (int i = 0; i < keys.length; i++)
        {
            if (keys[i] != 0)
            {
                visitor.visit((int)(keys[i] >>> 32) - 1, (int)keys[i], entries[i * STRIDE + MAC]);
            }
        }
    }

    @FunctionalInterface
    public interface Visitor
    {
        void visit(int iface, int ip, long mac);
    }

    public int size()
    {
        return size;
    }

    public int capacity()
    {
        return capacity;
    }
}
