package io.jvs.control.overlay;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One consistent read of everything under {@link ClusterKeys#ROOT}, parsed. Immutable. Entries that do not parse
 * (written by a newer or broken jvs) are counted in {@link #malformed()} and otherwise ignored.
 */
public final class ClusterState
{
    static final ObjectMapper JSON = new ObjectMapper();

    public static final ClusterState EMPTY =
        new ClusterState(0, 0, Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Set.of(), 0);

    private final long revision;
    private final long catalogRevision;
    private final Map<String, OverlayNetwork> networks;
    private final Map<String, Long> networkRevisions;
    private final Map<String, HostRecord> hosts;
    private final Map<String, List<EndpointRecord>> endpoints;
    private final Map<String, NetworkKeys> keys;
    private final Map<String, Long> keyRevisions;
    /** Network id -> host -> Docker network id; a network created through Docker has an entry (maybe empty). */
    private final Map<String, Map<String, String>> docker;
    private final Set<String> dockerOrigins;
    private final int malformed;

    private ClusterState(
        final long revision, final long catalogRevision, final Map<String, OverlayNetwork> networks,
        final Map<String, Long> networkRevisions, final Map<String, HostRecord> hosts,
        final Map<String, List<EndpointRecord>> endpoints, final Map<String, NetworkKeys> keys,
        final Map<String, Long> keyRevisions, final Map<String, Map<String, String>> docker,
        final Set<String> dockerOrigins, final int malformed)
    {
        this.docker = docker;
        this.dockerOrigins = dockerOrigins;
        this.keys = keys;
        this.keyRevisions = keyRevisions;
        this.revision = revision;
        this.catalogRevision = catalogRevision;
        this.networks = networks;
        this.networkRevisions = networkRevisions;
        this.hosts = hosts;
        this.endpoints = endpoints;
        this.malformed = malformed;
    }

    public static ClusterState parse(final ClusterKv.Snapshot snapshot)
    {
        long catalog = 0;
        final Map<String, OverlayNetwork> networks = new TreeMap<>();
        final Map<String, Long> revisions = new HashMap<>();
        final Map<String, HostRecord> hosts = new TreeMap<>();
        final Map<String, List<EndpointRecord>> endpoints = new HashMap<>();
        final Map<String, NetworkKeys> keys = new HashMap<>();
        final Map<String, Long> keyRevisions = new HashMap<>();
        final Map<String, Map<String, String>> docker = new HashMap<>();
        final Set<String> dockerOrigins = new HashSet<>();
        int malformed = 0;
        for (final ClusterKv.Entry e : snapshot.entries())
        {
            try
            {
                if (e.key().equals(ClusterKeys.CATALOG))
                {
                    catalog = e.modRevision();
                }
                else if (e.key().startsWith(ClusterKeys.NETWORKS))
                {
                    final OverlayNetwork n = JSON.readValue(e.value(), OverlayNetwork.class);
                    networks.put(n.id(), n);
                    revisions.put(n.id(), e.modRevision());
                }
                else if (e.key().startsWith(ClusterKeys.HOSTS))
                {
                    final HostRecord h = JSON.readValue(e.value(), HostRecord.class);
                    hosts.put(h.address(), h);
                }
                else if (e.key().startsWith(ClusterKeys.ENDPOINTS))
                {
                    final EndpointRecord r = JSON.readValue(e.value(), EndpointRecord.class);
                    endpoints.computeIfAbsent(r.networkId(), k -> new ArrayList<>()).add(r);
                }
                else if (e.key().startsWith(ClusterKeys.DOCKER))
                {
                    final String rest = e.key().substring(ClusterKeys.DOCKER.length());
                    final int slash = rest.indexOf('/');
                    if (slash < 0)
                    {
                        dockerOrigins.add(rest);
                    }
                    else
                    {
                        docker.computeIfAbsent(rest.substring(0, slash), k -> new TreeMap<>())
                            .put(rest.substring(slash + 1), e.value());
                    }
                }
                else if (e.key().startsWith(ClusterKeys.KEYS))
                {
                    final NetworkKeys k = JSON.readValue(e.value(), NetworkKeys.class);
                    keys.put(k.networkId(), k);
                    keyRevisions.put(k.networkId(), e.modRevision());
                }
            }
            catch (final IOException ex)
            {
                malformed++;
            }
        }
        endpoints.values().forEach(list -> list.sort(Comparator.comparing(EndpointRecord::sandbox)
            .thenComparing(EndpointRecord::address)));
        return new ClusterState(snapshot.revision(), catalog, Collections.unmodifiableMap(networks), revisions,
            Collections.unmodifiableMap(hosts), endpoints, keys, keyRevisions, docker, dockerOrigins, malformed);
    }

    public long revision()
    {
        return revision;
    }

    public long catalogRevision()
    {
        return catalogRevision;
    }

    /** By id, ordered by id. */
    public Map<String, OverlayNetwork> networks()
    {
        return networks;
    }

    public Optional<OverlayNetwork> network(final String id)
    {
        return Optional.ofNullable(networks.get(id));
    }

    public Optional<OverlayNetwork> networkByName(final String name)
    {
        return networks.values().stream().filter(n -> n.name().equals(name)).findFirst();
    }

    public long networkRevision(final String id)
    {
        return networkRevisions.getOrDefault(id, 0L);
    }

    /** By underlay address, ordered. */
    public Map<String, HostRecord> hosts()
    {
        return hosts;
    }

    public List<EndpointRecord> endpoints(final String networkId)
    {
        return endpoints.getOrDefault(networkId, List.of());
    }

    /** The keys of an encrypted network, if the store has them. */
    public Optional<NetworkKeys> keys(final String networkId)
    {
        return Optional.ofNullable(keys.get(networkId));
    }

    /** Mod revision of the network's key record (0: none). */
    public long keysRevision(final String networkId)
    {
        return keyRevisions.getOrDefault(networkId, 0L);
    }

    /** Host -> Docker network id, for each host whose Docker maps a network to this overlay network. */
    public Map<String, String> dockerAttachments(final String networkId)
    {
        return docker.getOrDefault(networkId, Map.of());
    }

    /** Whether the network was created through the Docker plugin ({@link ClusterKeys#dockerOrigin}). */
    public boolean createdThroughDocker(final String networkId)
    {
        return dockerOrigins.contains(networkId);
    }

    public int malformed()
    {
        return malformed;
    }
}
