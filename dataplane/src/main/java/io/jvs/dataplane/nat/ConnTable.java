package io.jvs.dataplane.nat;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Connection tracking table: preallocated, open addressing over primitive arrays, no allocation after
 * construction. Single-threaded (the forwarding thread).
 * <p>
 * The packet path touches two random cache lines per lookup (an index slot, then the record), so both structures
 * are kept small: at 100k connections the index is ~2 MB and the records ~3.2 MB, where a miss is far cheaper
 * than in a 14 MB footprint. A connection is one {@link #RECORD_LENGTH}-byte record in 64-byte aligned
 * off-heap memory (never straddling a cache line):
 * <pre>
 *   0                   31 32                  63
 *  +----------------------+----------------------+
 *  | original key A: source IP << 32 | destination IP (the initiator's packet as it arrived)   0
 *  +---------------------------------------------+
 *  | reply key A: the same for the reply as it arrives at the router                          8
 *  +----------+----------+----------+------------+
 *  | orig sport | orig dport | reply sport | reply dport   (each 16 bits, high to low)          16
 *  +----------+----------+----------+------------+
 *  | deadline tick (32) | in use (1) | 0 (7) | protocol (8) | flags (8) | state (8)            24
 *  +---------------------------------------------+
 * </pre>
 * The deadline is kept in ticks of 2^{@value #TICK_SHIFT} ns (~1.05 ms), 32 bits compared by signed difference
 * (valid for deadlines within ~26 days of now; the longest timeout is hours and every record is swept each
 * second). Packet counters (optional, {@link NatConfig#accounting}: the write is a
 * third random cache line per packet) are in a separate cold array indexed by handle.
 * <p>
 * Both directions' keys are in the index, so a packet of either direction finds its connection with one probe
 * sequence. A <em>handle</em> is {@code record << 1 | direction} (0 original, 1 reply). Index slots are ints:
 * {@code tag (8 low bits of the hash) << 24 | handle + 1}, 0 = empty; linear probing from the home slot (the
 * hash's top bits), deletion by backward shift (no tombstones; an entry's home is recomputed from its record's
 * key). The index array is preallocated for the capacity (load <= 0.5 when full) but only a power-of-two prefix
 * sized to the connections in use is addressed; it doubles (a rehash from the records, no allocation) when more
 * than half its slots would be used, so a few connections stay in a few cache lines.
 * <p>
 * ICMP echo uses the identifier as a port: a request is (src, id, dst, 0), a reply (src, 0, dst, id).
 */
public final class ConnTable
{
    public static final int NOT_FOUND = -1;
    public static final int RECORD_LENGTH = 32;
    static final int ORIGINAL_A_OFFSET = 0;
    static final int REPLY_A_OFFSET = 8;
    static final int PORTS_OFFSET = 16;
    static final int META_OFFSET = 24;
    static final long META_IN_USE = 1L << 31;
    static final int META_PROTOCOL_SHIFT = 16;
    static final int META_FLAGS_SHIFT = 8;
    /** Deadline ticks are nanoseconds >> TICK_SHIFT. */
    public static final int TICK_SHIFT = 20;

    static final int HANDLE_BITS = 24;
    static final int HANDLE_MASK = (1 << HANDLE_BITS) - 1;
    static final int MIN_INDEX_BITS = 10;

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
    /** Held so the off-heap records live as long as the table. */
    private final ByteBuffer recordMemory;
    private final long recordsAddress;
    private final long[] packets;
    private final int[] nextFree;
    private final int[] slots;
    private final int maxIndexBits;
    private int indexBits;
    private int indexMask;
    private int indexShift;
    private int freeHead;
    private int highWater;
    private int size;
    private int sweepCursor;
    private long lastSweepNanos;
    private int changes;
    /** Sink for {@link #findAll}'s first pass, so the JIT cannot drop its loads. */
    private int touched;

    public ConnTable(final int capacity)
    {
        this(capacity, true);
    }

    /** @param accounting keep per-direction packet counters ({@link #countPacket}); without, they read -1. */
    public ConnTable(final int capacity, final boolean accounting)
    {
        if (capacity < 1 || capacity > NatConfig.MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity=" + capacity + " not in [1, " + NatConfig.MAX_CAPACITY + "]");
        }
        this.capacity = capacity;
        recordMemory = BufferUtil.allocateDirectAligned(capacity * RECORD_LENGTH, BitUtil.CACHE_LINE_LENGTH);
        recordsAddress = BufferUtil.address(recordMemory);
        packets = accounting ? new long[capacity * 2] : null;
        nextFree = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            nextFree[i] = i + 1 < capacity ? i + 1 : -1;
        }
        freeHead = 0;
        final int maxSlots = Math.max(1 << MIN_INDEX_BITS, BitUtil.findNextPositivePowerOfTwo(capacity * 4));
        slots = new int[maxSlots];
        maxIndexBits = Integer.numberOfTrailingZeros(maxSlots);
        indexBits(Math.min(maxIndexBits, MIN_INDEX_BITS));
    }

    private void indexBits(final int bits)
    {
        indexBits = bits;
        indexMask = (1 << bits) - 1;
        indexShift = 64 - bits;
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

    /**
     * Records are read with plain Unsafe loads (no bounds check, no field reloads: the packet path does several per
     * packet). Record numbers from the index are valid by construction; public methods taking a record number check
     * it first ({@link #checkedOffset}).
     */
    private long recordOffset(final int record)
    {
        return recordsAddress + (long)record * RECORD_LENGTH;
    }

    private long checkedOffset(final int record)
    {
        return recordOffset(Objects.checkIndex(record, capacity));
    }

    private static long getLong(final long address)
    {
        return UnsafeApi.getLong(address);
    }

    private static void putLong(final long address, final long value)
    {
        UnsafeApi.putLong(address, value);
    }

    private long keyBAt(final long at, final int direction)
    {
        final long ports = getLong(at + PORTS_OFFSET);
        final long meta = getLong(at + META_OFFSET);
        final long half = direction == 0 ? ports >>> 32 : ports & 0xFFFF_FFFFL;
        return ((meta >>> META_PROTOCOL_SHIFT) & 0xFF) << 32 | half;
    }

    /** @return the handle (record << 1 | direction) whose key matches, or {@link #NOT_FOUND}. */
    public int find(final int protocol, final int sourceIp, final int sourcePort, final int destinationIp,
        final int destinationPort)
    {
        return find(keyA(sourceIp, destinationIp), keyB(protocol, sourcePort, destinationPort));
    }

    public int find(final long a, final long b)
    {
        return find(a, b, hash(a, b));
    }

    private int find(final long a, final long b, final long h)
    {
        final int tag = (int)h & 0xFF;
        final int mask = indexMask;
        final int[] slots = this.slots;
        int i = (int)(h >>> indexShift);
        for (int n = 0; n <= mask; n++)
        {
            final int slot = slots[i];
            if (slot == 0)
            {
                return NOT_FOUND;
            }
            if ((slot >>> HANDLE_BITS) == tag)
            {
                final int handle = (slot & HANDLE_MASK) - 1;
                final int direction = handle & 1;
                final long at = recordOffset(handle >>> 1);
                if (getLong(at + (direction << 3)) == a && keyBAt(at, direction) == b)
                {
                    return handle;
                }
            }
            i = (i + 1) & mask;
        }
        return NOT_FOUND;
    }

    /**
     * Looks up {@code count} keys at once (a batch of packets): first every key's home index slot, then the
     * records those slots name, then the probes proper (now in cache). The loads of different keys do not depend on each other, so the CPU overlaps their
     * cache misses instead of paying them one packet after the other. A key with {@code b == 0} (no valid key has
     * protocol 0) is skipped and gets {@link #NOT_FOUND}.
     *
     * @param hashes scratch, at least {@code count} long.
     */
    public void findAll(final long[] a, final long[] b, final int[] handles, final long[] hashes, final int count)
    {
        final int[] slots = this.slots;
        final int shift = indexShift;
        int touched = 0;
        for (int k = 0; k < count; k++)
        {
            final long h = hash(a[k], b[k]);
            hashes[k] = h;
            touched |= slots[(int)(h >>> shift)]; // the load itself is the point: it starts the miss
        }
        // The record of each home slot's entry (mostly the one wanted), without branches: a probe loop's
        // mispredicted branches would throw away the loads in flight. An empty slot touches record 0.
        for (int k = 0; k < count; k++)
        {
            final int handle = (slots[(int)(hashes[k] >>> shift)] & HANDLE_MASK) - 1;
            touched += (int)getLong(recordOffset(Math.max(handle, 0) >>> 1) + ((handle & 1) << 3));
        }
        this.touched = touched;
        for (int k = 0; k < count; k++)
        {
            handles[k] = b[k] == 0 ? NOT_FOUND : find(a[k], b[k], hashes[k]);
        }
    }

    /** Counts adds and removes: while it stays the same, every {@link #find} answer stays the same. */
    public int changes()
    {
        return changes;
    }

    /** @return true if the handle's record is in use and its key for the handle's direction is (a, b). */
    public boolean matches(final int handle, final long a, final long b)
    {
        final int direction = handle & 1;
        final long at = checkedOffset(handle >>> 1);
        return (getLong(at + META_OFFSET) & META_IN_USE) != 0 &&
            getLong(at + (direction << 3)) == a && keyBAt(at, direction) == b;
    }

    /**
     * Adds a connection; the caller has checked neither key is present. Both keys have the same protocol.
     *
     * @return the record, or {@link #NOT_FOUND} when the table is full.
     */
    public int add(final long originalA, final long originalB, final long replyA, final long replyB,
        final long expiresAt, final int state, final int flags)
    {
        final long protocol = originalB >>> 32;
        if (protocol != replyB >>> 32 || protocol > 0xFF)
        {
            throw new IllegalArgumentException("protocols " + (originalB >>> 32) + "/" + (replyB >>> 32));
        }
        final int record = freeHead;
        if (record < 0)
        {
            return NOT_FOUND;
        }
        freeHead = nextFree[record];
        nextFree[record] = -1;
        final long at = recordOffset(record);
        putLong(at + ORIGINAL_A_OFFSET, originalA);
        putLong(at + REPLY_A_OFFSET, replyA);
        putLong(at + PORTS_OFFSET, (originalB << 32) | (replyB & 0xFFFF_FFFFL));
        putLong(at + META_OFFSET, meta(expiresAt, protocol, state, flags));
        if (packets != null)
        {
            packets[record << 1] = 0;
            packets[(record << 1) | 1] = 0;
        }
        size++;
        changes++;
        highWater = Math.max(highWater, record + 1);
        if (size * 4L > (1L << indexBits) && indexBits < maxIndexBits)
        {
            grow(); // reindexes every record in use, this one included
        }
        else
        {
            insert(originalA, originalB, record << 1);
            insert(replyA, replyB, (record << 1) | 1);
        }
        return record;
    }

    private static long meta(final long expiresAtNanos, final long protocol, final int state, final int flags)
    {
        return ((long)deadlineTick(expiresAtNanos) << 32) | META_IN_USE | protocol << META_PROTOCOL_SHIFT |
            (flags & 0xFF) << META_FLAGS_SHIFT | (state & 0xFF);
    }

    /** Rounded up, so a connection never expires before its deadline (at most ~2 ticks after it). */
    private static int deadlineTick(final long nanos)
    {
        return (int)((nanos + (1L << TICK_SHIFT) - 1) >> TICK_SHIFT);
    }

    private static int tick(final long nanos)
    {
        return (int)(nanos >> TICK_SHIFT);
    }

    /** Doubles the addressed index prefix and reinserts both keys of every record in use. */
    private void grow()
    {
        indexBits(indexBits + 1);
        Arrays.fill(slots, 0, indexMask + 1, 0);
        for (int r = 0; r < highWater; r++)
        {
            final long at = recordOffset(r);
            if ((getLong(at + META_OFFSET) & META_IN_USE) != 0)
            {
                insert(getLong(at + ORIGINAL_A_OFFSET), keyBAt(at, 0), r << 1);
                insert(getLong(at + REPLY_A_OFFSET), keyBAt(at, 1), (r << 1) | 1);
            }
        }
    }

    private void insert(final long a, final long b, final int handle)
    {
        final long h = hash(a, b);
        int i = (int)(h >>> indexShift);
        while (slots[i] != 0)
        {
            i = (i + 1) & indexMask;
        }
        slots[i] = ((int)h & 0xFF) << HANDLE_BITS | (handle + 1);
    }

    /** Frees a record and both its keys. */
    public void remove(final int record)
    {
        final long at = checkedOffset(record);
        if (!inUse(record))
        {
            throw new IllegalArgumentException("record " + record + " is not in use");
        }
        unindex(getLong(at + ORIGINAL_A_OFFSET), keyBAt(at, 0), record << 1);
        unindex(getLong(at + REPLY_A_OFFSET), keyBAt(at, 1), (record << 1) | 1);
        putLong(at + META_OFFSET, 0);
        nextFree[record] = freeHead;
        freeHead = record;
        size--;
        changes++;
    }

    private int homeOf(final int slot)
    {
        final int handle = (slot & HANDLE_MASK) - 1;
        final int direction = handle & 1;
        final long at = recordOffset(handle >>> 1);
        return (int)(hash(getLong(at + (direction << 3)), keyBAt(at, direction)) >>> indexShift);
    }

    private void unindex(final long a, final long b, final int handle)
    {
        final int mask = indexMask;
        int i = (int)(hash(a, b) >>> indexShift);
        final int wanted = handle + 1;
        for (int n = 0; n <= mask; n++)
        {
            final int slot = slots[i];
            if (slot == 0)
            {
                throw new IllegalStateException("handle " + handle + " missing from the index");
            }
            if ((slot & HANDLE_MASK) == wanted)
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
            final int slot = slots[j];
            if (slot == 0)
            {
                break;
            }
            final int home = homeOf(slot);
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
        final int nowTick = tick(nowNanos);
        int removed = 0;
        int cursor = sweepCursor;
        for (int n = 0; n < step; n++)
        {
            final long meta = getLong(recordOffset(cursor) + META_OFFSET);
            if ((meta & META_IN_USE) != 0 && (int)(meta >>> 32) - nowTick <= 0)
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
        return (getLong(checkedOffset(record) + META_OFFSET) & META_IN_USE) != 0;
    }

    public boolean isExpired(final int record, final long nowNanos)
    {
        return (int)(getLong(checkedOffset(record) + META_OFFSET) >>> 32) - tick(nowNanos) <= 0;
    }

    /** Time left before the deadline (to within a tick), negative once past it. */
    public long expiresInNanos(final int record, final long nowNanos)
    {
        final int left = (int)(getLong(checkedOffset(record) + META_OFFSET) >>> 32) - tick(nowNanos);
        return (long)left << TICK_SHIFT;
    }

    public void expiresAt(final int record, final long nanos)
    {
        final long at = checkedOffset(record) + META_OFFSET;
        final long meta = getLong(at);
        putLong(at, ((long)deadlineTick(nanos) << 32) | (meta & 0xFFFF_FFFFL));
    }

    public int state(final int record)
    {
        return (int)getLong(checkedOffset(record) + META_OFFSET) & 0xFF;
    }

    public int flags(final int record)
    {
        return (int)(getLong(checkedOffset(record) + META_OFFSET) >>> META_FLAGS_SHIFT) & 0xFF;
    }

    public void state(final int record, final int state, final int flags)
    {
        final long at = checkedOffset(record) + META_OFFSET;
        final long meta = getLong(at);
        putLong(at, (meta & ~0xFFFFL) | (flags & 0xFF) << META_FLAGS_SHIFT | (state & 0xFF));
    }

    /** State, flags and deadline in one write (the packet path's update). */
    public void update(final int record, final int state, final int flags, final long expiresAtNanos)
    {
        final long at = checkedOffset(record) + META_OFFSET;
        final long meta = getLong(at);
        putLong(at, ((long)deadlineTick(expiresAtNanos) << 32) | (meta & 0xFFFF_0000L) |
            (flags & 0xFF) << META_FLAGS_SHIFT | (state & 0xFF));
    }

    /** Counts a packet of a handle's direction; a no-op without accounting. */
    public void countPacket(final int handle)
    {
        if (packets != null)
        {
            packets[handle]++;
        }
    }

    /** @return packets seen in a direction, or -1 without accounting. */
    public long packets(final int record, final int direction)
    {
        return packets != null ? packets[(Objects.checkIndex(record, capacity) << 1) | (direction & 1)] : -1;
    }

    /** Key A (source IP << 32 | destination IP) of a direction. */
    public long tupleA(final int record, final int direction)
    {
        return getLong(checkedOffset(record) + ((direction & 1) << 3));
    }

    /** Key B (protocol << 32 | source port << 16 | destination port) of a direction. */
    public long tupleB(final int record, final int direction)
    {
        return keyBAt(checkedOffset(record), direction);
    }

    /** Slots of the index currently addressed (grows with the connections in use). */
    public int indexSlots()
    {
        return indexMask + 1;
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
