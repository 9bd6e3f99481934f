package io.jvs.control.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvs.control.common.JvsException;
import io.jvs.control.network.NetworkService;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipam;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.ipam.SubnetPool;
import io.jvs.control.netns.IpTool;
import io.jvs.control.state.StateTables;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Docker's IPAM driver API ({@code --ipam-driver jvs}): address pools and the addresses in them, durable in the
 * state tables (one row per pool, rewritten on every change, so an address handed out before a crash is still
 * taken after it). Pools never overlap each other, a jvs network, or (when jvs picks the subnet) a host route.
 * <p>
 * A pool's id is {@code "jvs/" + subnet}. The gateway is whatever Docker asks for with
 * {@code RequestAddressType=com.docker.network.gateway}: the lowest free address unless Docker names one.
 */
public final class DockerIpam
{
    static final String TABLE = "docker.ipam.pool";
    static final String LOCAL_ADDRESS_SPACE = "jvs-local";
    static final String GLOBAL_ADDRESS_SPACE = "jvs-global";
    private static final String POOL_ID_PREFIX = "jvs/";
    private static final String GATEWAY_REQUEST = "com.docker.network.gateway";
    private static final String ADDRESS_TYPE_OPTION = "RequestAddressType";

    /**
     * One pool: its subnet, the addresses handed out (gateway included) and {@code range}, Docker's
     * {@code --ip-range} (SubPool): where addresses Docker does not name come from; null for the whole subnet.
     */
    private record Pool(String id, Cidr subnet, TreeSet<Integer> addresses, Cidr range)
    {
    }

    private final StateTables tables;
    private final NetworkService service;
    private final DockerNetworks networks;
    private final IpTool ip;
    private final SubnetPool defaults;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Pool> pools = new LinkedHashMap<>();
    private final DockerIpam6 ipv6;

    public DockerIpam(final StateTables tables, final NetworkService service, final IpTool ip, final SubnetPool defaults)
    {
        this.tables = tables;
        this.service = service;
        this.networks = new DockerNetworks(service);
        this.ip = ip;
        this.defaults = defaults;
        this.ipv6 = new DockerIpam6(tables, service, ip);
        for (final JsonNode row : tables.rows(TABLE).values())
        {
            if (DockerIpam6.isIpv6Pool(row.path("id").asText()))
            {
                ipv6.load(row);
                continue;
            }
            final TreeSet<Integer> addresses = new TreeSet<>();
            row.path("addresses").forEach(a -> addresses.add(a.asInt()));
            final Pool pool = new Pool(row.path("id").asText(), Cidr.parse(row.path("subnet").asText()), addresses,
                row.hasNonNull("range") ? Cidr.parse(row.path("range").asText()) : null);
            pools.put(pool.id(), pool);
        }
    }

    public ObjectNode capabilities()
    {
        return json.createObjectNode().put("RequiresMACAddress", false).put("RequiresRequestReplay", false);
    }

    public ObjectNode defaultAddressSpaces()
    {
        return json.createObjectNode()
            .put("LocalDefaultAddressSpace", LOCAL_ADDRESS_SPACE)
            .put("GlobalDefaultAddressSpace", GLOBAL_ADDRESS_SPACE);
    }

