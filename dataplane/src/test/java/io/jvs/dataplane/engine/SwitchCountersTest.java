package io.jvs.dataplane.engine;

import io.jvs.tap.counters.CountersRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SwitchCountersTest
{
    @Test
    void hotPathOffsetsKeepTheirCacheLines()
    {
        // The receive agent's counters on line 0 of a port, the forwarding agent's on line 1: the layout the
        // agents were tuned with (docs/dataplane.md), now derived from PortCounter's declaration order.
        assertEquals(192, SwitchCounters.PORT_RECORD_LENGTH, "a third line for MAC_LIMIT, ICC and SPOOFED");
        assertEquals(0, SwitchCounters.RX_PACKETS);
        assertEquals(32, SwitchCounters.RX_RING_FULL);
        assertEquals(64, SwitchCounters.TX_PACKETS);
        assertEquals(120, SwitchCounters.PORT_TX_TOO_LONG);
        assertEquals(128, SwitchCounters.PORT_MAC_LIMIT);
        assertEquals(256, SwitchCounters.BD_RECORD_LENGTH, "a fourth line for SPOOFED");
        assertEquals(16, SwitchCounters.BD_RX_RING_FULL);
        assertEquals(64, SwitchCounters.BD_FORWARDED);
        assertEquals(120, SwitchCounters.BD_UNKNOWN_INGRESS);
        assertEquals(128, SwitchCounters.BD_MALFORMED);
        assertEquals(168, SwitchCounters.BD_TX_TOO_LONG);
        assertEquals(184, SwitchCounters.BD_ICC);
        assertEquals(144, SwitchCounters.PORT_SPOOFED);
        assertEquals(192, SwitchCounters.BD_SPOOFED);
    }

    @Test
    void portsAndBridgeDomainsAreLabelledRecordsOfTheRegistry()
    {
        final CountersRegistry registry = new CountersRegistry();
        final SwitchCounters counters = new SwitchCounters(registry);
        counters.openBridgeDomain(3, "blue");
        counters.openPort(7, "veth7", 3);
        counters.openPort(8, "veth8", 3);

        counters.incrementPort(7, SwitchCounters.RX_PACKETS);
        counters.addPort(7, SwitchCounters.RX_BYTES, 60);
        counters.drop(8, 3, SwitchCounters.RX_TOO_LONG, SwitchCounters.BD_RX_TOO_LONG);
        counters.drop(8, 3, SwitchCounters.PORT_TX_TOO_LONG, SwitchCounters.BD_TX_TOO_LONG, 2);
        counters.setBridgeDomain(3, SwitchCounters.BD_MAC_ENTRIES, 5);

        assertEquals(3, counters.portDrops(8, DropReason.TOO_LONG), "receive and transmit halves summed");
        assertEquals(3, counters.bridgeDomainDrops(3, DropReason.TOO_LONG));

        final List<CountersRegistry.Snapshot> ports = registry.snapshot(PortCounter.class);
        assertEquals(List.of("veth7", "veth8"), ports.stream().map(CountersRegistry.Snapshot::label).toList());
        assertEquals(3, ports.get(1).group(), "a port's group is its bridge domain");
        assertEquals(60L, ports.get(0).values().get("rx_bytes"));
        assertEquals(2L, registry.find(PortCounter.class, 8).values().get("tx_too_long"));
        assertEquals(5, registry.sum(BridgeDomainCounter.MAC_ENTRIES));
        final Map<String, Long> blue = registry.find(BridgeDomainCounter.class, 3).values();
        assertEquals("blue", registry.find(BridgeDomainCounter.class, 3).label());
        assertEquals(1L, blue.get("rx_too_long"));

        counters.closePort(8);
        assertNull(registry.find(PortCounter.class, 8), "a removed port is no longer listed");
        counters.openPort(8, "veth8-again", 3);
        assertEquals(0, counters.portDrops(8, DropReason.TOO_LONG), "a reused port id starts from zero");
    }
}
