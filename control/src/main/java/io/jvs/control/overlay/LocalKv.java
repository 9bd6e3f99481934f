package io.jvs.control.overlay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvs.control.state.StateTables;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;

/**
 * {@link ClusterKv} in this process, for a single host without etcd (and for tests): the same revisions, compares,
 * leases (expiring on their TTL, checked on every call) and watches as etcd. Watch listeners run on one private
 * thread, never on the caller's.
 * <p>
 * {@linkplain #durable Durable} (the daemon without {@code --etcd}): every change is also written to the daemon's
 * {@link StateTables}, one batch per transaction (so a crash keeps all of it or none), and a store opened on the same
 * state directory comes back with the same keys, revisions and leases, as etcd would outlive a daemon restart:
 * <pre>
 * table "overlay-kv"       row per key   {"v": value, "r": mod revision, "l": lease}
 * table "overlay-kv-meta"  row "meta"    {"revision": n, "nextLease": n, "leases": {"id": ttl nanos, ...}}
 * </pre>
 * Restored leases get a full TTL from the moment of opening (their holder may be the restarting daemon, which takes
 * them over; etcd likewise renews leases when a new leader takes over). Keep-alives are not written.
 */
public final class LocalKv implements ClusterKv
{
    private record Value(String value, long modRevision, long lease)
    {
    }

    private record Watcher(String prefix, Runnable onChange)
    {
    }

    private final TreeMap<String, Value> data = new TreeMap<>();
    private final Map<Long, Long> leaseDeadlines = new HashMap<>();
    private final Map<Long, Long> leaseTtls = new HashMap<>();
    private final List<Watcher> watchers = new CopyOnWriteArrayList<>();
    private final ExecutorService notifier = Executors.newSingleThreadExecutor(r ->
    {
        final Thread t = new Thread(r, "jvs-localkv-watch");
        t.setDaemon(true);
        return t;
    });
    static final String TABLE = "overlay-kv";
    static final String META_TABLE = "overlay-kv-meta";
    private static final String META = "meta";

    private final LongSupplier clock;
    /** Null: memory only. */
    private final StateTables tables;
    private long revision = 1;
    private long nextLease = 1;

    public LocalKv()
    {
        this(System::nanoTime);
    }

    /** @param clock nanoseconds, for lease expiry. */
    public LocalKv(final LongSupplier clock)
    {
        this(clock, null);
    }

    /**
     * @param clock  nanoseconds, for lease expiry.
     * @param tables where every change is written and the previous contents are read from; null: memory only.
     */
    public LocalKv(final LongSupplier clock, final StateTables tables)
    {
        this.clock = clock;
        this.tables = tables;
        if (tables != null)
        {
            load();
        }
    }

    /** A store kept in the daemon's state tables: it survives a restart of the daemon. */
    public static LocalKv durable(final StateTables tables)
    {
        return new LocalKv(System::nanoTime, tables);
    }

    private void load()
    {
        final JsonNode meta = tables.rows(META_TABLE).get(META);
        if (meta == null)
        {
            return;
        }
        revision = meta.path("revision").asLong(1);
        nextLease = meta.path("nextLease").asLong(1);
        final long now = clock.getAsLong();
        meta.path("leases").fields().forEachRemaining(e ->
        {
            final long id = Long.parseLong(e.getKey());
            leaseTtls.put(id, e.getValue().asLong());
            leaseDeadlines.put(id, now + e.getValue().asLong());
        });
        tables.rows(TABLE).forEach((key, row) ->
            data.put(key, new Value(row.path("v").asText(), row.path("r").asLong(), row.path("l").asLong())));
    }

    /** Writes the changed keys (removed if gone) and the counters and leases as one batch. Under this lock. */
    private void persist(final List<String> changedKeys)
    {
        if (tables == null)
        {
            return;
        }
        final JsonNodeFactory f = JsonNodeFactory.instance;
        final List<StateTables.Change> changes = new ArrayList<>();
        for (final String key : changedKeys)
        {
            final Value v = data.get(key);
            changes.add(v == null ? StateTables.Change.remove(TABLE, key) : new StateTables.Change(TABLE, key,
                f.objectNode().put("v", v.value()).put("r", v.modRevision()).put("l", v.lease())));
        }
        final ObjectNode meta = f.objectNode().put("revision", revision).put("nextLease", nextLease);
        final ObjectNode leases = meta.putObject("leases");
        leaseTtls.forEach((id, ttl) -> leases.put(Long.toString(id), ttl));
        changes.add(new StateTables.Change(META_TABLE, META, meta));
        tables.apply(changes);
    }

