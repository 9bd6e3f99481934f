package io.jvs.dataplane.nat;

import org.agrona.BitUtil;

/**
 * Connection tracking table: preallocated, open addressing over primitive arrays, no allocation after
 * construction. Single-threaded (the forwarding thread).
 * <p>
 * A connection is one record of {@link #RECORD_LONGS} longs (one cache line) in {@code records}:
 * <pre>
 *   0  original key A   source IP << 32 | destination IP         (the initiator's packet as it arrived)
 *   1  original key B   protocol << 32 | source port << 16 | destination port
 *   2  reply key A      same, for the reply as it arrives at the router
 *   3  reply key B
 *   4  expires at       System.nanoTime() deadline; 0 = record free
 *   5  state word       state (8 bits) | flags << 8 (ConnState)
 *   6  packets in the original direction
 *   7  packets in the reply direction
 * </pre>
 * Both keys are in the index, so a packet of either direction finds its connection with one probe sequence.
 * A <em>handle</em> is {@code record << 1 | direction} (0 original, 1 reply). Index slots are longs:
 * {@code hash tag (upper 32 bits of the hash) << 32 | handle + 1}, 0 = empty; linear probing, deletion by
 * backward shift (no tombstones), the home slot is recomputed from the tag. The index has at least 4x capacity
 * slots (load <= 0.5).
 * <p>
 * ICMP echo uses the identifier as a port: a request is (src, id, dst, 0), a reply (src, 0, dst, id).
 */
public final class ConnTable
{
    public static final int NOT_FOUND = -1;
    public static final int RECORD_LONGS = 8;
    static final int ORIGINAL_A = 0;
    static final int ORIGINAL_B = 1;
    static final int REPLY_A = 2;
    static final int REPLY_B = 3;
    static final int EXPIRES = 4;
    static final int STATE = 5;
    static final int PACKETS_ORIGINAL = 6;
    static final int PACKETS_REPLY = 7;

    /** Records examined at most per {@link #expire} call. */
    public static final int MAX_EXPIRE_STEP = 4096;
    /** A full sweep of the records takes about this long, so an entry outlives its deadline by at most this. */
    public static final long SWEEP_PERIOD_NANOS = 1_000_000_000L;

    /** Called for each connection removed on timeout, before its record is freed. */
    @FunctionalInterface
    public interface ExpiredHandler
    {
        void onExpired(int record);
    }

    private final int capacity;
    private final long[] records;
    private final int[] nextFree;
    private final long[] slots;
    private final int mask;
    private final int shift;
    private int freeHead;
    private int size;
    private int sweepCursor;
    private long lastSweepNanos;

