package io.jvs.dataplane.l3;

import org.agrona.BitUtil;

/**
 * IPv6 neighbours of the router: (interface, 128-bit address) -> MAC, the IPv6 twin of {@link NeighbourTable}
 * (same states, timers and bounds; see there), keyed by the address as two {@code long}s. Open addressing over
 * primitive arrays, backward-shift removal; forwarding thread only; nothing allocates after construction.
 * <p>
 * The last slot found per interface is remembered and checked against its key before use, so a removal (which
 * moves slots) needs no invalidation.
 */
final class Neighbour6Table
{
    static final long UNRESOLVED = NeighbourTable.UNRESOLVED;
    static final int NOT_FOUND = NeighbourTable.NOT_FOUND;
    private static final int RECENT_SLOTS = 64;
    private static final int RECENT_MASK = RECENT_SLOTS - 1;

    /** What the sweep asks of the router: a unicast neighbour solicitation to the entry's current MAC. */
    @FunctionalInterface
    interface Prober
    {
        void probe(int iface, long high, long low, long mac);
    }

    private final int capacity;
    private final long[] keyHigh;
    private final long[] keyLow;
    /** Interface + 1; 0 marks an empty slot. */
    private final int[] keyIface;
    private final long[] mac;
    private final long[] staleAt;
    private final long[] lastRequest;
    private final int[] requests;
    private final int mask;
    private final int[] recentSlot = new int[RECENT_SLOTS];
    private int size;
    private int sweepCursor;
    private long lastSweepNanos;
    private boolean swept;

    Neighbour6Table(final int capacity)
    {
        if (capacity <= 0)
        {
            throw new IllegalArgumentException("capacity=" + capacity);
        }
        this.capacity = capacity;
        final int slots = BitUtil.findNextPositivePowerOfTwo(Math.max(16, capacity * 2));
        keyHigh = new long[slots];
        keyLow = new long[slots];
        keyIface = new int[slots];
        mac = new long[slots];
        staleAt = new long[slots];
        lastRequest = new long[slots];
        requests = new int[slots];
        mask = slots - 1;
    }

    private static int hash(final int iface, final long high, final long low)
    {
        final long h = (high * 0x9E37_79B9_7F4A_7C15L) ^ (low * 0xC2B2_AE3D_27D4_EB4FL) ^ iface;
        return (int)(h ^ (h >>> 29) ^ (h >>> 32));
    }

    private boolean matches(final int slot, final int iface, final long high, final long low)
    {
        return keyIface[slot] == iface + 1 && keyLow[slot] == low && keyHigh[slot] == high;
    }

    int find(final int iface, final long high, final long low)
    {
        int i = hash(iface, high, low) & mask;
        for (int n = 0; n <= mask; n++)
        {
            if (keyIface[i] == 0)
            {
                return NOT_FOUND;
            }
            if (matches(i, iface, high, low))
            {
                return i;
            }
            i = (i + 1) & mask;
        }
        return NOT_FOUND;
    }

    /** Finds or creates (unresolved) the entry. @return its slot, or {@link #NOT_FOUND} when full. */
    int findOrCreate(final int iface, final long high, final long low)
    {
        final int recent = iface & RECENT_MASK;
        final int last = recentSlot[recent];
        if (matches(last, iface, high, low))
        {
            return last;
        }
        int i = hash(iface, high, low) & mask;
        for (int n = 0; n <= mask; n++)
        {
            if (keyIface[i] == 0)
            {
                if (size >= capacity)
                {
                    return NOT_FOUND;
                }
                keyIface[i] = iface + 1;
                keyHigh[i] = high;
                keyLow[i] = low;
                mac[i] = UNRESOLVED;
                staleAt[i] = 0;
                lastRequest[i] = 0;
                requests[i] = 0;
                size++;
                recentSlot[recent] = i;
                return i;
            }
            if (matches(i, iface, high, low))
            {
                recentSlot[recent] = i;
                return i;
            }
            i = (i + 1) & mask;
        }
        return NOT_FOUND;
    }

