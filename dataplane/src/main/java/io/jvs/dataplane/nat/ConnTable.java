package io.jvs.dataplane.nat;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Connection tracking table: preallocated, open addressing over cache-line-aligned off-heap memory, no allocation
 * after construction. Single-threaded (the forwarding thread).
 * <p>
 * <b>Index.</b> Buckets of one cache line (64 bytes, aligned), each holding {@link #ENTRIES_PER_BUCKET} entries of
 * 16 bytes with the key inline, so a lookup that hits its home bucket reads one cache line and compares keys
 * without touching the connection record:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |              key A: source IP << 32 | destination IP          |
 *  +                                                               +
 *  |                                                               |
 *  +-----------------------------------------------+---------------+
 *  |            handle + 1 (24 bits)               |  protocol     |  word: key B | (handle + 1) << 40
 *  +-----------------------------------------------+---------------+   (0 = empty entry)
 *  |      source port              |      destination port         |
 *  +---------------------------------------------------------------+
 * </pre>
 * (word in native little-endian order: key B = protocol << 32 | source port << 16 | destination port is the low
 * 40 bits.) The home bucket is the hash scaled into the bucket count (any count, not only powers of two, so the
 * index costs ~0.625 cache lines per connection at most 80% load); a full bucket overflows into the next ones
 * (linear probing by bucket). Each bucket has an overflow count (entries that probed past it, saturating at 255):
 * a lookup stops at the first bucket that has no match and a zero count. Entries never move; deletion clears
 * the entry and decrements the counts on its probe path.
 * <p>
 * <b>Records.</b> One connection is one record of {@link #RECORD_LONGS} longs, exactly one aligned cache line:
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
 * A <em>handle</em> is {@code record << 1 | direction} (0 original, 1 reply). A translated packet touches two
 * cache lines of the table: the index bucket and the record (which holds the other direction's key).
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

    static final int CACHE_LINE = 64;
    static final int RECORD_BYTES = RECORD_LONGS * Long.BYTES;
    static final int ENTRY_BYTES = 16;
    static final int ENTRIES_PER_BUCKET = CACHE_LINE / ENTRY_BYTES;
    static final int ENTRY_KEY_A_OFFSET = 0;
    static final int ENTRY_WORD_OFFSET = 8;
    static final int KEY_B_BITS = 40;
    static final long KEY_B_MASK = (1L << KEY_B_BITS) - 1;
    static final int MAX_OVERFLOW = 0xFF;
    /** Highest index load: entries (2 per connection) per entry slot at full capacity. */
    static final double MAX_LOAD = 0.8;

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
    private final UnsafeBuffer records;
    private final int[] nextFree;
    private final UnsafeBuffer index;
    private final byte[] overflow;
    private final int buckets;
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
        records = new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacity * RECORD_BYTES, CACHE_LINE));
        nextFree = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            nextFree[i] = i + 1 < capacity ? i + 1 : -1;
        }
        freeHead = 0;
        buckets = Math.max(2, (int)Math.ceil(2.0 * capacity / (ENTRIES_PER_BUCKET * MAX_LOAD)));
        index = new UnsafeBuffer(BufferUtil.allocateDirectAligned(buckets * CACHE_LINE, CACHE_LINE));
        overflow = new byte[buckets];
    }

    public static long keyA(final int sourceIp, final int destinationIp)
    {
        return ((long)sourceIp << 32) | (destinationIp & 0xFFFF_FFFFL);
    }

    public static long keyB(final int protocol, final int sourcePort, final int destinationPort)
    {
        return ((long)(protocol & 0xFF) << 32) | ((long)(sourcePort & 0xFFFF) << 16) | (destinationPort & 0xFFFF);
    }

    static long hash(final long a, final long b)
    {
        long h = a * 0x9E37_79B9_7F4A_7C15L + b;
        h = (h ^ (h >>> 31)) * 0xBF58_476D_1CE4_E5B9L;
        h = (h ^ (h >>> 29)) * 0x94D0_49BB_1331_11EBL;
        return h ^ (h >>> 32);
    }

    /** The hash's upper 32 bits scaled into [0, buckets) (multiply-shift, no power-of-two restriction). */
    private int home(final long hash)
    {
        return (int)(((hash >>> 32) * buckets) >>> 32);
    }

    private int next(final int bucket)
    {
        return bucket + 1 == buckets ? 0 : bucket + 1;
    }

    /** @return the handle (record << 1 | direction) whose key matches, or {@link #NOT_FOUND}. */
    public int find(final int protocol, final int sourceIp, final int sourcePort, final int destinationIp,
        final int destinationPort)
    {
        return find(keyA(sourceIp, destinationIp), keyB(protocol, sourcePort, destinationPort));
    }

    public int find(final long a, final long b)
    {
        final UnsafeBuffer index = this.index;
        int bucket = home(hash(a, b));
        for (int n = 0; n < buckets; n++)
        {
            final int base = bucket * CACHE_LINE;
            for (int e = 0; e < ENTRIES_PER_BUCKET; e++)
            {
                final int at = base + e * ENTRY_BYTES;
                final long word = index.getLong(at + ENTRY_WORD_OFFSET);
                if ((word & KEY_B_MASK) == b && word != 0 && index.getLong(at + ENTRY_KEY_A_OFFSET) == a)
                {
                    return (int)(word >>> KEY_B_BITS) - 1;
                }
            }
            if (overflow[bucket] == 0)
            {
                return NOT_FOUND;
            }
            bucket = next(bucket);
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
        if ((originalB & ~KEY_B_MASK) != 0 || (replyB & ~KEY_B_MASK) != 0)
        {
            throw new IllegalArgumentException("key B wider than 40 bits: " + Long.toHexString(originalB) + ", " +
                Long.toHexString(replyB));
        }
        final int record = freeHead;
        if (record < 0)
        {
            return NOT_FOUND;
        }
        freeHead = nextFree[record];
        nextFree[record] = -1;
        final int base = record * RECORD_BYTES;
        records.putLong(base + ORIGINAL_A * Long.BYTES, originalA);
        records.putLong(base + ORIGINAL_B * Long.BYTES, originalB);
        records.putLong(base + REPLY_A * Long.BYTES, replyA);
        records.putLong(base + REPLY_B * Long.BYTES, replyB);
        records.putLong(base + EXPIRES * Long.BYTES, expiresAt == 0 ? 1 : expiresAt);
        records.putLong(base + STATE * Long.BYTES, (state & 0xFF) | ((long)flags << 8));
        records.putLong(base + PACKETS_ORIGINAL * Long.BYTES, 0);
        records.putLong(base + PACKETS_REPLY * Long.BYTES, 0);
        insert(originalA, originalB, record << 1);
        insert(replyA, replyB, (record << 1) | 1);
        size++;
        return record;
    }

    private void insert(final long a, final long b, final int handle)
    {
        int bucket = home(hash(a, b));
        while (true)
        {
            final int base = bucket * CACHE_LINE;
            for (int e = 0; e < ENTRIES_PER_BUCKET; e++)
            {
                final int at = base + e * ENTRY_BYTES;
                if (index.getLong(at + ENTRY_WORD_OFFSET) == 0)
                {
                    index.putLong(at + ENTRY_KEY_A_OFFSET, a);
                    index.putLong(at + ENTRY_WORD_OFFSET, b | ((handle + 1L) << KEY_B_BITS));
                    return;
                }
            }
            // Full (the load bound guarantees a free entry further on): count the overflow past this bucket.
            final int count = overflow[bucket] & 0xFF;
            if (count < MAX_OVERFLOW)
            {
                overflow[bucket] = (byte)(count + 1);
            }
            bucket = next(bucket);
        }
    }

    /** Frees a record and both its keys. */
    public void remove(final int record)
    {
        final int base = record * RECORD_BYTES;
        if (records.getLong(base + EXPIRES * Long.BYTES) == 0)
        {
            throw new IllegalArgumentException("record " + record + " is not in use");
        }
        unindex(records.getLong(base + ORIGINAL_A * Long.BYTES), records.getLong(base + ORIGINAL_B * Long.BYTES),
            record << 1);
        unindex(records.getLong(base + REPLY_A * Long.BYTES), records.getLong(base + REPLY_B * Long.BYTES),
            (record << 1) | 1);
        records.putLong(base + EXPIRES * Long.BYTES, 0);
        nextFree[record] = freeHead;
        freeHead = record;
        size--;
    }

    private void unindex(final long a, final long b, final int handle)
    {
        final long word = b | ((handle + 1L) << KEY_B_BITS);
        final int home = home(hash(a, b));
        int bucket = home;
        for (int n = 0; n < buckets; n++)
        {
            final int base = bucket * CACHE_LINE;
            for (int e = 0; e < ENTRIES_PER_BUCKET; e++)
            {
                final int at = base + e * ENTRY_BYTES;
                if (index.getLong(at + ENTRY_WORD_OFFSET) == word && index.getLong(at + ENTRY_KEY_A_OFFSET) == a)
                {
                    index.putLong(at + ENTRY_KEY_A_OFFSET, 0);
                    index.putLong(at + ENTRY_WORD_OFFSET, 0);
                    // Undo the overflow counts of the buckets this entry probed past (saturated ones stay).
                    for (int b2 = home; b2 != bucket; b2 = next(b2))
                    {
                        final int count = overflow[b2] & 0xFF;
                        if (count < MAX_OVERFLOW)
                        {
                            overflow[b2] = (byte)(count - 1);
                        }
                    }
                    return;
                }
            }
            bucket = next(bucket);
        }
        throw new IllegalStateException("handle " + handle + " missing from the index");
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
            final long expires = expiresAt(cursor);
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

    private long field(final int record, final int field)
    {
        return records.getLong(record * RECORD_BYTES + field * Long.BYTES);
    }

    private void field(final int record, final int field, final long value)
    {
        records.putLong(record * RECORD_BYTES + field * Long.BYTES, value);
    }

    public boolean inUse(final int record)
    {
        return field(record, EXPIRES) != 0;
    }

    public boolean isExpired(final int record, final long nowNanos)
    {
        return field(record, EXPIRES) - nowNanos <= 0;
    }

    public long expiresAt(final int record)
    {
        return field(record, EXPIRES);
    }

    public void expiresAt(final int record, final long nanos)
    {
        field(record, EXPIRES, nanos == 0 ? 1 : nanos);
    }

    public int state(final int record)
    {
        return (int)field(record, STATE) & 0xFF;
    }

    public int flags(final int record)
    {
        return (int)(field(record, STATE) >>> 8);
    }

    public void state(final int record, final int state, final int flags)
    {
        field(record, STATE, (state & 0xFF) | ((long)flags << 8));
    }

    public void countPacket(final int handle)
    {
        final int at = (handle >>> 1) * RECORD_BYTES + (PACKETS_ORIGINAL + (handle & 1)) * Long.BYTES;
        records.putLong(at, records.getLong(at) + 1);
    }

    public long packets(final int record, final int direction)
    {
        return field(record, PACKETS_ORIGINAL + direction);
    }

    /** Key A (source IP << 32 | destination IP) of a direction. */
    public long tupleA(final int record, final int direction)
    {
        return field(record, direction << 1);
    }

    /** Key B (protocol << 32 | source port << 16 | destination port) of a direction. */
    public long tupleB(final int record, final int direction)
    {
        return field(record, (direction << 1) + 1);
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

    /** Index buckets (cache lines). */
    int buckets()
    {
        return buckets;
    }
}
