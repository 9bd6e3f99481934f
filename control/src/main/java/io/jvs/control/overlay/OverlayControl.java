package io.jvs.control.overlay;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.jvs.control.common.Failures;
import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipv4;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * The overlay's control plane on one host, over a {@link ClusterKv} (etcd for several hosts, in memory for one):
 * <ul>
 * <li>network definitions: create/remove compare the catalog's revision, so names, VNIs and subnets stay unique
 *     however many hosts create networks at once;</li>
 * <li>addresses: an endpoint key per address, created only if absent, under this host's lease;</li>
 * <li>membership: this host's underlay address under its lease, renewed every TTL/3 by keep-alive, so a host
 *     that dies drops out of every peer list within the TTL; a lost lease (etcd outage longer than the TTL) is
 *     replaced and this host's keys are written again;</li>
 * <li>reconciliation: on every change under {@link ClusterKeys#ROOT} (watch) and every {@link #RESYNC_MILLIS} the
 *     whole state is read again, peers and each network's flood list (hosts with an endpoint on it) go to
 *     {@link OverlayTunnels#setPeers} and the state to the listener
 *     (the network service installs networks and updates the remote endpoints' names).</li>
 * </ul>
 * One thread ("jvs-overlay") renews and reconciles; API threads call the create/allocate methods. The listener
 * is called on the overlay thread without any lock of this class held.
 */
public final class OverlayControl implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(OverlayControl.class);

    public static final int FIRST_VNI = 4096;
    public static final int MAX_VNI = (1 << 24) - 1;
    public static final long DEFAULT_LEASE_TTL_SECONDS = 10;
    public static final long RESYNC_MILLIS = 2000;
    /** Default pool of overlay subnets (/24 each) when {@code --subnet} is not given. */
    public static final Cidr DEFAULT_POOL = Cidr.parse("10.232.0.0/16");
    /** How often a compare-and-swap transaction is retried while the cluster changes under it. */
    static final int TXN_ATTEMPTS = 16;

    /**
     * How this host takes part.
     *
     * @param keyRotationSeconds rotate each encrypted network's key when its newest key is this old (0: only on
     *                           {@code jvs overlay rotate-key}); every host checks, the store lets one win.
     */
    public record Settings(String hostAddress, List<String> staticPeers, long leaseTtlSeconds, long keyRotationSeconds)
    {
        public Settings(final String hostAddress, final List<String> staticPeers, final long leaseTtlSeconds)
        {
            this(hostAddress, staticPeers, leaseTtlSeconds, 0);
        }
    }

    /** What {@code network create -d overlay} asks for, already parsed. */
    public record Definition(String name, String subnet, String gateway, Integer vni, boolean internal,
        boolean encrypted)
    {
    }

    private final ClusterKv kv;
    private final OverlayTunnels tunnels;
    private final Settings settings;
    private final String hostId;
    private final List<Integer> staticPeers;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r ->
    {
        final Thread t = new Thread(r, "jvs-overlay");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean reconcilePending = new AtomicBoolean();
    private final OverlayAddresses addresses;
    private final OverlayDefinitions definitions;
    private volatile Consumer<ClusterState> listener = s -> { };
    private volatile ClusterState state = ClusterState.EMPTY;
    private volatile long lease;
    private volatile String lastError = "";
    /** The key switch or retirement a reconcile is already scheduled for (overlay thread only). */
    private long keyChangeScheduledAt;
    private AutoCloseable watch;
    private volatile boolean closed;

    private OverlayControl(final ClusterKv kv, final OverlayTunnels tunnels, final Settings settings)
    {
        this.kv = kv;
        this.tunnels = tunnels;
        this.settings = settings;
        this.hostId = settings.hostAddress() != null ? settings.hostAddress() : "local:" + hostname();
        final List<Integer> peers = new ArrayList<>();
        for (final String p : settings.staticPeers())
        {
            final int ip = Ipv4.parse(p);
            if (p.equals(settings.hostAddress()))
            {
                continue; // a shared --peers list may name this host too
            }
            peers.add(ip);
        }
        this.staticPeers = List.copyOf(peers);
        this.addresses = new OverlayAddresses(kv, hostId, () -> lease, this::read, this::requestReconcile);
        this.definitions = new OverlayDefinitions(kv, hostId, tunnels, this::read, this::requestReconcile);
    }

    /**
     * Joins: grants the lease, revokes a previous incarnation's lease (its endpoints died with it), registers
     * this host (if it has an underlay), reads the state once and starts renewing and watching.
     */
    public static OverlayControl start(final ClusterKv kv, final OverlayTunnels tunnels, final Settings settings)
    {
        final OverlayControl control = new OverlayControl(kv, tunnels, settings);
        control.join();
        return control;
    }

    private void join()
    {
        lease = kv.grantLease(settings.leaseTtlSeconds());
        if (settings.hostAddress() != null)
        {
            takeOverPredecessor();
        }
        else
        {
            registerHost();
        }
        reconcile();
        watch = kv.watch(ClusterKeys.ROOT, this::requestReconcile);
        final long renewMillis = Math.max(250, settings.leaseTtlSeconds() * 1000 / 3);
        thread.scheduleWithFixedDelay(this::renew, renewMillis, renewMillis, TimeUnit.MILLISECONDS);
        thread.scheduleWithFixedDelay(this::requestReconcile, RESYNC_MILLIS, RESYNC_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * A restarted daemon's predecessor may still hold a lease (SIGKILL leaves it to expire). Its endpoint keys move
     * to the new lease and the membership is written under it in one transaction, then the old lease is revoked:
     * the other hosts never see those addresses vanish, and nobody can take one meanwhile. The keys stay
     * {@linkplain #inherited() inherited} until the restore {@linkplain #reclaim claims} them or
     * {@linkplain #releaseUnclaimed releases} the rest.
     */
    private void takeOverPredecessor()
    {
        final String hostKey = ClusterKeys.host(settings.hostAddress());
        for (int attempt = 0; attempt < TXN_ATTEMPTS; attempt++)
        {
            final ClusterKv.Snapshot snapshot = kv.range(ClusterKeys.ROOT);
            final List<ClusterKv.Cmp> compares = new ArrayList<>();
            final List<ClusterKv.Op> ops = new ArrayList<>();
            final Map<String, ClusterKv.Entry> mine = new LinkedHashMap<>();
            long oldLease = ClusterKv.NO_LEASE;
            for (final ClusterKv.Entry e : snapshot.entries())
            {
                if (e.key().equals(hostKey))
                {
                    oldLease = leaseOf(e);
                }
                else if (e.key().startsWith(ClusterKeys.ENDPOINTS) && hostId.equals(OverlayAddresses.endpointHost(e)))
                {
                    compares.add(new ClusterKv.Cmp(e.key(), e.modRevision()));
                    ops.add(new ClusterKv.Put(e.key(), e.value(), lease));
                    mine.put(e.key(), e);
                }
            }
            ops.add(new ClusterKv.Put(hostKey, hostRecord(), lease));
            if (kv.txn(compares, ops))
            {
                final Map<String, String> values = new LinkedHashMap<>();
                mine.forEach((key, e) -> values.put(key, e.value()));
                addresses.inherit(values);
                if (oldLease != ClusterKv.NO_LEASE && oldLease != lease)
                {
                    kv.revoke(oldLease); // only its membership key was left on it, and that is rewritten
                }
                return;
            }
        }
        throw JvsException.conflict("overlay: could not take over this host's keys in " + kv.describe() +
            ": they kept changing (" + TXN_ATTEMPTS + " attempts)");
    }

    private static long leaseOf(final ClusterKv.Entry hostEntry)
    {
        try
        {
            return ClusterState.JSON.readValue(hostEntry.value(), HostRecord.class).lease();
        }
        catch (final JsonProcessingException ex)
        {
            return ClusterKv.NO_LEASE; // a broken record: it is overwritten
        }
    }

    /** Receives every new state (on the overlay thread); called once at once with the current state. */
    public void setListener(final Consumer<ClusterState> listener)
    {
        this.listener = listener;
        requestReconcile();
    }

    public ClusterState state()
    {
        return state;
    }

    public OverlayTunnels tunnels()
    {
        return tunnels;
    }

    /** This host's name in endpoint records: its underlay address, or "local:HOSTNAME" without an underlay. */
    public String hostId()
    {
        return hostId;
    }

    public String storeDescription()
    {
        return kv.describe();
    }

    public String lastError()
    {
        return lastError;
    }

    public long leaseTtlSeconds()
    {
        return settings.leaseTtlSeconds();
    }

    /** The VTEPs this host sends to: every other registered host plus static peers. */
    public List<Integer> peersOf(final ClusterState s)
    {
        final Set<Integer> peers = new HashSet<>(staticPeers);
        for (final String address : s.hosts().keySet())
        {
            if (!address.equals(settings.hostAddress()))
            {
                peers.add(Ipv4.parse(address));
            }
        }
        final List<Integer> sorted = new ArrayList<>(peers);
        sorted.sort(Integer::compareUnsigned);
        return sorted;
    }

    /** Static peers that are not registered in the store: nothing says which networks they have, so they get every flood. */
    private List<Integer> unknownStaticPeers(final ClusterState s)
    {
        return staticPeers.stream().filter(ip -> !s.hosts().containsKey(Ipv4.format(ip))).toList();
    }

    /**
     * Per VNI, the other hosts with at least one endpoint on the network (from the endpoint records, which live
     * under their hosts' leases): the VTEPs that network's broadcast and unknown unicast are replicated to.
     */
    public Map<Integer, Set<Integer>> membersOf(final ClusterState s)
    {
        final String self = settings.hostAddress();
        final Map<Integer, Set<Integer>> byVni = new HashMap<>();
        for (final OverlayNetwork n : s.networks().values())
        {
            final Set<Integer> members = new HashSet<>();
            for (final EndpointRecord e : s.endpoints(n.id()))
            {
                if (e.host() != null && !e.host().equals(self) && !e.host().startsWith("local:"))
                {
                    try
                    {
                        members.add(Ipv4.parse(e.host()));
                    }
                    catch (final RuntimeException ignored)
                    {
                        // A record another host wrote badly: that host is not flooded for this network.
                    }
                }
            }
            byVni.put(n.vni(), members);
        }
        return byVni;
    }

    // ------------------------------------------------------------------------------------------------ networks

    /** {@link OverlayDefinitions#define}: a new overlay network in the cluster. */
    public OverlayNetwork define(final Definition def, final String id, final Collection<Cidr> localTaken)
    {
        return definitions.define(def, id, localTaken);
    }

    /** {@link OverlayDefinitions#attachDocker}: this host's Docker network mapped to the overlay network. */
    public OverlayNetwork attachDocker(final Definition def, final String id, final Collection<Cidr> localTaken,
        final String dockerNetworkId)
    {
        return definitions.attachDocker(def, id, localTaken, dockerNetworkId);
    }

    /** {@link OverlayDefinitions#detachDocker}. @return whether the network may go now. */
    public boolean detachDocker(final String networkId)
    {
        return definitions.detachDocker(networkId);
    }

    /** {@link OverlayDefinitions#undefine}: refused while any host has endpoints on it. */
    public void undefine(final String networkId)
    {
        definitions.undefine(networkId);
    }

    /** {@link OverlayDefinitions#rotateKey}. */
    public NetworkKeys rotateKey(final String networkId, final long ifOlderThanMillis)
    {
        return definitions.rotateKey(networkId, ifOlderThanMillis);
    }

    // ----------------------------------------------------------------------------------------------- addresses

    /**
     * Allocates the lowest address of the network that no host uses (not the gateway), records it with the
     * sandbox's name, MAC and this host's VTEP under this host's lease. @return the address.
     */
    public int allocate(final String networkId, final String sandbox, final IntFunction<String> mac)
    {
        return addresses.allocate(networkId, sandbox, mac, 0, a -> false);
    }

    /** {@link OverlayAddresses#allocate}: for Docker's IPAM, a requested address and addresses to avoid. */
    public int allocate(final String networkId, final String sandbox, final IntFunction<String> mac,
        final int requested, final IntPredicate avoid)
    {
        return addresses.allocate(networkId, sandbox, mac, requested, avoid);
    }

    /** Frees an address this host allocated. */
    public void release(final String networkId, final int address)
    {
        addresses.release(networkId, address);
    }

    /** {@link OverlayAddresses#releaseIfHeld}. */
    public void releaseIfHeld(final String networkId, final int address, final String sandbox)
    {
        addresses.releaseIfHeld(networkId, address, sandbox);
    }

    /** Endpoint keys of a previous daemon of this host not claimed back yet (key -> record), for the restore. */
    public Map<String, String> inherited()
    {
        return addresses.inherited();
    }

    /** {@link OverlayAddresses#reclaim}. @return false if another host holds the address now. */
    public boolean reclaim(final String networkId, final String sandbox, final int address, final String mac)
    {
        return addresses.reclaim(networkId, sandbox, address, mac);
    }

    /** Deletes the inherited keys no endpoint claimed back (their sandboxes or veths did not survive the restart). */
    public List<String> releaseUnclaimed()
    {
        return addresses.releaseUnclaimed();
    }

    // --------------------------------------------------------------------------------------------- background

    private ClusterState read()
    {
        return ClusterState.parse(kv.range(ClusterKeys.ROOT));
    }

    private void registerHost()
    {
        if (settings.hostAddress() != null)
        {
            kv.txn(List.of(), List.of(new ClusterKv.Put(ClusterKeys.host(settings.hostAddress()), hostRecord(),
                lease)));
        }
    }

    private String hostRecord()
    {
        return json(new HostRecord(settings.hostAddress(), hostname(), lease, Instant.now().toString()));
    }

    private void requestReconcile()
    {
        if (!closed && reconcilePending.compareAndSet(false, true))
        {
            try
            {
                thread.execute(this::reconcile);
            }
            catch (final java.util.concurrent.RejectedExecutionException ex)
            {
                reconcilePending.set(false); // closing
            }
        }
    }

    /** Reads everything, programs the peers and hands the state to the listener. Runs on the overlay thread. */
    private void reconcile()
    {
        reconcilePending.set(false);
        if (closed)
        {
            return;
        }
        try
        {
            final ClusterState s = read();
            state = s;
            tunnels.setPeers(peersOf(s), unknownStaticPeers(s), membersOf(s));
            listener.accept(s);
            tunnels.setRemoteEndpoints(remoteEndpointsOf(s));
            programKeys(s);
            lastError = "";
        }
        catch (final RuntimeException ex)
        {
            report("reconcile", ex);
        }
    }

    /**
     * Each encrypted network's keys as of now go to its tunnel port; a reconcile is scheduled for the next switch
     * or retirement (so it happens on time, not at the next 2 s resync); periodic rotation if configured.
     */
    private void programKeys(final ClusterState s)
    {
        final long now = System.currentTimeMillis();
        final Map<Integer, NetworkKeys.Installed> byVni = new HashMap<>();
        long next = Long.MAX_VALUE;
        for (final OverlayNetwork n : s.networks().values())
        {
            if (!n.encrypted())
            {
                continue;
            }
            final NetworkKeys keys = s.keys(n.id()).orElse(null);
            if (keys == null)
            {
                continue; // no key: the port sends nothing (no_key) and opens nothing
            }
            byVni.put(n.vni(), keys.at(now));
            next = Math.min(next, keys.nextChangeAfter(now));
            if (settings.keyRotationSeconds() > 0 && now - keys.newestActiveFrom() >=
                settings.keyRotationSeconds() * 1000)
            {
                thread.execute(() -> rotateQuietly(n.id()));
            }
        }
        tunnels.setKeys(byVni);
        if (next != Long.MAX_VALUE && next != keyChangeScheduledAt && !closed)
        {
            keyChangeScheduledAt = next; // once per instant, not once per reconcile
            thread.schedule(this::requestReconcile, next - now + 1, TimeUnit.MILLISECONDS);
        }
    }

    private void rotateQuietly(final String networkId)
    {
        try
        {
            rotateKey(networkId, settings.keyRotationSeconds() * 1000);
        }
        catch (final RuntimeException ex)
        {
            report("key rotation", ex);
        }
    }

    /** Per VNI, the endpoints that live on other hosts (static MAC -> VTEP entries and local ARP answers). */
    private Map<Integer, List<EndpointRecord>> remoteEndpointsOf(final ClusterState s)
    {
        final String self = tunnels.localAddress();
        final Map<Integer, List<EndpointRecord>> byVni = new HashMap<>();
        for (final OverlayNetwork n : s.networks().values())
        {
            final List<EndpointRecord> remote = new ArrayList<>();
            for (final EndpointRecord e : s.endpoints(n.id()))
            {
                if (e.host() != null && !e.host().equals(self))
                {
                    remote.add(e);
                }
            }
            byVni.put(n.vni(), remote);
        }
        return byVni;
    }

    private void renew()
    {
        if (closed)
        {
            return;
        }
        try
        {
            if (!kv.keepAlive(lease))
            {
                LOG.warn("overlay lease {} was lost (expired in {}): joining again", Long.toHexString(lease),
                    kv.describe());
                lease = kv.grantLease(settings.leaseTtlSeconds());
                registerHost();
                for (final Map.Entry<String, String> e : addresses.own().entrySet())
                {
                    if (!kv.txn(List.of(ClusterKv.Cmp.absent(e.getKey())),
                        List.of(new ClusterKv.Put(e.getKey(), e.getValue(), lease))))
                    {
                        LOG.warn("overlay address conflict: {} was taken by another host while this host's lease " +
                            "was lost", e.getKey());
                    }
                }
                requestReconcile();
            }
        }
        catch (final RuntimeException ex)
        {
            report("lease keep-alive", ex);
        }
    }

    /** Background failures are reported once per distinct message (etcd down would otherwise log every second). */
    private void report(final String what, final RuntimeException ex)
    {
        final String message = "overlay " + what + " failed: " + ex.getMessage();
        if (!message.equals(lastError))
        {
            LOG.warn(message, ex); // with its cause: etcd's own error under the JvsException
        }
        lastError = message;
    }

    /** Stops renewing and watching without revoking the lease, as a SIGKILL would (tests of the restart). */
    void haltWithoutLeaving() throws Exception
    {
        closed = true;
        thread.shutdownNow();
        thread.awaitTermination(5, TimeUnit.SECONDS);
        if (watch != null)
        {
            watch.close();
        }
    }

    /** Leaves: revokes the lease, so the other hosts drop this one at once (not after the TTL). */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        thread.shutdownNow();
        try
        {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        RuntimeException failure = null;
        try
        {
            if (watch != null)
            {
                watch.close();
            }
        }
        catch (final Exception ex)
        {
            failure = new JvsException(JvsException.Kind.INTERNAL, "closing the overlay watch: " + ex, ex);
        }
        try
        {
            kv.revoke(lease);
        }
        catch (final RuntimeException ex)
        {
            failure = Failures.collect(failure, ex);
        }
        if (failure != null)
        {
            throw failure;
        }
    }

    static String json(final Object value)
    {
        try
        {
            return ClusterState.JSON.writeValueAsString(value);
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static String hostname()
    {
        try
        {
            return InetAddress.getLocalHost().getHostName();
        }
        catch (final UnknownHostException ex)
        {
            return "unknown";
        }
    }
}
