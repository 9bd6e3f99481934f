package io.jvs.control.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr6;
import io.jvs.control.ipam.Ipam6;
import io.jvs.control.ipam.Ipv6Address;
import io.jvs.control.ipam.Ipv6Subnet;
import io.jvs.control.netns.IpTool;
import io.jvs.control.network.NetworkService;
import io.jvs.control.state.Network;
import io.jvs.control.state.StateTables;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The IPv6 pools of Docker's IPAM driver API ({@code RequestPool} with {@code "V6": true}): the prefix Docker names
 * or a /64 of the daemon's IPv6 pool (none a host route covers), never overlapping another IPv6 pool or a jvs
 * network's IPv6 prefix; addresses handed out lowest first (the gateway is what Docker asks for first: the prefix's
 * ::1, or the SubPool's first address). Rows share
 * {@link DockerIpam}'s table; a pool's id is {@code "jvs/" + prefix}, so an IPv6 pool's id has a colon.
 */
final class DockerIpam6
{
    private static final String POOL_ID_PREFIX = "jvs/";

    /** One pool: its prefix, the addresses handed out (gateway included) and its SubPool (null: none). */
    private record Pool(String id, Cidr6 subnet, TreeSet<Ipv6Address> addresses, Cidr6 range)
    {
    }

    private final StateTables tables;
    private final NetworkService service;
    private final IpTool ip;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Pool> pools = new LinkedHashMap<>();

    DockerIpam6(final StateTables tables, final NetworkService service, final IpTool ip)
    {
        this.tables = tables;
        this.service = service;
        this.ip = ip;
    }

    /** Whether a pool id names an IPv6 pool. */
    static boolean isIpv6Pool(final String poolId)
    {
        return poolId != null && poolId.indexOf(':') >= 0;
    }

    /** Takes back a journaled IPv6 pool row. */
    void load(final JsonNode row)
    {
        final TreeSet<Ipv6Address> addresses = new TreeSet<>();
        row.path("addresses").forEach(a -> addresses.add(Ipv6Address.parse(a.asText())));
        final Pool pool = new Pool(row.path("id").asText(), Cidr6.parse(row.path("subnet").asText()), addresses,
            row.hasNonNull("range") ? Cidr6.parse(row.path("range").asText()) : null);
        pools.put(pool.id(), pool);
    }

    /** @param subPool {@code --ip-range} inside {@code requested}; null for none. */
    ObjectNode requestPool(final String requested, final String subPool)
    {
        final List<Cidr6> taken = new ArrayList<>();
        service.networks().stream().map(d -> d.network()).filter(Network::hasIpv6)
            .forEach(n -> taken.add(n.ipv6().subnet()));
        pools.values().forEach(p -> taken.add(p.subnet()));
        final Cidr6 subnet;
        if (requested == null || requested.isEmpty())
        {
            taken.addAll(ip.hostRoutes6());
            subnet = service.ipv6Pool().next(taken);
        }
        else
        {
            subnet = Cidr6.parse(requested);
            Ipam6.checkUsable(subnet);
            for (final Cidr6 other : taken)
            {
                if (other.overlaps(subnet))
                {
                    throw JvsException.conflict("pool " + subnet + " overlaps with " + other + ", already in use");
                }
            }
        }
        final Cidr6 range = subPool == null ? null : Cidr6.parse(subPool);
        if (range != null)
        {
            new Ipam6(new Ipv6Subnet(subnet, Ipam6.defaultGateway(subnet), range)); // inside, with host addresses
        }
        final Pool pool = new Pool(POOL_ID_PREFIX + subnet, subnet, new TreeSet<>(), range);
        save(pool);
        final ObjectNode response = json.createObjectNode().put("PoolID", pool.id()).put("Pool", subnet.toString());
        response.putObject("Data");
        return response;
    }

    void releasePool(final String poolId)
    {
        final Pool pool = pool(poolId);
        tables.remove(DockerIpam.TABLE, pool.id());
        pools.remove(pool.id());
    }

    /** The named address if free, else the lowest free one (never the prefix's own address). */
    ObjectNode requestAddress(final String poolId, final String wanted)
    {
        final Pool pool = pool(poolId);
        final Cidr6 subnet = pool.subnet();
        final Ipv6Address address;
        if (wanted != null && !wanted.isEmpty())
        {
            address = Ipv6Address.parse(wanted);
            if (!subnet.contains(address) || address.equals(subnet.network()))
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
        final TreeSet<Ipv6Address> next = new TreeSet<>(pool.addresses());
        next.add(address);
        save(new Pool(pool.id(), subnet, next, pool.range()));
        final ObjectNode response = json.createObjectNode().put("Address", address + "/" + subnet.prefix());
        response.putObject("Data");
        return response;
    }

    void releaseAddress(final String poolId, final String text)
    {
        final Pool pool = pool(poolId);
        final Ipv6Address address = Ipv6Address.parse(text);
        if (!pool.addresses().contains(address))
        {
            throw JvsException.notFound("address " + address + " is not allocated in pool " + pool.subnet());
        }
        final TreeSet<Ipv6Address> next = new TreeSet<>(pool.addresses());
        next.remove(address);
        save(new Pool(pool.id(), pool.subnet(), next, pool.range()));
    }

    List<String> poolIds()
    {
        return List.copyOf(pools.keySet());
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

    /** The lowest free address of the pool's range (the whole prefix without one), never the prefix's own. */
    private static Ipv6Address lowestFree(final Pool pool)
    {
        final Cidr6 range = pool.range() == null ? pool.subnet() : pool.range();
        Ipv6Address candidate = range.network().equals(pool.subnet().network()) ? range.network().plus(1) :
            range.network();
        for (final Ipv6Address used : pool.addresses().tailSet(candidate))
        {
            if (used.compareTo(candidate) > 0)
            {
                break;
            }
            candidate = used.plus(1);
        }
        if (!range.contains(candidate) || candidate.equals(pool.subnet().network()))
        {
            throw JvsException.conflict("no available IPv6 addresses in pool " + pool.subnet() +
                (pool.range() == null ? "" : " range " + pool.range()));
        }
        return candidate;
    }

    private void save(final Pool pool)
    {
        final ObjectNode row = json.createObjectNode().put("id", pool.id()).put("subnet", pool.subnet().toString())
            .put("v6", true);
        if (pool.range() != null)
        {
            row.put("range", pool.range().toString());
        }
        final ArrayNode addresses = row.putArray("addresses");
        pool.addresses().forEach(a -> addresses.add(a.toString()));
        tables.put(DockerIpam.TABLE, pool.id(), row);
        pools.put(pool.id(), pool);
    }
}
