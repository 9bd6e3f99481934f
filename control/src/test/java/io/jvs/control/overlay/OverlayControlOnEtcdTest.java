package io.jvs.control.overlay;

import io.jvs.control.testing.EtcdServer;
import io.jvs.control.testing.TempDirs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link ClusterRaces} against a real etcd (plain http on loopback) through two {@link EtcdKv} clients, one per
 * "host", as the daemons of a cluster use it: the in-memory store of {@link OverlayControlTest} serialises every
 * transaction under one lock, so only etcd shows that the compares jvs sends are the ones that protect it.
 * One etcd for the class; the store is emptied after each test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OverlayControlOnEtcdTest
{
    private final String run = "je" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final List<AutoCloseable> open = new ArrayList<>();
    private Path dir;
    private EtcdServer etcd;

    @BeforeAll
    void startEtcd() throws Exception
    {
        dir = Files.createTempDirectory(run);
        etcd = EtcdServer.start(run, dir, null);
    }

    @AfterEach
    void closeClientsAndEmptyTheStore() throws Exception
    {
        for (int i = open.size() - 1; i >= 0; i--)
        {
            open.get(i).close();
        }
        open.clear();
        try (EtcdKv kv = EtcdKv.connect(etcd.endpoint()))
        {
            final List<ClusterKv.Op> deletes = new ArrayList<>();
            for (final String prefix : List.of(ClusterKeys.ROOT, "/" + run))
            {
                kv.range(prefix).entries().forEach(e -> deletes.add(new ClusterKv.Delete(e.key())));
            }
            kv.txn(List.of(), deletes);
        }
    }

    @AfterAll
    void stopEtcd() throws Exception
    {
        if (etcd != null)
        {
            etcd.close();
        }
        TempDirs.deleteTree(dir);
    }

    @Test
    void compareAndSwapLosesNoUpdateAndRefusesConflicts() throws Exception
    {
        final EtcdKv first = client();
        final EtcdKv second = client();
        ClusterRaces.compareAndSwapLosesNoUpdate(List.of(first, second), "/" + run + "/counter", 10);
        ClusterRaces.conflictingWritesAreRefused(first, second, "/" + run + "/key");
    }

    @Test
    void addressesAreUniqueAcrossHostsWhenAllocatedConcurrently() throws Exception
    {
        final EtcdKv kvA = client();
        final OverlayControl a = host(kvA, "192.0.2.1");
        final OverlayControl b = host(client(), "192.0.2.2");
        final OverlayNetwork net = a.define(new OverlayControl.Definition(run, "10.40.0.0/26", null, null, false,
            false), String.format("%064x", 1), List.of());
        ClusterRaces.addressesAreUniqueUnderConcurrentAllocation(a, b, net, kvA);
    }

    @Test
    void concurrentDefinesGetDistinctVnisAndOneNameWinsOnce() throws Exception
    {
        ClusterRaces.concurrentDefinesGetDistinctVnisAndOneNameWinsOnce(host(client(), "192.0.2.1"),
            host(client(), "192.0.2.2"), run);
    }

    private EtcdKv client()
    {
        final EtcdKv kv = EtcdKv.connect(etcd.endpoint());
        open.add(kv);
        return kv;
    }

    private OverlayControl host(final EtcdKv kv, final String address)
    {
        final OverlayControl control = OverlayControl.start(kv, new OverlayTunnels(null, null),
            new OverlayControl.Settings(address, List.of(), 10));
        open.add(control);
        return control;
    }
}
