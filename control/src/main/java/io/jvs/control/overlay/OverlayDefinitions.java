package io.jvs.control.overlay;

import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipam;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.ipam.SubnetPool;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The overlay networks' definitions in the cluster's store: define (a VNI and subnet unique in the cluster),
 * Docker's mappings of its networks onto them, undefine (refused while any host has endpoints), key rotation of
 * encrypted networks. Each change is one compare-and-swap transaction, retried while the cluster changes under it.
 */
final class OverlayDefinitions
{
    private final ClusterKv kv;
    private final String hostId;
    private final OverlayTunnels tunnels;
    private final Supplier<ClusterState> state;
    private final Runnable changed;

    /**
     * @param state   reads the cluster's state now.
     * @param changed asks the overlay thread to reconcile after a change.
     */
    OverlayDefinitions(final ClusterKv kv, final String hostId, final OverlayTunnels tunnels,
        final Supplier<ClusterState> state, final Runnable changed)
    {
        this.kv = kv;
        this.hostId = hostId;
        this.tunnels = tunnels;
        this.state = state;
        this.changed = changed;
    }

    /**
     * Defines a network in the cluster. Checks (against a fresh read, and atomically through the catalog revision):
     * the name is free, the VNI is free (or the lowest free from {@link #OverlayControl.FIRST_VNI}), the subnet overlaps no overlay
     * network and none of {@code localTaken} (this host's networks and routes).
     */
    OverlayNetwork define(final OverlayControl.Definition def, final String id, final Collection<Cidr> localTaken)
    {
        return define(def, id, localTaken, List.of());
    }

    /**
     * A Docker network on this host ({@code docker network create -d jvs -o type=overlay -o name=NAME}) mapped to
     * the cluster's overlay network NAME: joined if it exists and agrees with {@code def} (same subnet and gateway,
     * and VNI, encryption and internal if given), else defined, marked as created through Docker. Either way this
     * host's attachment ({@link ClusterKeys#dockerAttachment}) is written in the same transaction.
     */
    OverlayNetwork attachDocker(final OverlayControl.Definition def, final String id, final Collection<Cidr> localTaken,
        final String dockerNetworkId)
    {
        for (int attempt = 0; attempt < OverlayControl.TXN_ATTEMPTS; attempt++)
        {
            final ClusterState s = state.get();
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
                changed.run();
                return existing;
            }
        }
        throw JvsException.conflict("network " + def.name() + " not joined: the cluster kept changing");
    }

    /** Refuses joining {@code existing} with options that differ from its definition, naming each difference. */
    private static void checkCompatible(final OverlayNetwork existing, final OverlayControl.Definition def)
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
    boolean detachDocker(final String networkId)
    {
        kv.txn(List.of(), List.of(new ClusterKv.Delete(ClusterKeys.dockerAttachment(networkId, hostId))));
        changed.run();
        final ClusterState s = state.get();
        return s.network(networkId).isPresent() && s.createdThroughDocker(networkId) &&
            s.dockerAttachments(networkId).isEmpty() && s.endpoints(networkId).isEmpty();
    }

    private OverlayNetwork define(final OverlayControl.Definition def, final String id, final Collection<Cidr> localTaken,
        final List<ClusterKv.Op> extraOps)
    {
        if (def.encrypted() && tunnels.hasUnderlay() && kv instanceof LocalKv)
        {
            throw JvsException.invalid("-o encrypted needs --etcd: the network's keys are shared and rotated " +
                "through etcd, and with static --peers only there is no way to agree on them");
        }
        if (def.vni() != null && (def.vni() < 1 || def.vni() > OverlayControl.MAX_VNI))
        {
            throw JvsException.invalid("vni " + def.vni() + " is out of range 1.." + OverlayControl.MAX_VNI);
        }
        for (int attempt = 0; attempt < OverlayControl.TXN_ATTEMPTS; attempt++)
        {
            final ClusterState s = state.get();
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
                int v = OverlayControl.FIRST_VNI;
                while (vnis.contains(v))
                {
                    v++;
                }
                if (v > OverlayControl.MAX_VNI)
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
                subnet = new SubnetPool(OverlayControl.DEFAULT_POOL, SubnetPool.DEFAULT_PREFIX).next(taken);
            }
            final int gateway = def.gateway() != null && !def.gateway().isEmpty() ?
                Ipv4.parse(def.gateway()) : Ipam.defaultGateway(subnet);
            Ipam.checkGateway(subnet, gateway);
            final OverlayNetwork network = new OverlayNetwork(id, def.name(), subnet.toString(), Ipv4.format(gateway),
                vni, def.internal(), def.encrypted(), Instant.now().toString(), hostId);
            final List<ClusterKv.Op> ops = new ArrayList<>(List.of(
                new ClusterKv.Put(ClusterKeys.CATALOG, id, ClusterKv.NO_LEASE),
                new ClusterKv.Put(ClusterKeys.network(id), OverlayControl.json(network), ClusterKv.NO_LEASE)));
            if (def.encrypted())
            {
                // In the same transaction: no host ever sees the encrypted network without its key.
                ops.add(new ClusterKv.Put(ClusterKeys.keys(id), OverlayControl.json(NetworkKeys.first(id)), ClusterKv.NO_LEASE));
            }
            ops.addAll(extraOps);
            if (kv.txn(List.of(new ClusterKv.Cmp(ClusterKeys.CATALOG, s.catalogRevision()),
                    ClusterKv.Cmp.absent(ClusterKeys.network(id))), ops))
            {
                changed.run();
                return network;
            }
        }
        throw JvsException.conflict("network " + def.name() + " not created: the cluster catalog kept changing (" +
            OverlayControl.TXN_ATTEMPTS + " attempts)");
    }

    /** Removes a network from the cluster; refused while any host has an endpoint on it. */
    void undefine(final String networkId)
    {
        for (int attempt = 0; attempt < OverlayControl.TXN_ATTEMPTS; attempt++)
        {
            final ClusterState s = state.get();
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
                changed.run();
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
    NetworkKeys rotateKey(final String networkId, final long ifOlderThanMillis)
    {
        for (int attempt = 0; attempt < OverlayControl.TXN_ATTEMPTS; attempt++)
        {
            final ClusterState s = state.get();
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
                List.of(new ClusterKv.Put(ClusterKeys.keys(networkId), OverlayControl.json(next), ClusterKv.NO_LEASE))))
            {
                changed.run();
                return next;
            }
        }
        throw JvsException.conflict("key of network " + networkId + " not rotated: the cluster kept changing");
    }
}
