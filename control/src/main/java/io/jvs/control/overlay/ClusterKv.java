package io.jvs.control.overlay;

import java.util.List;

/**
 * The few key-value operations the overlay control plane needs, so that the same code runs on etcd
 * ({@link EtcdKv}, several hosts) and in memory ({@link LocalKv}, one host, no etcd). Keys and values are UTF-8
 * strings. Calls block; they run on the control path (API threads, the overlay's own thread), never per packet.
 * Failures of the store surface as {@link io.jvs.control.common.JvsException} of kind INTERNAL.
 */
public interface ClusterKv extends AutoCloseable
{
    /** No lease: the key lives until deleted. */
    long NO_LEASE = 0;

    /** One key as read, with the store revision of its last change (0 never occurs for a present key). */
    record Entry(String key, String value, long modRevision)
    {
    }

    /** Every key under a prefix, read at one store revision. */
    record Snapshot(List<Entry> entries, long revision)
    {
    }

    /** Compare: the key's last-modified revision equals {@code modRevision}; 0 means "the key does not exist". */
    record Cmp(String key, long modRevision)
    {
        public static Cmp absent(final String key)
        {
            return new Cmp(key, 0);
        }
    }

    /** A write inside a transaction. */
    sealed interface Op permits Put, Delete
    {
    }

    /** Put with an optional lease ({@link #NO_LEASE} for none). */
    record Put(String key, String value, long lease) implements Op
    {
    }

    record Delete(String key) implements Op
    {
    }

    Snapshot range(String prefix);

    /** Applies every op atomically if every compare holds. @return whether it was applied. */
    boolean txn(List<Cmp> compares, List<Op> ops);

    /** Grants a lease of {@code ttlSeconds}. @return its id (never {@link #NO_LEASE}). */
    long grantLease(long ttlSeconds);

    /** One keep-alive. @return false if the lease no longer exists (expired or revoked). */
    boolean keepAlive(long lease);

    /** Revokes the lease, deleting its keys; unknown leases are ignored. */
    void revoke(long lease);

    /**
     * Calls {@code onChange} (on a store thread; it must not block for long) after any change under the prefix.
     * Level-triggered: the listener re-reads what it needs, so lost or merged notifications do no harm as long as
     * the caller also re-reads now and then. @return closes the watch.
     */
    AutoCloseable watch(String prefix, Runnable onChange);

    /** Where the store is, for messages. */
    String describe();

    @Override
    void close();
}
