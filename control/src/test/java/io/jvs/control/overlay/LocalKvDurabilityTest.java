package io.jvs.control.overlay;

import io.jvs.control.state.StateTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@link LocalKv} over {@link StateTables} comes back after the process "dies" (the tables are closed without the
 * store saying goodbye) with the same keys, mod revisions, revision counter and leases; restored leases get a full
 * TTL from the reopening and then expire as usual; new lease ids do not reuse old ones.
 */
class LocalKvDurabilityTest
{
    private final AtomicLong clock = new AtomicLong();

    @TempDir
    Path dir;

    @Test
    void keysRevisionsAndLeasesSurviveReopen()
    {
        final long lease;
        final ClusterKv.Snapshot before;
        try (StateTables tables = StateTables.open(dir))
        {
            final LocalKv kv = new LocalKv(clock::get, tables);
            lease = kv.grantLease(5);
            assertTrue(kv.txn(List.of(ClusterKv.Cmp.absent("/jvs/v1/networks/n")), List.of(
                new ClusterKv.Put("/jvs/v1/networks/n", "{\"net\":1}", ClusterKv.NO_LEASE),
                new ClusterKv.Put("/jvs/v1/endpoints/n/10.0.0.2", "{\"ep\":2}", lease),
                new ClusterKv.Put("/jvs/v1/endpoints/n/10.0.0.3", "{\"ep\":3}", lease))));
            assertTrue(kv.txn(List.of(), List.of(new ClusterKv.Delete("/jvs/v1/endpoints/n/10.0.0.3"))));
            before = kv.range("/jvs/");
            kv.close(); // no revoke: as if the daemon were killed
        }
        clock.addAndGet(TimeUnit.SECONDS.toNanos(60)); // the restart took longer than the TTL
        try (StateTables tables = StateTables.open(dir))
        {
            final LocalKv kv = new LocalKv(clock::get, tables);
            assertEquals(before, kv.range("/jvs/"), "same keys, values and revisions");
            final long next = kv.grantLease(5);
            assertNotEquals(lease, next, "lease ids are not reused");
            assertFalse(kv.txn(List.of(ClusterKv.Cmp.absent("/jvs/v1/networks/n")), List.of(
                new ClusterKv.Put("/jvs/v1/networks/n", "{}", ClusterKv.NO_LEASE))), "compares see the old key");
            assertTrue(kv.keepAlive(lease), "the old lease got a full TTL at reopening");
            clock.addAndGet(TimeUnit.SECONDS.toNanos(6));
            kv.expireNow();
            assertEquals(List.of("/jvs/v1/networks/n"), kv.range("/jvs/").entries().stream()
                .map(ClusterKv.Entry::key).toList(), "leased keys expire after it");
            kv.close();
        }
        try (StateTables tables = StateTables.open(dir))
        {
            final LocalKv kv = new LocalKv(clock::get, tables);
            assertEquals(1, kv.range("/jvs/").entries().size(), "the expiry was written too");
            assertFalse(kv.keepAlive(lease));
            kv.close();
        }
    }
}
