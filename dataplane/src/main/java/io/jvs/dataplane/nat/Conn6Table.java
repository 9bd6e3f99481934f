package io.jvs.dataplane.nat;

import org.agrona.BitUtil;

/**
 * IPv6 connections masqueraded to the uplink (NAT66), the IPv6 counterpart of {@link ConnTable} kept small: records
 * in parallel primitive arrays, preallocated for {@code capacity}, and two open-addressing indexes of handles, one
 * per direction:
 * <pre>
 *   outbound key  (protocol, sandbox address, sandbox port, remote address, remote port)
 *   inbound key   (protocol, remote address, remote port, NAT port)      the uplink address is one, so implied
 * </pre>
 * Linear probing; removal is a backward shift whose homes are recomputed from the records (no tombstones). Expiry is
 * incremental ({@link #expire}). One thread (the router's); nothing allocates after construction.
 */
public final class Conn6Table
{
    public static final int NOT_FOUND = -1;

    private final int capacity;
    private final int[] outIndex;
    private final int[] inIndex;
    private final int mask;
    private final byte[] protocol;
    private final long[] sandboxHigh;
    private final long[] sandboxLow;
    private final long[] remoteHigh;
    private final long[] remoteLow;
    /** sandbox port << 16 | remote port. */
    private final int[] ports;
    private final int[] natPort;
    private final long[] deadline;
    private final byte[] state;
    private final boolean[] used;
    /** Free handles, a stack. */
    private final int[] free;
    private int freeCount;
    private int size;
    private int expireCursor;