    public ConnTable(final int capacity)
    {
        if (capacity < 1 || capacity > NatConfig.MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity=" + capacity + " not in [1, " + NatConfig.MAX_CAPACITY + "]");
        }
        this.capacity = capacity;
        records = new long[capacity * RECORD_LONGS];
        nextFree = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            nextFree[i] = i + 1 < capacity ? i + 1 : -1;
        }
        freeHead = 0;
        final int slotCount = Math.max(16, BitUtil.findNextPositivePowerOfTwo(capacity * 4));
        slots = new long[slotCount];
        mask = slotCount - 1;
        shift = 64 - Integer.numberOfTrailingZeros(slotCount);
    }

    public static long keyA(final int sourceIp, final int destinationIp)
    {
        return ((long)sourceIp << 32) | (destinationIp & 0xFFFF_FFFFL);
    }

    public static long keyB(final int protocol, final int sourcePort, final int destinationPort)
    {
        return ((long)protocol << 32) | ((long)(sourcePort & 0xFFFF) << 16) | (destinationPort & 0xFFFF);
    }

    static long hash(final long a, final long b)
    {
        long h = a * 0x9E37_79B9_7F4A_7C15L + b;
        h = (h ^ (h >>> 31)) * 0xBF58_476D_1CE4_E5B9L;
        h = (h ^ (h >>> 29)) * 0x94D0_49BB_1331_11EBL;
        return h ^ (h >>> 32);
    }

    private int home(final long hash)
    {
        return (int)(hash >>> shift);
    }

    /** @return the handle (record << 1 | direction) whose key matches, or {@link #NOT_FOUND}. */
    public int find(final int protocol, final int sourceIp, final int sourcePort, final int destinationIp,
        final int destinationPort)
    {
        return find(keyA(sourceIp, destinationIp), keyB(protocol, sourcePort, destinationPort));
    }

    public int find(final long a, final long b)
    {
        final long h = hash(a, b);
        final long tag = h >>> 32;
        int i = home(h);
        final long[] slots = this.slots;
        for (int n = 0; n <= mask; n++)
        {
            final long slot = slots[i];
            if (slot == 0)
            {
                return NOT_FOUND;
            }
            if ((slot >>> 32) == tag)
            {
                final int handle = (int)slot - 1;
                final int base = (handle >>> 1) * RECORD_LONGS + ((handle & 1) << 1);
                if (records[base] == a && records[base + 1] == b)
                {
                    return handle;
                }
            }
            i = (i + 1) & mask;
        }
        return NOT_FOUND;
    }

    /**
     * Adds a connection; the caller has checked neither key is present.
     *
     * @return the record, or {@link #NOT_FOUND} when the table is full.
     */
    public int add(final long originalA, final long originalB, final long replyA, final long replyB,
        final long expiresAt, final int state, final int flags)
    {
        final int record = freeHead;
        if (record < 0)
        {
            return NOT_FOUND;
        }
        freeHead = nextFree[record];
        nextFree[record] = -1;
        final int base = record * RECORD_LONGS;
        records[base + ORIGINAL_A] = originalA;
        records[base + ORIGINAL_B] = originalB;
        records[base + REPLY_A] = replyA;
        records[base + REPLY_B] = replyB;
        records[base + EXPIRES] = expiresAt == 0 ? 1 : expiresAt;
        records[base + STATE] = (state & 0xFF) | ((long)flags << 8);
        records[base + PACKETS_ORIGINAL] = 0;
        records[base + PACKETS_REPLY] = 0;
        insert(originalA, originalB, record << 1);
        insert(replyA, replyB, (record << 1) | 1);
        size++;
        return record;
    }

    private void insert(final long a, final long b, final int handle)
    {
        final long h = hash(a, b);
        int i = home(h);
        while (slots[i] != 0)
        {
            i = (i + 1) & mask;
        }
        slots[i] = ((h >>> 32) << 32) | (handle + 1L);
    }

    /** Frees a record and both its keys. */
    public void remove(final int record)
    {
        final int base = record * RECORD_LONGS;
        if (records[base + EXPIRES] == 0)
        {
            throw new IllegalArgumentException("record " + record + " is not in use");
        }
        unindex(records[base + ORIGINAL_A], records[base + ORIGINAL_B], record << 1);
        unindex(records[base + REPLY_A], records[base + REPLY_B], (record << 1) | 1);
        records[base + EXPIRES] = 0;
        nextFree[record] = freeHead;
        freeHead = record;
        size--;
    }

    private void unindex(final long a, final long b, final int handle)
    {
        final long h = hash(a, b);
        int i = home(h);
        final long wanted = handle + 1L;
        for (int n = 0; n <= mask; n++)
        {
            final long slot = slots[i];
            if (slot == 0)
            {
                throw new IllegalStateException("handle " + handle + " missing from the index");
            }
            if ((slot & 0xFFFF_FFFFL) == wanted)
            {
                break;
            }
            i = (i + 1) & mask;
        }
        // Backward shift: move later entries of the run into the hole if their home allows it.
        int hole = i;
        int j = i;
        while (true)
        {
            j = (j + 1) & mask;
            final long slot = slots[j];
            if (slot == 0)
            {
                break;
            }
            final int home = (int)((slot >>> 32) >>> (shift - 32));
            // j may move to hole if home is not cyclically in (hole, j].
            final boolean homeInRange = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!homeInRange)
            {
                slots[hole] = slot;
                hole = j;
            }
        }
        slots[hole] = 0;
    }

    /**
     * Removes up to a time-proportional slice of expired connections (a full pass per {@link #SWEEP_PERIOD_NANOS},
     * at most {@link #MAX_EXPIRE_STEP} records per call).
     *
     * @return connections removed.
     */
    public int expire(final long nowNanos, final ExpiredHandler handler)
    {
        if (lastSweepNanos == 0)
        {
            lastSweepNanos = nowNanos;
            return 0;
        }
        final long due = (long)capacity * (nowNanos - lastSweepNanos) / SWEEP_PERIOD_NANOS;
        if (due <= 0)
        {
            return 0;
        }
        lastSweepNanos = nowNanos;
        final int step = (int)Math.min(Math.min(due, MAX_EXPIRE_STEP), capacity);
        int removed = 0;
        int cursor = sweepCursor;
        for (int n = 0; n < step; n++)
        {
            final long expires = records[cursor * RECORD_LONGS + EXPIRES];
            if (expires != 0 && expires - nowNanos <= 0)
            {
                handler.onExpired(cursor);
                remove(cursor);
                removed++;
            }
            cursor = cursor + 1 == capacity ? 0 : cursor + 1;
        }
        sweepCursor = cursor;
        return removed;
    }

    public boolean inUse(final int record)
    {
        return records[record * RECORD_LONGS + EXPIRES] != 0;
    }

    public boolean isExpired(final int record, final long nowNanos)
    {
        return records[record * RECORD_LONGS + EXPIRES] - nowNanos <= 0;
    }

    public long expiresAt(final int record)
    {
        return records[record * RECORD_LONGS + EXPIRES];
    }

    public void expiresAt(final int record, final long nanos)
    {
        records[record * RECORD_LONGS + EXPIRES] = nanos == 0 ? 1 : nanos;
    }

    public int state(final int record)
    {
        return (int)records[record * RECORD_LONGS + STATE] & 0xFF;
    }

    public int flags(final int record)
    {
        return (int)(records[record * RECORD_LONGS + STATE] >>> 8);
    }

    public void state(final int record, final int state, final int flags)
    {
        records[record * RECORD_LONGS + STATE] = (state & 0xFF) | ((long)flags << 8);
    }

    public void countPacket(final int handle)
    {
        records[(handle >>> 1) * RECORD_LONGS + PACKETS_ORIGINAL + (handle & 1)]++;
    }

    public long packets(final int record, final int direction)
    {
        return records[record * RECORD_LONGS + PACKETS_ORIGINAL + direction];
    }

    /** Key A (source IP << 32 | destination IP) of a direction. */
    public long tupleA(final int record, final int direction)
    {
        return records[record * RECORD_LONGS + (direction << 1)];
    }

    /** Key B (protocol << 32 | source port << 16 | destination port) of a direction. */
    public long tupleB(final int record, final int direction)
    {
        return records[record * RECORD_LONGS + (direction << 1) + 1];
    }

    public static int sourceIp(final long keyA)
    {
        return (int)(keyA >>> 32);
    }

    public static int destinationIp(final long keyA)
    {
        return (int)keyA;
    }

    public static int protocol(final long keyB)
    {
        return (int)(keyB >>> 32);
    }

    public static int sourcePort(final long keyB)
    {
        return (int)(keyB >>> 16) & 0xFFFF;
    }

    public static int destinationPort(final long keyB)
    {
        return (int)keyB & 0xFFFF;
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
