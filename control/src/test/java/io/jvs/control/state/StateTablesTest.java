package io.jvs.control.state;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipv6Address;
import io.jvs.control.ipam.Ipv6Subnet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateTablesTest
{
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @TempDir
    Path dir;

    @Test
    void rowsSurviveReopenAndTheJournalIsCompactedToThem()
    {
        try (StateTables tables = StateTables.open(dir))
        {
            for (int i = 0; i < 500; i++)
            {
                tables.put("pool", "p" + (i % 5), NODES.objectNode().put("n", i));
            }
            tables.put("gone", "x", NODES.objectNode());
            tables.remove("gone", "x");
            tables.remove("never", "there");
        }
        try (StateTables tables = StateTables.open(dir))
        {
            assertEquals(502, tables.replayedRecords(), "every change was journaled");
            assertEquals(List.of("p0", "p1", "p2", "p3", "p4"), List.copyOf(tables.rows("pool").keySet()));
            assertEquals(499, tables.rows("pool").get("p4").path("n").asInt(), "the last write wins");
            assertTrue(tables.rows("gone").isEmpty());
            tables.put("pool", "p9", NODES.objectNode().put("n", 9));
        }
        try (StateTables tables = StateTables.open(dir))
        {
            assertEquals(6, tables.replayedRecords(), "compacted on the previous open: 5 rows + 1 change");
            assertEquals(9, tables.rows("pool").get("p9").path("n").asInt());
        }
    }

    @Test
    void oneProcessAtATime()
    {
        try (StateTables first = StateTables.open(dir))
        {
            final JvsException refused = assertThrows(JvsException.class, () -> StateTables.open(dir));
            assertTrue(refused.getMessage().contains("another jvs daemon is using the state directory"));
        }
        StateTables.open(dir).close();
    }

    @Test
    void journaledStoreComesBackIdentical()
    {
        final Network network = new Network("ab".repeat(32), "n1", Network.DRIVER_DOCKER, true,
            Cidr.parse("10.9.8.0/24"), 0x0a090801, false, Instant.parse("2026-01-02T03:04:05.123456789Z"), 7);
        final Network host = new Network("cd".repeat(32), "host", Network.DRIVER_HOST, false, null, 0, true,
            Instant.parse("2026-01-02T03:04:05Z"), 0);
        final Network lan = new Network("12".repeat(32), "m1", "macvlan", false, Cidr.parse("192.168.5.0/24"),
            0xc0a80501, false, Instant.parse("2026-01-02T03:04:07Z"), 9,
            Map.of("parent", "eth0.10"), Cidr.parse("192.168.5.32/28"),
            Map.of("printer", "192.168.5.32"));
        final Sandbox sandbox = new Sandbox("s1", Instant.parse("2026-01-02T03:04:06Z"));
        final Endpoint endpoint = new Endpoint("ef".repeat(32), network.id(), "s1", "jv01234567", "eth0",
            "02:42:0a:09:08:02", 0x0a090802, 24, 3);
        try (StateTables tables = StateTables.open(dir))
        {
            final JournaledNetworkStore store = new JournaledNetworkStore(tables);
            store.putNetwork(network);
            store.putNetwork(host);
            store.putNetwork(lan);
            store.putSandbox(sandbox);
            store.putEndpoint(endpoint);
            store.putSandbox(new Sandbox("s2", Instant.EPOCH));
            store.removeSandbox("s2");
        }
        try (StateTables tables = StateTables.open(dir))
        {
            final JournaledNetworkStore store = new JournaledNetworkStore(tables);
            assertEquals(List.of(host, lan, network), store.networks());
            assertEquals(Map.of("parent", "eth0.10"), store.networks().get(1).options(),
                "driver options, range and auxiliary addresses are journaled");
            assertEquals(List.of(sandbox), store.sandboxes());
            assertEquals(List.of(endpoint), store.endpoints());
        }
    }

    @Test
    void dualStackAndIpv6OnlyNetworksComeBackAndOldRowsLoadAsIpv4Only()
    {
        final Network dual = new Network("a6".repeat(32), "d1", Network.DRIVER_BRIDGE, false,
            Cidr.parse("10.9.7.0/24"), 0x0a090701, false, Instant.parse("2026-01-02T03:04:05Z"), 4, Map.of(), null,
            Map.of(), Ipv6Subnet.parse("fd00:9:7::/64", null, "fd00:9:7::100/120"));
        final Network only6 = new Network("b6".repeat(32), "o1", Network.DRIVER_BRIDGE, false, null, 0, false,
            Instant.parse("2026-01-02T03:04:06Z"), 5, Map.of(), null, Map.of(),
            Ipv6Subnet.parse("fd00:9:8::/64", "fd00:9:8::fe", null));
        final Endpoint endpoint = new Endpoint("e6".repeat(32), dual.id(), "s1", "jv76543210", "eth0",
            "02:42:0a:09:07:02", 0x0a090702, 24, 3, Ipv6Address.parse("fd00:9:7::100"), 64);
        // a row as a daemon before IPv6 wrote it: no ipv6, address6 or prefix6 fields
        final ObjectNode oldNetwork = JsonNodeFactory.instance.objectNode().put("id", "c4".repeat(32))
            .put("name", "old")
            .put("driver", "bridge").put("internal", false).put("subnet", "10.9.6.0/24").put("gateway", 0x0a090601)
            .put("predefined", false).put("created", "2026-01-01T00:00:00Z").put("bridgeDomain", 2);
        try (StateTables tables = StateTables.open(dir))
        {
            final JournaledNetworkStore store = new JournaledNetworkStore(tables);
            store.putNetwork(dual);
            store.putNetwork(only6);
            store.putEndpoint(endpoint);
            tables.put(JournaledNetworkStore.NETWORKS, oldNetwork.path("id").asText(), oldNetwork);
        }
        try (StateTables tables = StateTables.open(dir))
        {
            final JournaledNetworkStore store = new JournaledNetworkStore(tables);
            assertEquals(dual, store.network(dual.id()).orElseThrow());
            assertEquals(only6, store.network(only6.id()).orElseThrow());
            assertEquals(List.of(endpoint), store.endpoints());
            final Network old = store.network(oldNetwork.path("id").asText()).orElseThrow();
            assertFalse(old.hasIpv6(), "an old row is IPv4-only");
            assertEquals(Cidr.parse("10.9.6.0/24"), old.subnet());
        }
    }
}