    @Override
    public synchronized Snapshot range(final String prefix)
    {
        expire();
        final List<Entry> entries = new ArrayList<>();
        for (final Map.Entry<String, Value> e : data.tailMap(prefix, true).entrySet())
        {
            if (!e.getKey().startsWith(prefix))
            {
                break;
            }
            entries.add(new Entry(e.getKey(), e.getValue().value(), e.getValue().modRevision()));
        }
        return new Snapshot(entries, revision);
    }

    @Override
    public boolean txn(final List<Cmp> compares, final List<Op> ops)
    {
        final List<String> changed = new ArrayList<>();
        synchronized (this)
        {
            expire();
            for (final Cmp cmp : compares)
            {
                final Value v = data.get(cmp.key());
                if ((v == null ? 0 : v.modRevision()) != cmp.modRevision())
                {
                    return false;
                }
            }
            for (final Op op : ops)
            {
                if (op instanceof Put put && put.lease() != NO_LEASE && !leaseDeadlines.containsKey(put.lease()))
                {
                    throw new IllegalStateException("lease " + put.lease() + " not found");
                }
            }
            if (!ops.isEmpty())
            {
                revision++;
            }
            for (final Op op : ops)
            {
                if (op instanceof Put put)
                {
                    data.put(put.key(), new Value(put.value(), revision, put.lease()));
                    changed.add(put.key());
                }
                else if (data.remove(((Delete)op).key()) != null)
                {
                    changed.add(((Delete)op).key());
                }
            }
            if (!ops.isEmpty())
            {
                persist(changed);
            }
        }
        notifyChanged(changed);
        return true;
    }

    @Override
    public synchronized long grantLease(final long ttlSeconds)
    {
        final long id = nextLease++;
        leaseTtls.put(id, ttlSeconds * 1_000_000_000L);
        leaseDeadlines.put(id, clock.getAsLong() + ttlSeconds * 1_000_000_000L);
        persist(List.of());
        return id;
    }

    @Override
    public synchronized boolean keepAlive(final long lease)
    {
        expire();
        if (!leaseDeadlines.containsKey(lease))
        {
            return false;
        }
        leaseDeadlines.put(lease, clock.getAsLong() + leaseTtls.get(lease));
        return true;
    }

    @Override
    public void revoke(final long lease)
    {
        final List<String> changed;
        synchronized (this)
        {
            final boolean known = leaseTtls.remove(lease) != null;
            leaseDeadlines.remove(lease);
            changed = dropKeysOf(List.of(lease));
            if (known || !changed.isEmpty())
            {
                persist(changed);
            }
        }
        notifyChanged(changed);
    }

    /** Expires leases now (tests call it after moving their clock). */
    public void expireNow()
    {
        final List<String> changed;
        synchronized (this)
        {
            changed = expire();
        }
        notifyChanged(changed);
    }

    @Override
    public AutoCloseable watch(final String prefix, final Runnable onChange)
    {
        final Watcher watcher = new Watcher(prefix, onChange);
        watchers.add(watcher);
        return () -> watchers.remove(watcher);
    }

    @Override
    public String describe()
    {
        return tables == null ? "in-memory store (no etcd: this host only)" :
            "local store in the state directory (no etcd: this host only)";
    }

    @Override
    public void close()
    {
        notifier.shutdownNow();
    }

    private List<String> expire()
    {
        final long now = clock.getAsLong();
        final List<Long> dead = new ArrayList<>();
        leaseDeadlines.forEach((id, deadline) ->
        {
            if (now - deadline > 0)
            {
                dead.add(id);
            }
        });
        if (dead.isEmpty())
        {
            return List.of();
        }
        dead.forEach(id ->
        {
            leaseDeadlines.remove(id);
            leaseTtls.remove(id);
        });
        final List<String> dropped = dropKeysOf(dead);
        persist(dropped);
        return dropped;
    }

    private List<String> dropKeysOf(final List<Long> leases)
    {
        final List<String> dropped = new ArrayList<>();
        data.entrySet().removeIf(e ->
        {
            if (e.getValue().lease() != NO_LEASE && leases.contains(e.getValue().lease()))
            {
                dropped.add(e.getKey());
                return true;
            }
            return false;
        });
        if (!dropped.isEmpty())
        {
            revision++;
        }
        return dropped;
    }

    private void notifyChanged(final List<String> keys)
    {
        for (final Watcher w : watchers)
        {
            if (keys.stream().anyMatch(k -> k.startsWith(w.prefix())))
            {
                try
                {
                    notifier.execute(w.onChange());
                }
                catch (final RejectedExecutionException ignored)
                {
                    return; // closed
                }
            }
        }
    }
}
