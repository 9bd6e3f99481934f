package io.jvs.control.overlay;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.jvs.control.common.Failures;
import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipam;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.ipam.SubnetPool;

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
 *     (the network service installs networks, rewrites hosts files).</li>
 * </ul>
 * One thread ("jvs-overlay") renews and reconciles; API threads call the create/allocate methods. The listener
 * is called on the overlay thread without any lock of this class held.
 */
public final class OverlayControl implements AutoCloseable
{
    public static final int FIRST_VNI = 4096;
    public static final int MAX_VNI = (1 << 24) - 1;
    public static final long DEFAULT_LEASE_TTL_SECONDS = 10;
    public static final long RESYNC_MILLIS = 2000;
    /** Default pool of overlay subnets (/24 each) when {@code --subnet} is not given. */
    public static final Cidr DEFAULT_POOL = Cidr.parse("10.232.0.0/16");
    private static final int TXN_ATTEMPTS = 16;

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
    /** Endpoint keys this host wrote, with their values, to write again after a lost lease. */
    private final Map<String, String> ownEndpoints = new LinkedHashMap<>();
    /** Endpoint keys a previous daemon of this host held, moved to this lease at join, not yet claimed back. */
    private final Map<String, String> inherited = new LinkedHashMap<>();
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
                else if (e.key().startsWith(ClusterKeys.ENDPOINTS) && hostId.equals(endpointHost(e)))
                {
                    compares.add(new ClusterKv.Cmp(e.key(), e.modRevision()));
                    ops.add(new ClusterKv.Put(e.key(), e.value(), lease));
                    mine.put(e.key(), e);
                }
            }
            ops.add(new ClusterKv.Put(hostKey, hostRecord(), lease));
            if (kv.txn(compares, ops))
            {
                synchronized (ownEndpoints)
                {
                    inherited.clear();
                    mine.forEach((key, e) -> inherited.put(key, e.value()));
                }
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

    private static String endpointHost(final ClusterKv.Entry endpointEntry)
    {
        try
        {
            return ClusterState.JSON.readValue(endpointEntry.value(), EndpointRecord.class).host();
        }
        catch (final JsonProcessingException ex)
        {
            return null;
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

    /**
     * Defines a network in the cluster. Checks (against a fresh read, and atomically through the catalog revision):
     * the name is free, the VNI is free (or the lowest free from {@link #FIRST_VNI}), the subnet overlaps no overlay
     * network and none of {@code localTaken} (this host's networks and routes).
     */
    public OverlayNetwork define(final Definition def, final String id, final Collection<Cidr> localTaken)
    {
        return define(def, id, localTaken, List.of());
    }

    /**
     * A Docker network on this host ({@code docker network create -d jvs -o type=overlay -o name=NAME}) mapped to
     * the cluster's overlay network NAME: joined if it exists and agrees with {@code def} (same subnet and gateway,
     * and VNI, encryption and internal if given), else defined, marked as created through Docker. Either way this
     * host's attachment ({@link ClusterKeys#dockerAttachment}) is written in the same transaction.
     */
    public OverlayNetwork attachDocker(final Definition def, final String id, final Collection<Cidr> localTaken,
        final String dockerNetworkId)
    {
        for (int attempt = 0; attempt < TXN_ATTEMPTS; attempt++)
        {
            final ClusterState s = read();
            final OverlayNetwork existing = s.networkByName(def.name()).orElse(null);
            if (existing == null)
            {
                return define(def, id, localTaken, List.of(
                    new ClusterKv.Put(ClusterKeys.dockerOrigin(id), "docker", ClusterKv.NO_LEASE),
                    new ClusterKv.Put(ClusterKeys.dockerAttachment(id, hostId), dockerNetworkId, ClusterKv.NO_LEASE)));
            }
            checkCompatible(existing, def);
            if (kv.txn(List.of(new ClusterKv.Cmp(ClusterKeys.network(existing.id()), s.networkRevision(existing.id()))),
                List.of(new ClusterKv.Put(ClusterKeys.dockerAttachment(existing.id(), hostId), dockerNetworkId,
                    ClusterKv.NO_LEASE))))
            {
                requestReconcile();
                return existing;
            }
        }
        throw JvsException.conflict("network " + def.name() + " not joined: the cluster kept changing");
    }

    /** Refuses joining {@code existing} with options that differ from its definition, naming each difference. */
    private static void checkCompatible(final OverlayNetwork existing, final Definition def)
    {
        final List<String> differences = new ArrayList<>();
        if (def.subnet() != null && !Cidr.parse(def.subnet()).equals(Cidr.parse(existing.subnet())))
        {
            differences.add("subnet " + def.subnet() + " (the cluster's is " + existing.subnet() + ")");
        }
        if (def.gateway() != null && !def.gateway().isEmpty() &&
            Ipv4.parse(def.gateway()) != Ipv4.parse(existing.gateway()))
        {
            differences.add("gateway " + def.gateway() + " (the cluster's is " + existing.gateway() + ")");
        }
        if (def.vni() != null && def.vni() != existing.vni())
        {
            differences.add("vni " + def.vni() + " (the cluster's is " + existing.vni() + ")");
        }
        if (def.encrypted() && !existing.encrypted())
        {
            differences.add("encrypted (the cluster's network is not)");
        }
        if (def.internal() != existing.internal())
        {
            differences.add((def.internal() ? "" : "not ") + "internal (the cluster's network is " +
                (existing.internal() ? "" : "not ") + "internal)");
        }
        if (!differences.isEmpty())
        {
            throw JvsException.conflict("overlay network " + existing.name() + " exists in the cluster with other " +
                "options: " + String.join(", ", differences) + "; create it here with --subnet " + existing.subnet() +
                " (and no conflicting -o vni, -o encrypted, --gateway, --internal)");
        }
    }

    /**
     * Removes this host's Docker attachment. @return true when the network should go now: it was created through
     * Docker, no host maps a Docker network to it any more and no host has an endpoint on it.
     */
    public boolean detachDocker(final String networkId)
    {
        kv.txn(List.of(), List.of(new ClusterKv.Delete(ClusterKeys.dockerAttachment(networkId, hostId))));
        requestReconcile();
        final ClusterState s = read();
        return s.network(networkId).isPresent() && s.createdThroughDocker(networkId) &&
            s.dockerAttachments(networkId).isEmpty() && s.endpoints(networkId).isEmpty();
    }

    private OverlayNetwork define(final Definition def, final String id, final Collection<Cidr> localTaken,
        final List<ClusterKv.Op> extraOps)
    {
        if (def.encrypted() && tunnels.hasUnderlay() && kv instanceof LocalKv)
        {
            throw JvsException.invalid("-o encrypted needs --etcd: the network's keys are shared and rotated " +
                "through etcd, and with static --peers only there is no way to agree on them");
        }
        if (def.vni() != null && (def.vni() < 1 || def.vni() > MAX_VNI))
        {
            throw JvsException.invalid("vni " + def.vni() + " is out of range 1.." + MAX_VNI);
        }
        for (int attempt = 0; attempt < TXN_ATTEMPTS; attempt++)
        {
            final ClusterState s = read();
            if (s.networkByName(def.name()).isPresent())
            {
                throw JvsException.conflict("network with name " + def.name() + " already exists");
            }
            final Set<Integer> vnis = new HashSet<>();
            s.networks().values().forEach(n -> vnis.add(n.vni()));
            final int vni;
            if (def.vni() != null)
            {
                if (vnis.contains(def.vni()))
                {
                    throw JvsException.conflict("vni " + def.vni() + " is used by network " + s.networks().values()
                        .stream().filter(n -> n.vni() == def.vni()).findFirst().map(OverlayNetwork::name).orElse("?"));
                }
                vni = def.vni();
            }
            else
            {
                int v = FIRST_VNI;
                while (vnis.contains(v))
                {
                    v++;
                }
                if (v > MAX_VNI)
                {
                    throw JvsException.conflict("no free VNI");
                }
                vni = v;
            }
            final List<Cidr> taken = new ArrayList<>(localTaken);
            final Cidr subnet;
            if (def.subnet() != null && !def.subnet().isEmpty())
            {
                subnet = Cidr.parse(def.subnet());
                Ipam.checkUsable(subnet);
                for (final OverlayNetwork other : s.networks().values())
                {
                    final Cidr o = Cidr.parse(other.subnet());
                    if (o.overlaps(subnet))
                    {
                        throw JvsException.conflict("subnet " + subnet + " overlaps with network " + other.name() +
                            " (" + o + ")");
                    }
                }
                if (SubnetPool.overlapsAny(subnet, localTaken))
                {
                    throw JvsException.conflict("subnet " + subnet + " overlaps with a network or route of this host");
                }
            }
            else
            {
                if (def.gateway() != null && !def.gateway().isEmpty())
                {
                    throw JvsException.invalid("--gateway needs --subnet: the gateway must be in a subnet you choose");
                }
                s.networks().values().forEach(n -> taken.add(Cidr.parse(n.subnet())));
                subnet = new SubnetPool(DEFAULT_POOL, SubnetPool.DEFAULT_PREFIX).next(taken);
            }
            final int gateway = def.gateway() != null && !def.gateway().isEmpty() ?
                Ipv4.parse(def.gateway()) : Ipam.defaultGateway(subnet);
            Ipam.checkGateway(subnet, gateway);
            final OverlayNetwork network = new OverlayNetwork(id, def.name(), subnet.toString(), Ipv4.format(gateway),
                vni, def.internal(), def.encrypted(), Instant.now().toString(), hostId);
            final List<ClusterKv.Op> ops = new ArrayList<>(List.of(
                new ClusterKv.Put(ClusterKeys.CATALOG, id, ClusterKv.NO_LEASE),
                new ClusterKv.Put(ClusterKeys.network(id), json(network), ClusterKv.NO_LEASE)));
            if (def.encrypted())
            {
                // In the same transaction: no host ever sees the encrypted network without its key.
                ops.add(new ClusterKv.Put(ClusterKeys.keys(id), json(NetworkKeys.first(id)), ClusterKv.NO_LEASE));
            }
            ops.addAll(extraOps);
            if (kv.txn(List.of(new ClusterKv.Cmp(ClusterKeys.CATALOG, s.catalogRevision()),
                    ClusterKv.Cmp.absent(ClusterKeys.network(id))), ops))
            {
                requestReconcile();
                return network;
            }
        }
        throw JvsException.conflict("network " + def.name() + " not created: the cluster catalog kept changing (" +
            TXN_ATTEMPTS + " attempts)");
    }

    /** Removes a network from the cluster; refused while any host has an endpoint on it. */
    public void undefine(final String networkId)
    {
        for (int attempt = 0; attempt < TXN_ATTEMPTS; attempt++)
        {
            final ClusterState s = read();
            final OverlayNetwork network = s.network(networkId).orElse(null);
            if (network == null)
            {
                return; // already gone (removed from another host)
            }
            final List<EndpointRecord> endpoints = s.endpoints(networkId);
            if (!endpoints.isEmpty())
            {
                throw JvsException.conflict("error while removing network: network " + network.name() + " id " +
                    networkId.substring(0, 12) + " has active endpoints (" + String.join(", ",
                    endpoints.stream().map(e -> e.sandbox() + "@" + e.host()).toList()) + ")");
            }
            final Map<String, String> docker = s.dockerAttachments(networkId);
            if (!docker.isEmpty())
            {
                throw JvsException.conflict("error while removing network: network " + network.name() + " is used " +
                    "by Docker networks on hosts " + String.join(", ", docker.keySet()) + ": remove them there " +
                    "with `docker network rm`");
            }
            if (kv.txn(List.of(new ClusterKv.Cmp(ClusterKeys.CATALOG, s.catalogRevision()),
                    new ClusterKv.Cmp(ClusterKeys.network(networkId), s.networkRevision(networkId))),
                List.of(new ClusterKv.Put(ClusterKeys.CATALOG, networkId, ClusterKv.NO_LEASE),
                    new ClusterKv.Delete(ClusterKeys.network(networkId)),
                    new ClusterKv.Delete(ClusterKeys.keys(networkId)),
                    new ClusterKv.Delete(ClusterKeys.dockerOrigin(networkId)))))
            {
                requestReconcile();
                return;
            }
        }
        throw JvsException.conflict("network " + networkId + " not removed: the cluster catalog kept changing");
    }

    /**
     * Publishes a new key for an encrypted network: every host accepts it at once and seals with it from
     * {@link NetworkKeys#SWITCH_DELAY_MILLIS} on; the previous key is retired {@link NetworkKeys#GRACE_MILLIS} later.
     *
     * @param ifOlderThanMillis rotate only if the newest key started sealing at least this long ago (0: always).
     * @return the new key record, or null when {@code ifOlderThanMillis} said no.
     */
    public NetworkKeys rotateKey(final String networkId, final long ifOlderThanMillis)
    {
        for (int attempt = 0; attempt < TXN_ATTEMPTS; attempt++)
        {
            final ClusterState s = read();
            final OverlayNetwork network = s.network(networkId).orElseThrow(() ->
                JvsException.notFound("overlay network " + networkId + " does not exist in the cluster"));
            if (!network.encrypted())
            {
                throw JvsException.invalid("network " + network.name() + " is not encrypted (-o encrypted)");
            }
            final NetworkKeys current = s.keys(networkId).orElseGet(() -> new NetworkKeys(networkId, List.of()));
            final long now = System.currentTimeMillis();
            if (ifOlderThanMillis > 0 && now - current.newestActiveFrom() < ifOlderThanMillis)
            {
                return null;
            }
            final NetworkKeys next = current.rotate(now);
            if (kv.txn(List.of(new ClusterKv.Cmp(ClusterKeys.keys(networkId), s.keysRevision(networkId)),
                    new ClusterKv.Cmp(ClusterKeys.network(networkId), s.networkRevision(networkId))),
                List.of(new ClusterKv.Put(ClusterKeys.keys(networkId), json(next), ClusterKv.NO_LEASE))))
            {
                requestReconcile();
                return next;
            }
        }
        throw JvsException.conflict("key of network " + networkId + " not rotated: the cluster kept changing");
    }

    // ----------------------------------------------------------------------------------------------- addresses

    /**
     * Allocates the lowest address of the network that no host uses (not the gateway), records it with the
     * sandbox's name, MAC and this host's VTEP under this host's lease. @return the address.
     */
    public int allocate(final String networkId, final String sandbox, final java.util.function.IntFunction<String> mac)
    {
        return allocate(networkId, sandbox, mac, 0, a -> false);
    }

    /**
     * As {@link #allocate(String, String, java.util.function.IntFunction)}, for Docker's IPAM: {@code requested}
     * (0: the lowest free) and never an address {@code avoid} names (addresses this host's Docker still holds,
     * whose keys went with their endpoints before Docker released them).
     */
    public int allocate(final String networkId, final String sandbox, final java.util.function.IntFunction<String> mac,
        final int requested, final java.util.function.IntPredicate avoid)
    {
        for (int attempt = 0; attempt < TXN_ATTEMPTS; attempt++)
        {
            final ClusterState s = read();
            final OverlayNetwork network = s.network(networkId).orElseThrow(() ->
                JvsException.notFound("overlay network " + networkId + " no longer exists in the cluster"));
            final Cidr subnet = Cidr.parse(network.subnet());
            final Ipam ipam = new Ipam(subnet, Ipv4.parse(network.gateway()));
            for (final EndpointRecord e : s.endpoints(networkId))
            {
                final int used = Ipv4.parse(e.address());
                if (subnet.contains(used) && !ipam.isAllocated(used) && used != ipam.gateway())
                {
                    ipam.reserve(used);
                }
            }
            final int address;
            if (requested != 0)
            {
                if (!subnet.contains(requested) || requested == subnet.network() || requested == subnet.broadcast() ||
                    requested == ipam.gateway())
                {
                    throw JvsException.invalid("address " + Ipv4.format(requested) + " cannot be assigned on " +
                        "network " + network.name() + " (" + subnet + ", gateway " + network.gateway() + ")");
                }
                if (ipam.isAllocated(requested) || avoid.test(requested))
                {
                    throw JvsException.conflict("address " + Ipv4.format(requested) + " is already in use on " +
                        "network " + network.name());
                }
                address = requested;
            }
            else
            {
                for (int skip = 0; skip < subnet.size(); skip++)
                {
                    final int candidate = subnet.network() + skip;
                    if (avoid.test(candidate) && subnet.contains(candidate) && !ipam.isAllocated(candidate) &&
                        candidate != ipam.gateway() && candidate != subnet.network() && candidate != subnet.broadcast())
                    {
                        ipam.reserve(candidate);
                    }
                }
                address = ipam.allocate();
            }
            final String key = ClusterKeys.endpoint(networkId, Ipv4.format(address));
            final String value = json(new EndpointRecord(networkId, sandbox, Ipv4.format(address),
                mac.apply(address), hostId));
            // Rewriting the network key bumps its revision: a remove that read "no endpoints" before this fails.
            if (kv.txn(List.of(ClusterKv.Cmp.absent(key),
                    new ClusterKv.Cmp(ClusterKeys.network(networkId), s.networkRevision(networkId))),
                List.of(new ClusterKv.Put(key, value, lease),
                    new ClusterKv.Put(ClusterKeys.network(networkId), json(network), ClusterKv.NO_LEASE))))
            {
                synchronized (ownEndpoints)
                {
                    ownEndpoints.put(key, value);
                }
                requestReconcile();
                return address;
            }
        }
        throw JvsException.conflict("no address allocated on network " + networkId + ": the cluster kept changing");
    }

    /** Frees an address this host allocated. */
    public void release(final String networkId, final int address)
    {
        final String key = ClusterKeys.endpoint(networkId, Ipv4.format(address));
        synchronized (ownEndpoints)
        {
            ownEndpoints.remove(key);
        }
        kv.txn(List.of(), List.of(new ClusterKv.Delete(key)));
        requestReconcile();
    }

    /**
     * Frees an address only if this host still holds it for {@code sandbox} (Docker's IPAM releases addresses after
     * the endpoint went, and by then another host or sandbox may hold the address).
     */
    public void releaseIfHeld(final String networkId, final int address, final String sandbox)
    {
        final String key = ClusterKeys.endpoint(networkId, Ipv4.format(address));
        final ClusterKv.Entry held = kv.range(key).entries().stream().filter(e -> e.key().equals(key)).findFirst()
            .orElse(null);
        if (held == null)
        {
            return;
        }
        final EndpointRecord record;
        try
        {
            record = ClusterState.JSON.readValue(held.value(), EndpointRecord.class);
        }
        catch (final JsonProcessingException ex)
        {
            return;
        }
        if (hostId.equals(record.host()) && sandbox.equals(record.sandbox()) &&
            kv.txn(List.of(new ClusterKv.Cmp(key, held.modRevision())), List.of(new ClusterKv.Delete(key))))
        {
            synchronized (ownEndpoints)
            {
                ownEndpoints.remove(key);
            }
            requestReconcile();
        }
    }

    /** Endpoint keys of a previous daemon of this host not claimed back yet (key -> record), for the restore. */
    public Map<String, String> inherited()
    {
        synchronized (ownEndpoints)
        {
            return Map.copyOf(inherited);
        }
    }

    /**
     * Claims an address back for an endpoint a previous daemon of this host made (restart): the inherited key if it
     * is still there (already under this lease), else the address again if no host took it meanwhile (the old lease
     * expired before this daemon joined). The record is rewritten with {@code sandbox} and {@code mac}.
     *
     * @return false if another host holds the address now (the endpoint cannot come back with it).
     */
    public boolean reclaim(final String networkId, final String sandbox, final int address, final String mac)
    {
        final String key = ClusterKeys.endpoint(networkId, Ipv4.format(address));
        final String value = json(new EndpointRecord(networkId, sandbox, Ipv4.format(address), mac, hostId));
        for (int attempt = 0; attempt < TXN_ATTEMPTS; attempt++)
        {
            final ClusterState s = read();
            final OverlayNetwork network = s.network(networkId).orElse(null);
            if (network == null)
            {
                return false;
            }
            final ClusterKv.Snapshot current = kv.range(key);
            final ClusterKv.Entry held = current.entries().stream().filter(e -> e.key().equals(key)).findFirst()
                .orElse(null);
            if (held != null && !hostId.equals(endpointHost(held)))
            {
                return false;
            }
            // Absent, or ours: written under this lease; the network key is rewritten as allocate does.
            if (kv.txn(List.of(new ClusterKv.Cmp(key, held == null ? 0 : held.modRevision()),
                    new ClusterKv.Cmp(ClusterKeys.network(networkId), s.networkRevision(networkId))),
                List.of(new ClusterKv.Put(key, value, lease),
                    new ClusterKv.Put(ClusterKeys.network(networkId), json(network), ClusterKv.NO_LEASE))))
            {
                synchronized (ownEndpoints)
                {
                    inherited.remove(key);
                    ownEndpoints.put(key, value);
                }
                requestReconcile();
                return true;
            }
        }
        throw JvsException.conflict("address " + Ipv4.format(address) + " on network " + networkId +
            " not claimed back: the cluster kept changing");
    }

    /** Deletes the inherited keys no endpoint claimed back (their sandboxes or veths did not survive the restart). */
    public List<String> releaseUnclaimed()
    {
        final Map<String, String> left;
        synchronized (ownEndpoints)
        {
            left = new LinkedHashMap<>(inherited);
            inherited.clear();
        }
        final List<String> released = new ArrayList<>();
        for (final Map.Entry<String, String> e : left.entrySet())
        {
            final ClusterKv.Entry held = kv.range(e.getKey()).entries().stream()
                .filter(x -> x.key().equals(e.getKey())).findFirst().orElse(null);
            if (held != null && hostId.equals(endpointHost(held)) &&
                kv.txn(List.of(new ClusterKv.Cmp(e.getKey(), held.modRevision())),
                    List.of(new ClusterKv.Delete(e.getKey()))))
            {
                released.add(e.getKey());
            }
        }
        if (!released.isEmpty())
        {
            requestReconcile();
        }
        return released;
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
                System.err.println("jvs: overlay lease " + Long.toHexString(lease) + " was lost (expired in " +
                    kv.describe() + "): joining again");
                lease = kv.grantLease(settings.leaseTtlSeconds());
                registerHost();
                final Map<String, String> mine;
                synchronized (ownEndpoints)
                {
                    mine = new LinkedHashMap<>(ownEndpoints);
                }
                for (final Map.Entry<String, String> e : mine.entrySet())
                {
                    if (!kv.txn(List.of(ClusterKv.Cmp.absent(e.getKey())),
                        List.of(new ClusterKv.Put(e.getKey(), e.getValue(), lease))))
                    {
                        System.err.println("jvs: overlay address conflict: " + e.getKey() +
                            " was taken by another host while this host's lease was lost");
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
        final String message = "jvs: overlay " + what + " failed: " + ex.getMessage();
        if (!message.equals(lastError))
        {
            System.err.println(message);
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
