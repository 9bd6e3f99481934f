package io.jvs.control.overlay;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipam;
import io.jvs.control.ipam.Ipv4;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * This host's overlay addresses in the cluster's store: an endpoint key per address, created only if absent (a
 * transaction that also bumps the network key's revision, so a concurrent remove that read "no endpoints" fails),
 * under this host's lease; the keys a previous daemon of this host held until the restore claims them back.
 * Thread safe: requests come from the control path, lease renewal from the overlay thread.
 */
final class OverlayAddresses
{
    /**
     * Every address change of a network rewrites the network key (so a concurrent remove fails), so N hosts or
     * threads allocating on one network at once conflict: each round one wins and the rest retry. They retry after a
     * random pause that grows with the attempt (at most {@link #MAX_BACKOFF_MILLIS}), so a burst of connects spreads
     * out instead of colliding again; 64 attempts bound a request to ~1 s of pauses.
     */
    private static final int ADDRESS_TXN_ATTEMPTS = 64;
    private static final int MAX_BACKOFF_MILLIS = 16;

    private final ClusterKv kv;
    private final String hostId;
    private final LongSupplier lease;
    private final Supplier<ClusterState> state;
    private final Runnable changed;
    /** Endpoint keys this host wrote, with their values, to write again after a lost lease. Guards both maps. */
    private final Map<String, String> ownEndpoints = new LinkedHashMap<>();
    /** Endpoint keys a previous daemon of this host held, moved to this lease at join, not yet claimed back. */
    private final Map<String, String> inherited = new LinkedHashMap<>();

    /**
     * @param lease   this host's current lease (it changes when a lost lease is granted again).
     * @param state   reads the cluster's state now.
     * @param changed asks the overlay thread to reconcile after a change.
     */
    OverlayAddresses(final ClusterKv kv, final String hostId, final LongSupplier lease,
        final Supplier<ClusterState> state, final Runnable changed)
    {
        this.kv = kv;
        this.hostId = hostId;
        this.lease = lease;
        this.state = state;
        this.changed = changed;
    }

    /**
     * Allocates an address of the network that no host uses (not the gateway), records it with the sandbox's name,
     * MAC and this host's VTEP under this host's lease: {@code requested}, or (0) the lowest free one, and never an
     * address {@code avoid} names (addresses this host's Docker still holds, whose keys went with their endpoints
     * before Docker released them). @return the address.
     */
    int allocate(final String networkId, final String sandbox, final IntFunction<String> mac,
        final int requested, final IntPredicate avoid)
    {
        for (int attempt = 0; attempt < ADDRESS_TXN_ATTEMPTS; attempt++)
        {
            backOff(attempt);
            final ClusterState s = state.get();
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
            final String value = OverlayControl.json(new EndpointRecord(networkId, sandbox, Ipv4.format(address),
                mac.apply(address), hostId));
            // Rewriting the network key bumps its revision: a remove that read "no endpoints" before this fails.
            if (kv.txn(List.of(ClusterKv.Cmp.absent(key),
                    new ClusterKv.Cmp(ClusterKeys.network(networkId), s.networkRevision(networkId))),
                List.of(new ClusterKv.Put(key, value, lease.getAsLong()),
                    new ClusterKv.Put(ClusterKeys.network(networkId), OverlayControl.json(network), ClusterKv.NO_LEASE))))
            {
                synchronized (ownEndpoints)
                {
                    ownEndpoints.put(key, value);
                }
                changed.run();
                return address;
            }
        }
        throw JvsException.conflict("no address allocated on network " + networkId + ": the cluster kept changing");
    }

    /** Frees an address this host allocated. */
    void release(final String networkId, final int address)
    {
        final String key = ClusterKeys.endpoint(networkId, Ipv4.format(address));
        synchronized (ownEndpoints)
        {
            ownEndpoints.remove(key);
        }
        kv.txn(List.of(), List.of(new ClusterKv.Delete(key)));
        changed.run();
    }

    /**
     * Frees an address only if this host still holds it for {@code sandbox} (Docker's IPAM releases addresses after
     * the endpoint went, and by then another host or sandbox may hold the address).
     */
    void releaseIfHeld(final String networkId, final int address, final String sandbox)
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
            changed.run();
        }
    }

    /** Endpoint keys of a previous daemon of this host not claimed back yet (key -> record), for the restore. */
    Map<String, String> inherited()
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
    boolean reclaim(final String networkId, final String sandbox, final int address, final String mac)
    {
        final String key = ClusterKeys.endpoint(networkId, Ipv4.format(address));
        final String value = OverlayControl.json(new EndpointRecord(networkId, sandbox, Ipv4.format(address), mac, hostId));
        for (int attempt = 0; attempt < ADDRESS_TXN_ATTEMPTS; attempt++)
        {
            backOff(attempt);
            final ClusterState s = state.get();
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
                List.of(new ClusterKv.Put(key, value, lease.getAsLong()),
                    new ClusterKv.Put(ClusterKeys.network(networkId), OverlayControl.json(network), ClusterKv.NO_LEASE))))
            {
                synchronized (ownEndpoints)
                {
                    inherited.remove(key);
                    ownEndpoints.put(key, value);
                }
                changed.run();
                return true;
            }
        }
        throw JvsException.conflict("address " + Ipv4.format(address) + " on network " + networkId +
            " not claimed back: the cluster kept changing");
    }

    /** Deletes the inherited keys no endpoint claimed back (their sandboxes or veths did not survive the restart). */
    List<String> releaseUnclaimed()
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
            changed.run();
        }
        return released;
    }

    private static void backOff(final int attempt)
    {
        if (attempt == 0)
        {
            return;
        }
        try
        {
            Thread.sleep(ThreadLocalRandom.current().nextInt(1 + Math.min(attempt, MAX_BACKOFF_MILLIS)));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw JvsException.conflict("interrupted while the cluster kept changing");
        }
    }

    /** The keys a previous daemon of this host held, now under this host's lease (join). */
    void inherit(final Map<String, String> keys)
    {
        synchronized (ownEndpoints)
        {
            inherited.clear();
            inherited.putAll(keys);
        }
    }

    /** The endpoint keys this host wrote, with their values (to write again after a lost lease). */
    Map<String, String> own()
    {
        synchronized (ownEndpoints)
        {
            return new LinkedHashMap<>(ownEndpoints);
        }
    }

    static String endpointHost(final ClusterKv.Entry endpointEntry)
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
}
