package io.jvs.control.overlay;

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
 * {@link ClusterKv} in memory, for a single host without etcd (and for tests): the same revisions, compares,
 * leases (expiring on their TTL, checked on every call) and watches as etcd, kept in this process only.
 * Watch listeners run on one private thread, never on the caller's.
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
    private final LongSupplier clock;
    private long revision = 1;
    private long nextLease = 1;

    public LocalKv()
    {
        this(System::nanoTime);
    }

    /** @param clock nanoseconds, for lease expiry. */
    public LocalKv(final LongSupplier clock)
    {
        this.clock = clock;
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
            leaseDeadlines.remove(lease);
            leaseTtls.remove(lease);
            changed = dropKeysOf(List.of(lease));
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
        return "in-memory store (no etcd: this host only)";
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
        dead.forEach(id ->
        {
            leaseDeadlines.remove(id);
            leaseTtls.remove(id);
        });
        return dead.isEmpty() ? List.of() : dropKeysOf(dead);
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