    public Conn6Table(final int capacity)
    {
        if (capacity < 1 || capacity > NatConfig.MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity=" + capacity);
        }
        this.capacity = capacity;
        final int slots = BitUtil.findNextPositivePowerOfTwo(Math.max(16, capacity * 2));
        outIndex = new int[slots];
        inIndex = new int[slots];
        mask = slots - 1;
        protocol = new byte[capacity];
        sandboxHigh = new long[capacity];
        sandboxLow = new long[capacity];
        remoteHigh = new long[capacity];
        remoteLow = new long[capacity];
        ports = new int[capacity];
        natPort = new int[capacity];
        deadline = new long[capacity];
        state = new byte[capacity];
        used = new boolean[capacity];
        free = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            free[i] = capacity - 1 - i;
        }
        freeCount = capacity;
    }

    /** Murmur3's 64-bit finaliser: every input bit reaches the low bits the index uses. */
    private static int mix(final long h)
    {
        long k = h;
        k ^= k >>> 33;
        k *= 0xFF51_AFD7_ED55_8CCDL;
        k ^= k >>> 33;
        k *= 0xC4CE_B9FE_1A85_EC53L;
        k ^= k >>> 33;
        return (int)k;
    }

    private static int outHash(final int proto, final long sh, final long sl, final int sport, final long rh,
        final long rl, final int rport)
    {
        // Odd multipliers keep each half's low bits in the low bits; the finaliser spreads them.
        return mix(sl ^ rl * 0x9E37_79B9_7F4A_7C15L ^ sh * 0xC2B2_AE3D_27D4_EB4FL ^ rh * 0x1656_67B1_9E37_79F9L ^
            ((long)proto << 32 | (long)sport << 16 | rport) * 0x27D4_EB2F_1656_67C5L);
    }

    private static int inHash(final int proto, final long rh, final long rl, final int rport, final int nport)
    {
        return mix(rl ^ rh * 0xC2B2_AE3D_27D4_EB4FL ^
            ((long)proto << 32 | (long)rport << 16 | nport) * 0x9E37_79B9_7F4A_7C15L);
    }

    private int outHomeOf(final int h)
    {
        return outHash(protocol[h], sandboxHigh[h], sandboxLow[h], ports[h] >>> 16, remoteHigh[h], remoteLow[h],
            ports[h] & 0xFFFF) & mask;
    }

    private int inHomeOf(final int h)
    {
        return inHash(protocol[h], remoteHigh[h], remoteLow[h], ports[h] & 0xFFFF, natPort[h]) & mask;
    }

    /** The connection a sandbox's packet belongs to, or {@link #NOT_FOUND}. */
    public int findOutbound(final int proto, final long sh, final long sl, final int sport, final long rh,
        final long rl, final int rport)
    {
        final int portPair = sport << 16 | rport;
        int i = outHash(proto, sh, sl, sport, rh, rl, rport) & mask;
        for (int n = 0; n <= mask; n++)
        {
            final int slot = outIndex[i];
            if (slot == 0)
            {
                return NOT_FOUND;
            }
            final int h = slot - 1;
            if (ports[h] == portPair && sandboxLow[h] == sl && remoteLow[h] == rl && sandboxHigh[h] == sh &&
                remoteHigh[h] == rh && protocol[h] == (byte)proto)
            {
                return h;
            }
            i = (i + 1) & mask;
        }
        return NOT_FOUND;
    }

    /** The connection a packet from {@code remote:rport} to the uplink's {@code nport} answers, or {@link #NOT_FOUND}. */
    public int findInbound(final int proto, final long rh, final long rl, final int rport, final int nport)
    {
        int i = inHash(proto, rh, rl, rport, nport) & mask;
        for (int n = 0; n <= mask; n++)
        {
            final int slot = inIndex[i];
            if (slot == 0)
            {
                return NOT_FOUND;
            }
            final int h = slot - 1;
            if (natPort[h] == nport && (ports[h] & 0xFFFF) == rport && remoteLow[h] == rl && remoteHigh[h] == rh &&
                protocol[h] == (byte)proto)
            {
                return h;
            }
            i = (i + 1) & mask;
        }
        return NOT_FOUND;
    }

    /** @return the new connection's handle, or {@link #NOT_FOUND} when the table is full. */
    public int add(final int proto, final long sh, final long sl, final int sport, final long rh, final long rl,
        final int rport, final int nport, final int connState, final long deadlineNanos)
    {
        if (freeCount == 0)
        {
            return NOT_FOUND;
        }
        final int h = free[--freeCount];
        protocol[h] = (byte)proto;
        sandboxHigh[h] = sh;
        sandboxLow[h] = sl;
        remoteHigh[h] = rh;
        remoteLow[h] = rl;
        ports[h] = sport << 16 | rport;
        natPort[h] = nport;
        state[h] = (byte)connState;
        deadline[h] = deadlineNanos;
        used[h] = true;
        insert(outIndex, outHomeOf(h), h);
        insert(inIndex, inHomeOf(h), h);
        size++;
        return h;
    }

    private void insert(final int[] index, final int home, final int h)
    {
        int i = home;
        while (index[i] != 0)
        {
            i = (i + 1) & mask;
        }
        index[i] = h + 1;
    }

    public void remove(final int h)
    {
        if (!used[h])
        {
            return;
        }
        unlink(outIndex, outHomeOf(h), h, true);
        unlink(inIndex, inHomeOf(h), h, false);
        used[h] = false;
        free[freeCount++] = h;
        size--;
    }

    private void unlink(final int[] index, final int home, final int h, final boolean outbound)
    {
        int hole = home;
        while (index[hole] != h + 1)
        {
            hole = (hole + 1) & mask;
        }
        int j = hole;
        while (true)
        {
            j = (j + 1) & mask;
            final int slot = index[j];
            if (slot == 0)
            {
                break;
            }
            final int at = outbound ? outHomeOf(slot - 1) : inHomeOf(slot - 1);
            final boolean stays = hole <= j ? (hole < at && at <= j) : (hole < at || at <= j);
            if (!stays)
            {
                index[hole] = slot;
                hole = j;
            }
        }
        index[hole] = 0;
    }

    /**
     * Removes up to {@code max} examined records' expired connections, continuing where the last call stopped.
     *
     * @return connections removed.
     */
    public int expire(final long nowNanos, final int max)
    {
        int removed = 0;
        final int step = Math.min(max, capacity);
        for (int n = 0; n < step; n++)
        {
            final int h = expireCursor;
            expireCursor = h + 1 == capacity ? 0 : h + 1;
            if (used[h] && deadline[h] - nowNanos <= 0)
            {
                remove(h);
                removed++;
            }
        }
        return removed;
    }

    /** Removes every connection from a sandbox address in {@code high/low & mask} (a network going away). */
    public int removeSandboxes(final long high, final long low, final long maskHigh, final long maskLow)
    {
        int removed = 0;
        for (int h = 0; h < capacity; h++)
        {
            if (used[h] && ((sandboxHigh[h] ^ high) & maskHigh) == 0 && ((sandboxLow[h] ^ low) & maskLow) == 0)
            {
                remove(h);
                removed++;
            }
        }
        return removed;
    }

    public int size()
    {
        return size;
    }

    public int capacity()
    {
        return capacity;
    }

    public boolean isLive(final int h, final long nowNanos)
    {
        return used[h] && deadline[h] - nowNanos > 0;
    }

    public int protocol(final int h)
    {
        return protocol[h];
    }

    public long sandboxHigh(final int h)
    {
        return sandboxHigh[h];
    }

    public long sandboxLow(final int h)
    {
        return sandboxLow[h];
    }

    public int sandboxPort(final int h)
    {
        return ports[h] >>> 16;
    }

    public int natPort(final int h)
    {
        return natPort[h];
    }

    public int state(final int h)
    {
        return state[h];
    }

    public void update(final int h, final int connState, final long deadlineNanos)
    {
        state[h] = (byte)connState;
        deadline[h] = deadlineNanos;
    }
}
