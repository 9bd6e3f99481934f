package io.jvs.control.overlay;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Txn;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import io.jvs.control.common.JvsException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@link ClusterKv} on etcd v3 through jetcd (gRPC). Every call is bounded by {@link #CALL_TIMEOUT}; a watch that
 * fails (etcd restarted, connection lost) is re-established after {@link #REWATCH_DELAY} and reports a change, so
 * the listener re-reads.
 */
public final class EtcdKv implements ClusterKv
{
    public static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
    /**
     * Bound of the first call: a cold JVM spends seconds loading and compiling gRPC, netty and TLS before it
     * (5-7 s measured for the first TLS call on a loaded 2-core machine, 0.4 s for the next).
     */
    public static final Duration FIRST_CALL_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration REWATCH_DELAY = Duration.ofSeconds(1);
    private static final String LEASE_NOT_FOUND = "requested lease not found";

    private final Client client;
    private final String endpoints;
    private final ScheduledExecutorService rewatch = Executors.newSingleThreadScheduledExecutor(r ->
    {
        final Thread t = new Thread(r, "jvs-etcd-rewatch");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    private EtcdKv(final Client client, final String endpoints)
    {
        this.client = client;
        this.endpoints = endpoints;
    }

    /** @param endpoints comma-separated client URLs, e.g. {@code http://192.0.2.1:2379,http://192.0.2.2:2379}. */
    public static EtcdKv connect(final String endpoints)
    {
        return connect(endpoints, EtcdTls.NONE);
    }

    /**
     * @param endpoints comma-separated client URLs, all {@code http://} or all {@code https://}.
     * @param tls       for https: the CA to trust (default: the JVM's) and the client certificate, if any.
     */
    public static EtcdKv connect(final String endpoints, final EtcdTls tls)
    {
        final String[] urls = endpoints.split(",");
        final boolean secure = urls[0].startsWith("https://");
        for (final String url : urls)
        {
            if (!url.startsWith(secure ? "https://" : "http://"))
            {
                throw JvsException.invalid("etcd endpoint " + url + " must be http://HOST:PORT or https://HOST:PORT, " +
                    "all endpoints the same");
            }
        }
        if (tls.configured() && !secure)
        {
            throw JvsException.invalid("--etcd-cacert/--etcd-cert need https:// etcd endpoints, not " + endpoints);
        }
        final io.etcd.jetcd.ClientBuilder builder = Client.builder()
            .endpoints(urls)
            .connectTimeout(CALL_TIMEOUT)
            .retryMaxDuration(FIRST_CALL_TIMEOUT);
        if (secure)
        {
            try
            {
                builder.sslContext(ssl ->
                {
                    if (tls.caCert() != null)
                    {
                        ssl.trustManager(tls.caCert().toFile());
                    }
                    if (tls.cert() != null)
                    {
                        ssl.keyManager(tls.cert().toFile(), tls.key().toFile());
                    }
                });
            }
            catch (final javax.net.ssl.SSLException | IllegalArgumentException ex)
            {
                throw new JvsException(JvsException.Kind.INVALID, "etcd TLS files (" + tls + "): " + ex.getMessage(),
                    ex);
            }
        }
        // A TLS mistake fails here in a second, with its reason, rather than as a gRPC timeout.
        for (final String url : urls)
        {
            final java.net.URI uri = java.net.URI.create(url);
            final String why = secure ? EtcdTlsProbe.diagnose(uri, tls) : EtcdTlsProbe.servesTls(uri) ?
                url + " serves TLS: use https:// endpoints and --etcd-cacert" : null;
            if (why != null)
            {
                throw JvsException.invalid("cannot reach etcd at " + endpoints + ": " + why);
            }
        }
        final Client client = builder.build();
        final EtcdKv kv = new EtcdKv(client, endpoints);
        try
        {
            // Fail at start, not at the first network create.
            kv.await(client.getKVClient().get(bytes("/jvs/v1/ping")), "range /jvs/v1/ping", FIRST_CALL_TIMEOUT);
        }
        catch (final RuntimeException ex)
        {
            kv.close();
            throw new JvsException(JvsException.Kind.INVALID, "cannot reach etcd at " + endpoints + ": " +
                ex.getMessage(), ex);
        }
        return kv;
    }

    @Override
    public Snapshot range(final String prefix)
    {
        final GetResponse response = await(client.getKVClient().get(bytes(prefix),
            GetOption.builder().isPrefix(true).build()), "range " + prefix);
        final List<Entry> entries = new ArrayList<>(response.getKvs().size());
        for (final KeyValue kv : response.getKvs())
        {
            entries.add(new Entry(kv.getKey().toString(StandardCharsets.UTF_8),
                kv.getValue().toString(StandardCharsets.UTF_8), kv.getModRevision()));
        }
        return new Snapshot(entries, response.getHeader().getRevision());
    }

    @Override
    public boolean txn(final List<Cmp> compares, final List<Op> ops)
    {
        final Txn txn = client.getKVClient().txn();
        final io.etcd.jetcd.op.Cmp[] cmps = new io.etcd.jetcd.op.Cmp[compares.size()];
        for (int i = 0; i < cmps.length; i++)
        {
            final Cmp c = compares.get(i);
            cmps[i] = new io.etcd.jetcd.op.Cmp(bytes(c.key()), io.etcd.jetcd.op.Cmp.Op.EQUAL,
                CmpTarget.modRevision(c.modRevision()));
        }
        final io.etcd.jetcd.op.Op[] then = new io.etcd.jetcd.op.Op[ops.size()];
        for (int i = 0; i < then.length; i++)
        {
            final Op op = ops.get(i);
            if (op instanceof Put put)
            {
                then[i] = io.etcd.jetcd.op.Op.put(bytes(put.key()), bytes(put.value()),
                    put.lease() == NO_LEASE ? PutOption.DEFAULT : PutOption.builder().withLeaseId(put.lease()).build());
            }
            else
            {
                then[i] = io.etcd.jetcd.op.Op.delete(bytes(((Delete)op).key()),
                    io.etcd.jetcd.options.DeleteOption.DEFAULT);
            }
        }
        return await(txn.If(cmps).Then(then).commit(), "txn").isSucceeded();
    }

    @Override
    public long grantLease(final long ttlSeconds)
    {
        return await(client.getLeaseClient().grant(ttlSeconds), "lease grant").getID();
    }

    @Override
    public boolean keepAlive(final long lease)
    {
        try
        {
            return await(client.getLeaseClient().keepAliveOnce(lease), "lease keep-alive").getTTL() > 0;
        }
        catch (final JvsException ex)
        {
            if (String.valueOf(ex.getMessage()).contains(LEASE_NOT_FOUND))
            {
                return false;
            }
            throw ex;
        }
    }

    @Override
    public void revoke(final long lease)
    {
        try
        {
            await(client.getLeaseClient().revoke(lease), "lease revoke");
        }
        catch (final JvsException ex)
        {
            if (!String.valueOf(ex.getMessage()).contains(LEASE_NOT_FOUND))
            {
                throw ex;
            }
        }
    }

    @Override
    public AutoCloseable watch(final String prefix, final Runnable onChange)
    {
        final WatchHandle handle = new WatchHandle(prefix, onChange);
        handle.start();
        return handle;
    }

    @Override
    public String describe()
    {
        return "etcd " + endpoints;
    }

    @Override
    public void close()
    {
        closed = true;
        rewatch.shutdownNow();
        client.close();
    }

    /** One prefix watch that re-establishes itself after errors until closed. */
    private final class WatchHandle implements AutoCloseable, Watch.Listener
    {
        private final String prefix;
        private final Runnable onChange;
        private volatile Watch.Watcher watcher;
        private volatile boolean stopped;

        WatchHandle(final String prefix, final Runnable onChange)
        {
            this.prefix = prefix;
            this.onChange = onChange;
        }

        void start()
        {
            if (stopped || closed)
            {
                return;
            }
            watcher = client.getWatchClient().watch(bytes(prefix), WatchOption.builder().isPrefix(true).build(), this);
        }

        @Override
        public void onNext(final WatchResponse response)
        {
            onChange.run();
        }

        @Override
        public void onError(final Throwable error)
        {
            restart();
        }

        @Override
        public void onCompleted()
        {
            restart();
        }

        private void restart()
        {
            if (stopped || closed)
            {
                return;
            }
            final Watch.Watcher old = watcher;
            rewatch.schedule(() ->
            {
                if (old != null)
                {
                    old.close();
                }
                start();
                onChange.run();
            }, REWATCH_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void close()
        {
            stopped = true;
            final Watch.Watcher w = watcher;
            if (w != null)
            {
                w.close();
            }
        }
    }

    private static ByteSequence bytes(final String s)
    {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private <T> T await(final CompletableFuture<T> future, final String what)
    {
        return await(future, what, CALL_TIMEOUT);
    }

    private <T> T await(final CompletableFuture<T> future, final String what, final Duration timeout)
    {
        try
        {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new JvsException(JvsException.Kind.INTERNAL, "interrupted during etcd " + what, ex);
        }
        catch (final TimeoutException ex)
        {
            future.cancel(true);
            throw new JvsException(JvsException.Kind.INTERNAL, "etcd " + what + " at " + endpoints + " timed out after " +
                timeout.toSeconds() + " s", ex);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause() == null ? ex : ex.getCause();
            throw new JvsException(JvsException.Kind.INTERNAL, "etcd " + what + " at " + endpoints + " failed: " +
                cause.getMessage(), cause);
        }
    }
}