    /** An answer (or any NDP from the neighbour with its MAC): confirmed. @return true if it was unresolved. */
    boolean resolve(final int slot, final long newMac, final long nowNanos)
    {
        final boolean wasUnresolved = mac[slot] == UNRESOLVED;
        mac[slot] = newMac;
        staleAt[slot] = nowNanos + NeighbourTable.REACHABLE_NANOS;
        requests[slot] = 0;
        return wasUnresolved;
    }

    long mac(final int slot)
    {
        return mac[slot];
    }

    boolean needsProbe(final int slot, final long nowNanos)
    {
        return nowNanos - staleAt[slot] > 0 && requests[slot] == 0;
    }

    long lastRequest(final int slot)
    {
        return lastRequest[slot];
    }

    int requests(final int slot)
    {
        return requests[slot];
    }

    void requested(final int slot, final long nowNanos)
    {
        lastRequest[slot] = nowNanos;
        requests[slot]++;
    }

    /** Timer work as {@link NeighbourTable#sweep}: a full pass per second. @return entries removed or probed. */
    int sweep(final long nowNanos, final Prober prober)
    {
        if (!swept)
        {
            swept = true;
            lastSweepNanos = nowNanos;
            return 0;
        }
        final long due = (long)keyIface.length * (nowNanos - lastSweepNanos) / NeighbourTable.SWEEP_PERIOD_NANOS;
        if (due <= 0)
        {
            return 0;
        }
        lastSweepNanos = nowNanos;
        final int step = (int)Math.min(Math.min(due, NeighbourTable.MAX_SWEEP_STEP), keyIface.length);
        int work = 0;
        int cursor = sweepCursor;
        for (int n = 0; n < step; n++)
        {
            if (keyIface[cursor] != 0)
            {
                work += examine(cursor, nowNanos, prober);
            }
            cursor = (cursor + 1) & mask;
        }
        sweepCursor = cursor;
        return work;
    }

    private int examine(final int slot, final long nowNanos, final Prober prober)
    {
        final int sent = requests[slot];
        final boolean retryDue = nowNanos - lastRequest[slot] >= NeighbourTable.RETRY_NANOS;
        if (mac[slot] == UNRESOLVED)
        {
            if ((sent >= NeighbourTable.MAX_PROBES && retryDue) ||
                nowNanos - lastRequest[slot] > NeighbourTable.GC_STALE_NANOS)
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
            if (sent >= NeighbourTable.MAX_PROBES)
            {
                remove(slot);
                return 1;
            }
            requested(slot, nowNanos);
            prober.probe(keyIface[slot] - 1, keyHigh[slot], keyLow[slot], mac[slot]);
            return 1;
        }
        if (nowNanos - staleAt[slot] > NeighbourTable.GC_STALE_NANOS)
        {
            remove(slot);
            return 1;
        }
        return 0;
    }

    void remove(final int slot)
    {
        int hole = slot;
        int j = slot;
        while (true)
        {
            j = (j + 1) & mask;
            if (keyIface[j] == 0)
            {
                break;
            }
            final int home = hash(keyIface[j] - 1, keyHigh[j], keyLow[j]) & mask;
            final boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (stays)
            {
                continue;
            }
            keyIface[hole] = keyIface[j];
            keyHigh[hole] = keyHigh[j];
            keyLow[hole] = keyLow[j];
            mac[hole] = mac[j];
            staleAt[hole] = staleAt[j];
            lastRequest[hole] = lastRequest[j];
            requests[hole] = requests[j];
            hole = j;
        }
        keyIface[hole] = 0;
        keyHigh[hole] = 0;
        keyLow[hole] = 0;
        mac[hole] = 0;
        staleAt[hole] = 0;
        lastRequest[hole] = 0;
        requests[hole] = 0;
        size--;
    }

    void flushInterface(final int iface)
    {
        for (int i = 0; i < keyIface.length; )
        {
            if (keyIface[i] == iface + 1)
            {
                remove(i);
            }
            else
            {
                i++;
            }
        }
    }

    @FunctionalInterface
    interface Visitor
    {
        void visit(int iface, long high, long low, long mac);
    }

    void forEach(final Visitor visitor)
    {
        for (int i = 0; i < keyIface.length; i++)
        {
            if (keyIface[i] != 0)
            {
                visitor.visit(keyIface[i] - 1, keyHigh[i], keyLow[i], mac[i]);
            }
        }
    }

    int size()
    {
        return size;
    }
}