    /**
     * RequestPool: the subnet Docker names ({@code --subnet}) or the first free /24 of jvs's default pool; with
     * {@code "V6": true} an IPv6 prefix, Docker's or a /64 of the daemon's IPv6 pool. A SubPool ({@code --ip-range})
     * is where the addresses Docker does not name come from, the gateway's included, as with Docker's default IPAM.
     */
    public synchronized ObjectNode requestPool(final JsonNode request)
    {
        final String subPool = DockerPluginApi.optionalText(request, "SubPool");
        final String requested = DockerPluginApi.optionalText(request, "Pool");
        final boolean hasRange = subPool != null && !subPool.isEmpty();
        if (hasRange && (requested == null || requested.isEmpty()))
        {
            throw JvsException.invalid("--ip-range " + subPool + " needs --subnet");
        }
        if (request.path("V6").asBoolean(false))
        {
            return ipv6.requestPool(requested, hasRange ? subPool : null);
        }
        final Cidr exactOverlay = requested == null || requested.isEmpty() ? null :
            networks.overlayNetworkWithSubnet(Cidr.parse(requested)).map(n -> n.subnet()).orElse(null);
        final List<Cidr> taken = new ArrayList<>();
        // An overlay network's exact subnet is a pool for the Docker network that maps to it on this host
        // (-o type=overlay): the driver's CreateNetwork checks that, and Docker releases the pool if it refuses.
        service.networks().stream().map(d -> d.network()).filter(n -> n.subnet() != null)
            .filter(n -> !n.subnet().equals(exactOverlay)).forEach(n -> taken.add(n.subnet()));
        pools.values().forEach(p -> taken.add(p.subnet()));
        final Cidr subnet;
        if (requested == null || requested.isEmpty())
        {
            taken.addAll(ip.hostRoutes());
            subnet = defaults.next(taken);
        }
        else
        {
            subnet = Cidr.parse(requested);
            Ipam.checkUsable(subnet);
            for (final Cidr other : taken)
            {
                if (other.overlaps(subnet))
                {
                    throw JvsException.conflict("pool " + subnet + " overlaps with " + other + ", already in use");
                }
            }
        }
        final Cidr range = hasRange ? Cidr.parse(subPool) : null;
        if (range != null)
        {
            if (exactOverlay != null)
            {
                throw JvsException.invalid("--ip-range is not supported on overlay networks");
            }
            new Ipam(subnet, subnet.network() + 1, range); // refuses a range outside the subnet, or without hosts
        }
        final Pool pool = new Pool(POOL_ID_PREFIX + subnet, subnet, new TreeSet<>(), range);
        save(pool);
        pools.put(pool.id(), pool);
        final ObjectNode response = json.createObjectNode().put("PoolID", pool.id()).put("Pool", subnet.toString());
        response.putObject("Data");
        return response;
    }

    /** ReleasePool: forgets the pool and whatever addresses Docker did not release first. */
    public synchronized ObjectNode releasePool(final JsonNode request)
    {
        final String id = DockerPluginApi.requiredText(request, "PoolID");
        if (DockerIpam6.isIpv6Pool(id))
        {
            ipv6.releasePool(id);
            return json.createObjectNode();
        }
        final Pool pool = pool(id);
        tables.remove(TABLE, pool.id());
        pools.remove(pool.id());
        return json.createObjectNode();
    }

    /** RequestAddress: the named address if free, else the lowest free one (the gateway too). */
    public synchronized ObjectNode requestAddress(final JsonNode request)
    {
        final String id = DockerPluginApi.requiredText(request, "PoolID");
        final String wanted = DockerPluginApi.optionalText(request, "Address");
        if (DockerIpam6.isIpv6Pool(id))
        {
            return ipv6.requestAddress(id, wanted);
        }
        final Pool pool = pool(id);
        final boolean gateway = GATEWAY_REQUEST.equals(request.path("Options").path(ADDRESS_TYPE_OPTION).asText());
        final Cidr subnet = pool.subnet();
        final String overlay = gateway ? null : overlayOf(pool);
        final int address;
        if (overlay != null)
        {
            // Unique across hosts: an address key in the cluster store, created only if absent. Addresses this
            // host's Docker still holds are skipped: their keys went with their endpoints before Docker released them.
            address = networks.allocateOverlayAddress(overlay,
                wanted == null || wanted.isEmpty() ? 0 : Ipv4.parse(wanted), pool.addresses()::contains);
        }
        else if (wanted != null && !wanted.isEmpty())
        {
            address = Ipv4.parse(wanted);
            if (!subnet.contains(address) || address == subnet.network() || address == subnet.broadcast())
            {
                throw JvsException.invalid("address " + wanted + " cannot be assigned in pool " + subnet);
            }
            if (pool.addresses().contains(address))
            {
                throw JvsException.conflict("address " + wanted + " is already in use in pool " + subnet);
            }
        }
        else
        {
            address = lowestFree(pool);
        }
        final TreeSet<Integer> next = new TreeSet<>(pool.addresses());
        next.add(address);
        final Pool updated = new Pool(pool.id(), subnet, next, pool.range());
        save(updated);
        pools.put(updated.id(), updated);
        final ObjectNode response = json.createObjectNode()
            .put("Address", Ipv4.format(address) + "/" + subnet.prefix());
        response.putObject("Data");
        return response;
    }

