package io.jvs.dataplane.l3;

import org.agrona.BitUtil;

/**
 * IPv4 neighbours (ARP cache) of the router: (interface, IP) -> MAC, open addressing over primitive arrays.
 * An entry is created unresolved when the router first needs it (MAC {@link #UNRESOLVED}) and resolved by
 * ARP. Entries are only removed with their interface ({@link #flushInterface}), so the table never needs
 * tombstones; when it is full a new neighbour cannot be resolved (the caller counts a drop).
 * Forwarding thread only.
 */
public final class NeighbourTable
{
    public static final long UNRESOLVED = -1L;
    public static final int NOT_FOUND = -1;

    private final int capacity;
    private final long[] keys;
    private final long[] macs;
    private final long[] lastRequest;
    private final int[] requests;
    private final int mask;
    private int size;

    public NeighbourTable(final int capacity)
    {
        this.capacity = capacity;
        final int slots = BitUtil.findNextPositivePowerOfTwo(Math.max(16, capacity * 2));
        keys = new long[slots];
        macs = new long[slots];
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
        return slot == NOT_FOUND ? UNRESOLVED : macs[slot];
    }

    /** Finds or creates (unresolved) the entry. @return its slot, or {@link #NOT_FOUND} when full. */
    public int findOrCreate(final int iface, final int ip)
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
                if (size >= capacity)
                {
                    return NOT_FOUND;
                }
                keys[i] = key;
                macs[i] = UNRESOLVED;
                lastRequest[i] = 0;
                requests[i] = 0;
                size++;
                return i;
            }
            i = (i + 1) & mask;
        }
        return NOT_FOUND;
    }

    /** Records an answer. @return true if the entry existed unresolved (packets may be waiting for it). */
    public boolean resolve(final int slot, final long mac)
    {
        final boolean wasUnresolved = macs[slot] == UNRESOLVED;
        macs[slot] = mac;
        requests[slot] = 0;
        return wasUnresolved;
    }

    public long mac(final int slot)
    {
        return macs[slot];
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

    /** Removes every entry of the interface (rebuilds the table; control path). */
    public void flushInterface(final int iface)
    {
        final long[] oldKeys = keys.clone();
        final long[] oldMacs = macs.clone();
        java.util.Arrays.fill(keys, 0);
        java.util.Arrays.fill(macs, 0);
        java.util.Arrays.fill(lastRequest, 0);
        java.util.Arrays.fill(requests, 0);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++)
        {
            final long k = oldKeys[i];
            if (k != 0 && (int)(k >>> 32) - 1 != iface)
            {
                final int slot = findOrCreate((int)(k >>> 32) - 1, (int)k);
                macs[slot] = oldMacs[i];
            }
        }
    }

    /** Calls back for every resolved entry (control path). */
    public void forEach(final Visitor visitor)
    {
        for (int i = 0; i < keys.length; i++)
        {
            if (keys[i] != 0)
            {
                visitor.visit((int)(keys[i] >>> 32) - 1, (int)keys[i], macs[i]);
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
}
