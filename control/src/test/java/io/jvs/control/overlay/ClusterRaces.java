package io.jvs.control.overlay;

import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Ipv4;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Races the cluster store must win for the overlay to be correct, run on several threads through several clients
 * of one store: against {@link LocalKv} in {@link OverlayControlTest} and against a real etcd in
 * {@link OverlayControlOnEtcdTest}. Every check fails if the store's compare-and-swap does not hold (a lost update,
 * an address or VNI handed out twice, a second network of one name).
 */
final class ClusterRaces
{
    private static final int THREADS = 8;

    private ClusterRaces()
    {
    }

    /**
     * {@link #THREADS} threads, spread over the clients, each add 1 to one counter key {@code increments} times by
     * read, compare revision, write; a refused write is re-read and retried. No increment may be lost.
     */
    static void compareAndSwapLosesNoUpdate(final List<? extends ClusterKv> clients, final String key,
        final int increments) throws Exception
    {
        final List<Callable<Integer>> work = new ArrayList<>();
        for (int t = 0; t < THREADS; t++)
        {
            final ClusterKv kv = clients.get(t % clients.size());
            work.add(() ->
            {
                int refused = 0;
                for (int i = 0; i < increments; i++)
                {
                    while (!increment(kv, key))
                    {
                        refused++;
                    }
                }
                return refused;
            });
        }
        final int refused = runTogether(work).stream().mapToInt(Integer::intValue).sum();
        final List<ClusterKv.Entry> entries = clients.get(0).range(key).entries();
        assertEquals(String.valueOf(THREADS * increments), entries.get(0).value(),
            "increments lost (" + refused + " writes were refused and retried)");
    }

    /** A create (compare: absent) of a key that exists is refused and leaves the value alone; so is a stale write. */
    static void conflictingWritesAreRefused(final ClusterKv first, final ClusterKv second, final String key)
    {
        assertTrue(first.txn(List.of(ClusterKv.Cmp.absent(key)), List.of(put(key, "first"))), "create");
        assertFalse(second.txn(List.of(ClusterKv.Cmp.absent(key)), List.of(put(key, "second"))), "second create");
        final long revision = second.range(key).entries().get(0).modRevision();
        assertTrue(first.txn(List.of(new ClusterKv.Cmp(key, revision)), List.of(put(key, "updated"))), "update");
        assertFalse(second.txn(List.of(new ClusterKv.Cmp(key, revision)), List.of(put(key, "stale"))), "stale");
        assertEquals("updated", second.range(key).entries().get(0).value());
    }

    /** 40 addresses allocated 8 at a time through two hosts of one network: no address twice, the gateway never. */
    static void addressesAreUniqueUnderConcurrentAllocation(final OverlayControl a, final OverlayControl b,
        final OverlayNetwork net, final ClusterKv kv) throws Exception
    {
        final List<Callable<Integer>> work = new ArrayList<>();
        for (int i = 0; i < 40; i++)
        {
            final OverlayControl host = i % 2 == 0 ? a : b;
            final String sandbox = "sb" + i;
            work.add(() -> host.allocate(net.id(), sandbox, Ipv4::dockerMac));
        }
        final Set<Integer> addresses = new HashSet<>();
        for (final int address : runTogether(work))
        {
            assertTrue(addresses.add(address), Ipv4.format(address) + " handed out twice");
        }
        assertFalse(addresses.contains(Ipv4.parse(net.gateway())), "gateway reserved");
        assertEquals(40, ClusterState.parse(kv.range(ClusterKeys.ROOT)).endpoints(net.id()).size(), "in the store");
    }

    /**
     * Networks defined at once through two hosts: distinct names get distinct VNIs and subnets; of two defines of
     * one name, exactly one succeeds and the other is refused as a conflict.
     */
    static void concurrentDefinesGetDistinctVnisAndOneNameWinsOnce(final OverlayControl a, final OverlayControl b,
        final String prefix) throws Exception
    {
        final List<Callable<OverlayNetwork>> work = new ArrayList<>();
        for (int i = 0; i < 8; i++)
        {
            final OverlayControl host = i % 2 == 0 ? a : b;
            final String name = prefix + i;
            final String id = String.format("%063x%x", i, 1);
            work.add(() -> host.define(new OverlayControl.Definition(name, null, null, null, false, false), id,
                List.of()));
        }
        final List<OverlayNetwork> networks = runTogether(work);
        assertEquals(8, networks.stream().map(OverlayNetwork::vni).distinct().count(), "VNIs: " + networks);
        assertEquals(8, networks.stream().map(OverlayNetwork::subnet).distinct().count(), "subnets: " + networks);

        final List<Callable<String>> twice = new ArrayList<>();
        for (final OverlayControl host : List.of(a, b, a, b))
        {
            final String id = String.format("%064x", twice.size() + 100);
            twice.add(() ->
            {
                try
                {
                    return "created " + host.define(new OverlayControl.Definition(prefix + "dup", null, null, null,
                        false, false), id, List.of()).id();
                }
                catch (final JvsException ex)
                {
                    return ex.kind() + ": " + ex.getMessage();
                }
            });
        }
        final List<String> outcomes = runTogether(twice);
        assertEquals(1, outcomes.stream().filter(o -> o.startsWith("created ")).count(), outcomes.toString());
        assertEquals(3, outcomes.stream().filter(o -> o.startsWith(JvsException.Kind.CONFLICT + ": ")).count(),
            outcomes.toString());
    }

    private static boolean increment(final ClusterKv kv, final String key)
    {
        final List<ClusterKv.Entry> entries = kv.range(key).entries();
        final long revision = entries.isEmpty() ? 0 : entries.get(0).modRevision();
        final int value = entries.isEmpty() ? 0 : Integer.parseInt(entries.get(0).value());
        return kv.txn(List.of(new ClusterKv.Cmp(key, revision)), List.of(put(key, String.valueOf(value + 1))));
    }

    private static ClusterKv.Put put(final String key, final String value)
    {
        return new ClusterKv.Put(key, value, ClusterKv.NO_LEASE);
    }

    /**
     * Runs the tasks on {@link #THREADS} threads, released at once so they overlap. Not more at once: every
     * allocation rewrites its network's key, so N at once retry up to N times, and OverlayControl gives up after
     * 16 attempts (40 at once fail with "the cluster kept changing"). @return results in task order.
     */
    private static <T> List<T> runTogether(final List<Callable<T>> tasks) throws Exception
    {
        final ExecutorService pool = Executors.newFixedThreadPool(Math.min(THREADS, tasks.size()));
        final CountDownLatch start = new CountDownLatch(1);
        try
        {
            final List<Future<T>> futures = new ArrayList<>();
            for (final Callable<T> task : tasks)
            {
                futures.add(pool.submit(() ->
                {
                    start.await();
                    return task.call();
                }));
            }
            start.countDown();
            final List<T> results = new ArrayList<>();
            for (final Future<T> f : futures)
            {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            return results;
        }
        finally
        {
            pool.shutdownNow();
        }
    }
}