    public synchronized ObjectNode releaseAddress(final JsonNode request)
    {
        final String id = DockerPluginApi.requiredText(request, "PoolID");
        if (DockerIpam6.isIpv6Pool(id))
        {
            ipv6.releaseAddress(id, DockerPluginApi.requiredText(request, "Address"));
            return json.createObjectNode();
        }
        final Pool pool = pool(id);
        final int address = Ipv4.parse(DockerPluginApi.requiredText(request, "Address"));
        if (!pool.addresses().contains(address))
        {
            throw JvsException.notFound("address " + Ipv4.format(address) + " is not allocated in pool " +
                pool.subnet());
        }
        final TreeSet<Integer> next = new TreeSet<>(pool.addresses());
        next.remove(address);
        final Pool updated = new Pool(pool.id(), pool.subnet(), next, pool.range());
        save(updated);
        pools.put(updated.id(), updated);
        final String overlay = overlayOf(pool);
        if (overlay != null)
        {
            networks.releaseOverlayAddress(overlay, address);
        }
        return json.createObjectNode();
    }

    /**
     * The overlay network a pool serves (null: a local pool): the one whose subnet is the pool's. Only the Docker
     * network mapped to that overlay network can hold the pool, as RequestPool accepts an overlay's subnet for
     * nothing else to keep (a bridge network on it is refused at CreateNetwork, and Docker releases the pool).
     */
    private String overlayOf(final Pool pool)
    {
        return networks.overlayNetworkWithSubnet(pool.subnet()).map(n -> n.id()).orElse(null);
    }

    /** Addresses handed out in a pool, for tests and inspection. */
    public synchronized List<Integer> addresses(final String poolId)
    {
        return List.copyOf(pool(poolId).addresses());
    }

    public synchronized List<String> poolIds()
    {
        final List<String> ids = new ArrayList<>(pools.keySet());
        ids.addAll(ipv6.poolIds());
        return ids;
    }

    private Pool pool(final String id)
    {
        final Pool pool = pools.get(id);
        if (pool == null)
        {
            throw JvsException.notFound("address pool " + id + " not found");
        }
        return pool;
    }

    /** The lowest free host address of the pool's range (the whole subnet without one). */
    private static int lowestFree(final Pool pool)
    {
        final Cidr subnet = pool.subnet();
        final Cidr range = pool.range() == null ? subnet : pool.range();
        final long first = Math.max(1, Integer.toUnsignedLong(range.network()) -
            Integer.toUnsignedLong(subnet.network()));
        final long last = Math.min(subnet.size() - 2, Integer.toUnsignedLong(range.broadcast()) -
            Integer.toUnsignedLong(subnet.network()));
        for (long offset = first; offset <= last; offset++)
        {
            final int candidate = subnet.network() + (int)offset;
            if (!pool.addresses().contains(candidate))
            {
                return candidate;
            }
        }
        throw JvsException.conflict("no available IPv4 addresses in pool " + subnet +
            (pool.range() == null ? "" : " range " + pool.range()));
    }

    private void save(final Pool pool)
    {
        final ObjectNode row = json.createObjectNode().put("id", pool.id()).put("subnet", pool.subnet().toString());
        if (pool.range() != null)
        {
            row.put("range", pool.range().toString());
        }
        final ArrayNode addresses = row.putArray("addresses");
        pool.addresses().forEach(addresses::add);
        tables.put(TABLE, pool.id(), row);
    }
}
