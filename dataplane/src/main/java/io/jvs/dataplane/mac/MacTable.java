package io.jvs.dataplane.mac;

import io.jvs.dataplane.parse.MacAddress;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * Bounded MAC learning table of every bridge domain: open addressing with linear probing over primitive arrays,
 * keyed by (bridge domain, MAC) packed into one long.
 * <pre>
 *   key = bridgeDomainId (16 bits) << 48 | mac (48 bits)        0 marks an empty slot (bridge domain ids are > 0)
 *   slot i:  keys[i] | ports[i] | lastSeen[i] (nanos) | statics[i]
 * </pre>
 * The slot array is at least twice {@link #capacity()} so probe chains stay short; learning into a full table
 * returns {@link #TABLE_FULL} and changes nothing. Deletion uses backward-shift (no tombstones), so lookups cost
 * the same after any amount of churn. Aging is incremental: {@link #age} examines a slice of the slots sized by
 * the time since the last call, so that a full sweep takes a quarter of the aging time and no call scans more
 * than {@link #MAX_SLOTS_PER_AGE_CALL} slots. Static entries never age and are never moved by learning.
 * <p>
 * Shared by the forwarding lanes: any lane looks up and learns, one lane (the first) ages, flushes and adds static
 * entries. Lookups take no lock: a sequence counter (a seqlock) is odd while a writer changes the slots, and a
 * lookup that overlapped a change probes again. Learning a source already on the same port only refreshes its
 * time, at most every {@link #refreshNanos()} (so lanes do not write shared cache lines per frame), without a lock;
 * a new or moved entry, and every removal, takes the writers' spin lock. With one lane the lock is never contended:
 * one compare-and-set per new MAC. A refresh racing with a removal that shifts entries may stamp the neighbour it
 * shifted in: that entry lives up to one aging time longer, and the refreshed one is learned again on its next
 * frame, never sent to a wrong port. Lookups and learning do not allocate; the time is passed in by the caller (a
 * clock cached once per duty cycle).
 * <p>
 * Learning is bounded so one port cannot take the table from the others (a sandbox sending from random source
 * MACs): a port learns at most {@link #portLimit()} entries ({@link #PORT_LIMIT} beyond, nothing learned), a bridge
 * domain at most {@link #bridgeDomainLimit()}, and learned entries together at most {@link #learnLimit()}, which
 * leaves room for static entries (router legs). A static entry is never refused for lack of room while any entry is
 * learned: one of the port with most learned entries makes way. The per-port and per-domain learned counts change
 * only under the writers' lock (insert, move, delete), so they stay exact with several lanes learning; a port at
 * its limit is refused before the lock is taken (a racy read, checked again under the lock), so a flood of new
 * sources does not contend the lock.
 * <p>
 * Over 800 lines, not split yet: the per-port and per-domain learning bounds (with their eviction) are the seam for
 * a class of their own; they share the slot arrays and the writers' lock, so the split needs the lock made explicit.
 */
public final class MacTable
{
    /** {@link #lookup} result when the MAC is unknown; port ids are > 0. */
    public static final int NO_PORT = 0;

    /** New entry added. */
    public static final int LEARNED = 1;
    /** Known on the same port: its age is reset. */
    public static final int REFRESHED = 2;
    /** Known on another port: the entry now points to the new port (a station move). */
    public static final int MOVED = 3;
    /** Not known and the table holds {@link #capacity()} entries: nothing learned. */
    public static final int TABLE_FULL = 4;
    /** A static entry exists on another port: kept as configured. */
    public static final int STATIC_HELD = 5;
    /** Not known (or known on another port) and the port has learned {@link #portLimit()} entries: nothing done. */
    public static final int PORT_LIMIT = 6;

    /** Highest port id of a table built without one (the switch's port ids are below 4096). */
    public static final int DEFAULT_MAX_PORT_ID = 4095;
    /** No limit beyond the capacity (tables built without limits). */
    public static final int UNLIMITED = Integer.MAX_VALUE;

    public static final int MAX_BRIDGE_DOMAIN_ID = 0xFFFF;
    public static final int MAX_CAPACITY = 1 << 28;
    public static final int MAX_SLOTS_PER_AGE_CALL = 1024;
    /** A full aging sweep takes agingNanos / this, so an entry lives at most 1.25x the aging time. */
    public static final int SWEEPS_PER_AGING_TIME = 4;

    private static final int BRIDGE_DOMAIN_SHIFT = 48;
    private static final long GOLDEN_RATIO = 0x9E37_79B9_7F4A_7C15L;
    private static final int MIN_SLOTS = 16;
    /** Refreshes of a known source's time are at most this far apart (and at most 1/64 of the aging time). */
    public static final long MAX_REFRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private static final VarHandle VERSION;
    private static final VarHandle WRITE_LOCK;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            VERSION = lookup.findVarHandle(MacTable.class, "version", long.class);
            WRITE_LOCK = lookup.findVarHandle(MacTable.class, "writeLock", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** Told about each entry removed by aging. */
    @FunctionalInterface
    public interface AgedHandler
    {
        void onAged(int bridgeDomainId, long mac, int portId);
    }

    /** Visits entries for snapshots (control path). */
    @FunctionalInterface
    public interface EntryVisitor
    {
        void visit(int bridgeDomainId, long mac, int portId, long lastSeenNanos, boolean isStatic);
    }

    private final long[] keys;
    private final int[] ports;
    private final long[] lastSeen;
    private final boolean[] statics;
    private final int[] countByBridgeDomain;
    /** Learned (not static) entries per port and per bridge domain: changed under the writers' lock only. */
    private final int[] learnedByPort;
    private final int[] learnedByBridgeDomain;
    /** Each port's learning limit: {@link #portLimit()} unless set ({@link #setPortLimit}) when the port came. */
    private final int[] limitByPort;
    private final int capacity;
    private final int portLimit;
    private final int bridgeDomainLimit;
    private final int learnLimit;
    private final int mask;
    private final int hashShift;
    private final long agingNanos;
    private final long sweepPeriodNanos;
    private final long refreshNanos;
    /** Seqlock: odd while a writer moves slots. Accessed through {@link #VERSION}. */
    @SuppressWarnings("unused")
    private long version;
    /** 1 while a writer holds the table. Accessed through {@link #WRITE_LOCK}. */
    @SuppressWarnings("unused")
    private int writeLock;
    private int size;
    private int learned;
    private int ageCursor;
    private long lastAgeNanos;
    private boolean agingStarted;

    /**
     * A table without learning limits (beyond its capacity) for port ids up to {@link #DEFAULT_MAX_PORT_ID}.
     *
     * @param capacity            most entries held.
     * @param maxBridgeDomainId   highest bridge domain id used (sizes the per-domain entry counts).
     * @param agingNanos          an entry not refreshed for this long is removed.
     */
    public MacTable(final int capacity, final int maxBridgeDomainId, final long agingNanos)
    {
        this(capacity, maxBridgeDomainId, DEFAULT_MAX_PORT_ID, agingNanos, UNLIMITED, UNLIMITED, 0);
    }

    /**
     * @param maxPortId         highest port id used (sizes the per-port learned counts).
     * @param portLimit         most entries one port learns ({@link #UNLIMITED}: no limit of its own).
     * @param bridgeDomainLimit most entries one bridge domain learns ({@link #UNLIMITED}: the capacity).
     * @param staticReserve     entries learning leaves free for static ones (less than the capacity).
     */
    public MacTable(
        final int capacity, final int maxBridgeDomainId, final int maxPortId, final long agingNanos,
        final int portLimit, final int bridgeDomainLimit, final int staticReserve)
    {
        if (capacity < 1 || capacity > MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity=" + capacity + " not in [1, " + MAX_CAPACITY + "]");
        }
        if (maxBridgeDomainId < 1 || maxBridgeDomainId > MAX_BRIDGE_DOMAIN_ID)
        {
            throw new IllegalArgumentException(
                "maxBridgeDomainId=" + maxBridgeDomainId + " not in [1, " + MAX_BRIDGE_DOMAIN_ID + "]");
        }
        if (agingNanos <= 0)
        {
            throw new IllegalArgumentException("agingNanos=" + agingNanos + " must be > 0");
        }
        if (maxPortId < 1 || portLimit < 1 || bridgeDomainLimit < 1 || staticReserve < 0 || staticReserve >= capacity)
        {
            throw new IllegalArgumentException("maxPortId=" + maxPortId + " portLimit=" + portLimit +
                " bridgeDomainLimit=" + bridgeDomainLimit + " staticReserve=" + staticReserve + " (capacity " +
                capacity + "): limits must be >= 1, the reserve below the capacity");
        }
        final int slots = Math.max(MIN_SLOTS, Integer.highestOneBit(capacity * 2 - 1) << 1);
        this.keys = new long[slots];
        this.ports = new int[slots];
        this.lastSeen = new long[slots];
        this.statics = new boolean[slots];
        this.countByBridgeDomain = new int[maxBridgeDomainId + 1];
        this.learnedByPort = new int[maxPortId + 1];
        this.learnedByBridgeDomain = new int[maxBridgeDomainId + 1];
        this.capacity = capacity;
        this.learnLimit = capacity - staticReserve;
        this.portLimit = portLimit;
        this.limitByPort = new int[maxPortId + 1];
        java.util.Arrays.fill(limitByPort, this.portLimit);
        this.bridgeDomainLimit = Math.min(bridgeDomainLimit, learnLimit);
        this.mask = slots - 1;
        this.hashShift = 64 - Integer.numberOfTrailingZeros(slots);
        this.agingNanos = agingNanos;
        this.sweepPeriodNanos = Math.max(1, agingNanos / SWEEPS_PER_AGING_TIME);
        this.refreshNanos = Math.min(MAX_REFRESH_NANOS, agingNanos >> 6);
    }

    private void lock()
    {
        while (!WRITE_LOCK.compareAndSet(this, 0, 1))
        {
            Thread.onSpinWait();
        }
    }

    private void unlock()
    {
        WRITE_LOCK.setRelease(this, 0);
    }

    /** Under the lock, before slots move: readers that overlap will probe again. */
    private void beginWrite()
    {
        final long v = (long)VERSION.getOpaque(this);
        VERSION.setOpaque(this, v + 1);
        VarHandle.storeStoreFence();
    }

    private void endWrite()
    {
        final long v = (long)VERSION.getOpaque(this);
        VERSION.setRelease(this, v + 1);
    }

    /** A version with no writer in progress, to compare with {@link #validate} after reading slots. */
    private long readBegin()
    {
        long v;
        while (((v = (long)VERSION.getAcquire(this)) & 1) != 0)
        {
            Thread.onSpinWait();
        }
        return v;
    }

    /** Whether no writer moved slots since {@link #readBegin} returned {@code v}. */
    private boolean validate(final long v)
    {
        VarHandle.loadLoadFence();
        return (long)VERSION.getOpaque(this) == v;
    }

    static long key(final int bridgeDomainId, final long mac)
    {
        return ((long)bridgeDomainId << BRIDGE_DOMAIN_SHIFT) | (mac & MacAddress.MASK);
    }

    /** Fibonacci hashing: the multiply mixes every key bit into the top bits, which pick the slot. */
    private int home(final long key)
    {
        return (int)((key * GOLDEN_RATIO) >>> hashShift);
    }

    /**
     * Linear probe from the key's home: the slot holding {@code key}, or the empty slot where it would go. One
     * always exists: there are at least twice as many slots as entries.
     */
    private int slot(final long key)
    {
        final long[] keys = this.keys;
        final int mask = this.mask;
        int i = home(key);
        long k;
        // Bounded: a lookup racing with writers could otherwise chase moving entries; it is validated anyway.
        for (int n = 0; (k = keys[i]) != key && k != 0 && n <= mask; n++)
        {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void checkBridgeDomain(final int bridgeDomainId)
    {
        if (bridgeDomainId < 1 || bridgeDomainId >= countByBridgeDomain.length)
        {
            throw new IllegalArgumentException("bridgeDomainId=" + bridgeDomainId + " out of range");
        }
    }

    /** @return the port of (bridge domain, mac), or {@link #NO_PORT}. */
    public int lookup(final int bridgeDomainId, final long mac)
    {
        final long key = key(bridgeDomainId, mac);
        while (true)
        {
            final long v = readBegin();
            final int i = slot(key);
            final int port = keys[i] == key ? ports[i] : NO_PORT;
            if (validate(v))
            {
                return port;
            }
        }
    }

    /**
     * Learns that mac was seen as a source on port.
     *
     * @return {@link #LEARNED}, {@link #REFRESHED}, {@link #MOVED}, {@link #TABLE_FULL} (no room left for
     * learning in the table or the bridge domain), {@link #PORT_LIMIT} or {@link #STATIC_HELD}.
     */
    public int learn(final int bridgeDomainId, final long mac, final int portId, final long nowNanos)
    {
        final long key = key(bridgeDomainId, mac);
        final long v = readBegin();
        final int at = slot(key);
        final long found = keys[at];
        final boolean samePort = ports[at] == portId;
        if (validate(v))
        {
            if (found == key && samePort)
            {
                if (nowNanos - lastSeen[at] >= refreshNanos)
                {
                    lastSeen[at] = nowNanos;
                }
                return REFRESHED;
            }
            // Racy reads (the static flag after validation too: not on the per-frame path above, where it cost a
            // cache miss per frame in a large table), so a flood of new sources does not take the lock per frame;
            // the locked path below decides.
            if (learnedByPort[portId] >= limitByPort[portId] && (found == 0 || !statics[at]))
            {
                return PORT_LIMIT;
            }
        }
        lock();
        try
        {
            final int i = slot(key);
            if (keys[i] == 0)
            {
                if (learnedByPort[portId] >= limitByPort[portId])
                {
                    return PORT_LIMIT;
                }
                if (size >= capacity || learned >= learnLimit ||
                    learnedByBridgeDomain[bridgeDomainId] >= bridgeDomainLimit)
                {
                    return TABLE_FULL;
                }
                insertAt(i, key, bridgeDomainId, portId, nowNanos, false);
                return LEARNED;
            }
            if (ports[i] == portId)
            {
                lastSeen[i] = nowNanos;
                return REFRESHED;
            }
            if (statics[i])
            {
                return STATIC_HELD;
            }
            if (learnedByPort[portId] >= limitByPort[portId])
            {
                return PORT_LIMIT;
            }
            learnedByPort[ports[i]]--;
            learnedByPort[portId]++;
            ports[i] = portId; // one int: a reader sees the old port or the new one
            lastSeen[i] = nowNanos;
            return MOVED;
        }
        finally
        {
            unlock();
        }
    }

    private void insertAt(
        final int i, final long key, final int bridgeDomainId, final int portId, final long nowNanos,
        final boolean isStatic)
    {
        // The key last: a reader that sees it sees its port (release by endWrite; validated by the reader).
        beginWrite();
        ports[i] = portId;
        lastSeen[i] = nowNanos;
        statics[i] = isStatic;
        keys[i] = key;
        endWrite();
        size++;
        countByBridgeDomain[bridgeDomainId]++;
        if (!isStatic)
        {
            countLearned(bridgeDomainId, portId, 1);
        }
    }

    private void countLearned(final int bridgeDomainId, final int portId, final int delta)
    {
        learned += delta;
        learnedByPort[portId] += delta;
        learnedByBridgeDomain[bridgeDomainId] += delta;
    }

    /**
     * Adds or replaces a static entry (turning a learned entry static). In a full table a learned entry of the port
     * with most learned entries makes way.
     *
     * @return false if the entry was not there and every entry of the full table is static.
     */
    public boolean putStatic(final int bridgeDomainId, final long mac, final int portId, final long nowNanos)
    {
        checkBridgeDomain(bridgeDomainId);
        final long key = key(bridgeDomainId, mac);
        lock();
        try
        {
            int i = slot(key);
            if (keys[i] == 0)
            {
                if (size >= capacity)
                {
                    if (!evictLearned())
                    {
                        return false;
                    }
                    i = slot(key); // the eviction may have shifted entries
                }
                insertAt(i, key, bridgeDomainId, portId, nowNanos, true);
                return true;
            }
            if (!statics[i])
            {
                countLearned(bridgeDomainId, ports[i], -1);
            }
            ports[i] = portId;
            lastSeen[i] = nowNanos;
            statics[i] = true;
            return true;
        }
        finally
        {
            unlock();
        }
    }

    /**
     * The learning limit of a port about to join (before any lane learns on it; the command that adds it publishes
     * the value): {@link #UNLIMITED} for a port that stands for many stations (an overlay tunnel, a LAN).
     */
    public void setPortLimit(final int portId, final int limit)
    {
        if (portId < 1 || portId >= limitByPort.length || limit < 1)
        {
            throw new IllegalArgumentException("port " + portId + " limit " + limit);
        }
        lock();
        try
        {
            limitByPort[portId] = limit;
        }
        finally
        {
            unlock();
        }
    }

    /** Under the lock: removes a learned entry of the port with most of them. @return false if none is learned. */
    private boolean evictLearned()
    {
        if (learned == 0)
        {
            return false;
        }
        int busiest = 0;
        for (int p = 1; p < learnedByPort.length; p++)
        {
            if (learnedByPort[p] > learnedByPort[busiest])
            {
                busiest = p;
            }
        }
        for (int i = 0; i < keys.length; i++)
        {
            if (keys[i] != 0 && !statics[i] && ports[i] == busiest)
            {
                deleteAt(i);
                return true;
            }
        }
        return false;
    }

    /** @return true if the entry existed (static or learned). */
    public boolean remove(final int bridgeDomainId, final long mac)
    {
        final long key = key(bridgeDomainId, mac);
        lock();
        try
        {
            final int i = slot(key);
            if (keys[i] != key)
            {
                return false;
            }
            deleteAt(i);
            return true;
        }
        finally
        {
            unlock();
        }
    }

    /**
     * Backward-shift deletion: moves each later entry of the probe chain that may live in the hole into it, so
     * every chain stays unbroken without tombstones. Entries only move towards index i, never behind it.
     */
    private void deleteAt(final int index)
    {
        final long[] keys = this.keys;
        final int bridgeDomainId = (int)(keys[index] >>> BRIDGE_DOMAIN_SHIFT);
        countByBridgeDomain[bridgeDomainId]--;
        size--;
        if (!statics[index])
        {
            countLearned(bridgeDomainId, ports[index], -1);
        }
        beginWrite();

        int hole = index;
        int j = index;
        while (true)
        {
            j = (j + 1) & mask;
            final long k = keys[j];
            if (k == 0)
            {
                break;
            }
            final int home = home(k);
            // The entry at j may fill the hole iff the hole lies cyclically in [home, j).
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                keys[hole] = k;
                ports[hole] = ports[j];
                lastSeen[hole] = lastSeen[j];
                statics[hole] = statics[j];
                hole = j;
            }
        }
        keys[hole] = 0;
        ports[hole] = NO_PORT;
        lastSeen[hole] = 0;
        statics[hole] = false;
        endWrite();
    }

    /** Removes every entry (static too) on the port; a port is in one bridge domain. @return entries removed. */
    public int flushPort(final int portId)
    {
        lock();
        try
        {
            return flushPortLocked(portId);
        }
        finally
        {
            unlock();
        }
    }

    private int flushPortLocked(final int portId)
    {
        int removed = 0;
        int i = 0;
        // A deletion may shift a not yet visited entry into slot i: look at i again before moving on.
        while (i < keys.length)
        {
            if (keys[i] != 0 && ports[i] == portId)
            {
                deleteAt(i);
                removed++;
            }
            else
            {
                i++;
            }
        }
        return removed;
    }

    /** Removes the bridge domain's learned entries, and its static ones too if asked. @return entries removed. */
    public int flushBridgeDomain(final int bridgeDomainId, final boolean includeStatic)
    {
        checkBridgeDomain(bridgeDomainId);
        lock();
        try
        {
            return flushBridgeDomainLocked(bridgeDomainId, includeStatic);
        }
        finally
        {
            unlock();
        }
    }

    private int flushBridgeDomainLocked(final int bridgeDomainId, final boolean includeStatic)
    {
        if (countByBridgeDomain[bridgeDomainId] == 0)
        {
            return 0;
        }
        int removed = 0;
        int i = 0;
        while (i < keys.length)
        {
            final long k = keys[i];
            if (k != 0 && (int)(k >>> BRIDGE_DOMAIN_SHIFT) == bridgeDomainId && (includeStatic || !statics[i]))
            {
                deleteAt(i);
                removed++;
            }
            else
            {
                i++;
            }
        }
        return removed;
    }

    /**
     * One incremental aging step, to be called every duty cycle: examines as many slots as the time since the
     * last step is worth (full sweep per agingNanos / {@link #SWEEPS_PER_AGING_TIME}), at most
     * {@link #MAX_SLOTS_PER_AGE_CALL}.
     *
     * @return entries removed.
     */
    public int age(final long nowNanos, final AgedHandler handler)
    {
        if (!agingStarted)
        {
            agingStarted = true;
            lastAgeNanos = nowNanos;
            return 0;
        }
        long elapsed = nowNanos - lastAgeNanos;
        if (elapsed > sweepPeriodNanos)
        {
            elapsed = sweepPeriodNanos;
            lastAgeNanos = nowNanos - sweepPeriodNanos;
        }
        if (elapsed <= 0)
        {
            return 0;
        }
        final long slotsDue = elapsed * keys.length / sweepPeriodNanos;
        if (slotsDue == 0)
        {
            return 0; // not enough time for one slot: keep lastAgeNanos so the time accumulates
        }
        final int slots = (int)Math.min(slotsDue, MAX_SLOTS_PER_AGE_CALL);
        lastAgeNanos += slots * sweepPeriodNanos / keys.length;
        return ageSlots(nowNanos, slots, handler);
    }

    /** Examines the next {@code slots} slots from the aging cursor (wrapping). @return entries removed. */
    public int ageSlots(final long nowNanos, final int slots, final AgedHandler handler)
    {
        lock();
        try
        {
            return ageSlotsLocked(nowNanos, slots, handler);
        }
        finally
        {
            unlock();
        }
    }

    private int ageSlotsLocked(final long nowNanos, final int slots, final AgedHandler handler)
    {
        if (size == 0)
        {
            ageCursor = (int)((ageCursor + (long)slots) & mask);
            return 0;
        }
        int removed = 0;
        int i = ageCursor;
        for (int n = 0; n < slots; n++)
        {
            // Re-examine slot i after a deletion, which may have shifted a later entry into it.
            while (keys[i] != 0 && !statics[i] && nowNanos - lastSeen[i] >= agingNanos)
            {
                final long k = keys[i];
                final int port = ports[i];
                deleteAt(i);
                removed++;
                if (null != handler)
                {
                    handler.onAged((int)(k >>> BRIDGE_DOMAIN_SHIFT), k & MacAddress.MASK, port);
                }
            }
            i = (i + 1) & mask;
        }
        ageCursor = i;
        return removed;
    }

    /** Visits every entry (control path); each entry is read consistently, the table as a whole is not frozen. */
    public void forEach(final EntryVisitor visitor)
    {
        for (int i = 0; i < keys.length; i++)
        {
            long k;
            int port;
            long seen;
            boolean isStatic;
            long v;
            do
            {
                v = readBegin();
                k = keys[i];
                port = ports[i];
                seen = lastSeen[i];
                isStatic = statics[i];
            }
            while (!validate(v));
            if (k != 0)
            {
                visitor.visit((int)(k >>> BRIDGE_DOMAIN_SHIFT), k & MacAddress.MASK, port, seen, isStatic);
            }
        }
    }

    /** How often a known source's last-seen time is rewritten at most. */
    public long refreshNanos()
    {
        return refreshNanos;
    }

    public int size()
    {
        return size;
    }

    /** Entries (learned and static) of one bridge domain. */
    public int size(final int bridgeDomainId)
    {
        return bridgeDomainId > 0 && bridgeDomainId < countByBridgeDomain.length ?
            countByBridgeDomain[bridgeDomainId] : 0;
    }

    public int capacity()
    {
        return capacity;
    }

    /** Learned (not static) entries of every port and domain. */
    public int learned()
    {
        return learned;
    }

    /** Learned entries of one port (0 for an id out of range). */
    public int learned(final int portId)
    {
        return portId > 0 && portId < learnedByPort.length ? learnedByPort[portId] : 0;
    }

    /** Learned entries of one bridge domain. */
    public int learnedInBridgeDomain(final int bridgeDomainId)
    {
        return bridgeDomainId > 0 && bridgeDomainId < learnedByBridgeDomain.length ?
            learnedByBridgeDomain[bridgeDomainId] : 0;
    }

    /** Most entries one port learns unless {@link #setPortLimit} said otherwise. */
    public int portLimit()
    {
        return portLimit;
    }

    /** Most entries this port learns. */
    public int portLimit(final int portId)
    {
        return limitByPort[portId];
    }

    /** Most entries one bridge domain learns. */
    public int bridgeDomainLimit()
    {
        return bridgeDomainLimit;
    }

    /** Most learned entries in all: the capacity less the room kept for static entries. */
    public int learnLimit()
    {
        return learnLimit;
    }

    /** Bytes of the slot arrays (keys, ports, last seen, static flags) and per-domain counts, fixed at construction. */
    public long memoryBytes()
    {
        final long slots = mask + 1L;
        return slots * (Long.BYTES + Integer.BYTES + Long.BYTES + 1) +
            (2L * countByBridgeDomain.length + 2L * learnedByPort.length) * Integer.BYTES;
    }

    /** Length of the slot arrays (a power of two, at least 2 x capacity). */
    public int slots()
    {
        return keys.length;
    }

    public long agingNanos()
    {
        return agingNanos;
    }

    /** Longest probe distance of any entry from its home slot: a health check for tests. */
    public int maxProbeLength()
    {
        int max = 0;
        for (int i = 0; i < keys.length; i++)
        {
            if (keys[i] != 0)
            {
                max = Math.max(max, (i - home(keys[i])) & mask);
            }
        }
        return max;
    }
}
