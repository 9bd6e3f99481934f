package io.jvs.dataplane.engine;

import io.jvs.tap.counters.CounterLayout;
import io.jvs.tap.counters.CounterTable;
import io.jvs.tap.counters.CountersRegistry;
import org.agrona.concurrent.AtomicBuffer;

/**
 * The switch's counters: a table of {@link PortCounter} records by port id and one of {@link BridgeDomainCounter}
 * records by bridge domain id, both in the instance's {@link CountersRegistry}. Each counter has exactly one
 * writing thread (the receive agent or the forwarding agent), which increments it with a plain read and a release
 * write; readers use volatile reads. No locks, no atomics on the hot path.
 * <p>
 * The hot path addresses a counter as {@code id * RECORD_LENGTH + FIELD}: the field offsets below are static
 * finals taken from the label sets' {@link CounterLayout}, which the JIT folds to constants like literals.
 * <pre>
 *  port record (192 bytes):
 *    line 0 (receive agent):    RX_PACKETS RX_BYTES RX_NO_SPACE RX_TOO_LONG RX_RING_FULL . . .
 *    line 1 (forwarding agent): TX_PACKETS TX_BYTES MALFORMED INVALID_SOURCE TX_FULL ISOLATION SAME_PORT TX_TOO_LONG
 *    line 2 (forwarding agent): MAC_LIMIT ICC SPOOFED . . . . .
 *  bridge domain record (256 bytes):
 *    line 0 (receive agent):    NO_SPACE TOO_LONG RX_RING_FULL . . . . .
 *    line 1 (forwarding agent): FORWARDED FLOODED LEARNED MOVES AGED MAC_ENTRIES LEARN_TABLE_FULL UNKNOWN_INGRESS
 *    line 2 (forwarding agent): MALFORMED INVALID_SOURCE TX_FULL ISOLATION SAME_PORT TX_TOO_LONG MAC_LIMIT ICC
 *    line 3 (forwarding agent): SPOOFED . . . . . . .
 * </pre>
 * Bridge domain record 0 is unused by domains; its UNKNOWN_INGRESS slot counts frames from ports already
 * removed (in flight in the ring when the port went away).
 */
public final class SwitchCounters
{
    /**
     * Port and bridge domain ids are in [1, MAX_PORTS) and [1, MAX_BRIDGE_DOMAINS): room for 4,096 containers on one
     * network beside the router legs, the host port and the uplink.
     */
    public static final int MAX_PORTS = 8192;
    public static final int MAX_BRIDGE_DOMAINS = 4096;

    private static final CounterLayout PORT = CounterLayout.of(PortCounter.class);
    private static final CounterLayout BD = CounterLayout.of(BridgeDomainCounter.class);

    public static final int PORT_RECORD_LENGTH = PORT.length();
    public static final int RX_PACKETS = PORT.offset(PortCounter.RX_PACKETS);
    public static final int RX_BYTES = PORT.offset(PortCounter.RX_BYTES);
    public static final int RX_NO_SPACE = PORT.offset(PortCounter.RX_NO_SPACE);
    public static final int RX_TOO_LONG = PORT.offset(PortCounter.RX_TOO_LONG);
    public static final int RX_RING_FULL = PORT.offset(PortCounter.RX_RING_FULL);
    public static final int TX_PACKETS = PORT.offset(PortCounter.TX_PACKETS);
    public static final int TX_BYTES = PORT.offset(PortCounter.TX_BYTES);
    public static final int PORT_MALFORMED = PORT.offset(PortCounter.MALFORMED);
    public static final int PORT_INVALID_SOURCE = PORT.offset(PortCounter.INVALID_SOURCE);
    public static final int PORT_TX_FULL = PORT.offset(PortCounter.TX_FULL);
    public static final int PORT_ISOLATION = PORT.offset(PortCounter.ISOLATION);
    public static final int PORT_SAME_PORT = PORT.offset(PortCounter.SAME_PORT);
    public static final int PORT_TX_TOO_LONG = PORT.offset(PortCounter.TX_TOO_LONG);
    public static final int PORT_MAC_LIMIT = PORT.offset(PortCounter.MAC_LIMIT);
    public static final int PORT_ICC = PORT.offset(PortCounter.ICC);
    public static final int PORT_SPOOFED = PORT.offset(PortCounter.SPOOFED);

    public static final int BD_RECORD_LENGTH = BD.length();
    public static final int BD_NO_SPACE = BD.offset(BridgeDomainCounter.NO_SPACE);
    public static final int BD_RX_TOO_LONG = BD.offset(BridgeDomainCounter.RX_TOO_LONG);
    public static final int BD_RX_RING_FULL = BD.offset(BridgeDomainCounter.RX_RING_FULL);
    public static final int BD_FORWARDED = BD.offset(BridgeDomainCounter.FORWARDED);
    public static final int BD_FLOODED = BD.offset(BridgeDomainCounter.FLOODED);
    public static final int BD_LEARNED = BD.offset(BridgeDomainCounter.LEARNED);
    public static final int BD_MOVES = BD.offset(BridgeDomainCounter.MOVES);
    public static final int BD_AGED = BD.offset(BridgeDomainCounter.AGED);
    public static final int BD_MAC_ENTRIES = BD.offset(BridgeDomainCounter.MAC_ENTRIES);
    public static final int BD_LEARN_TABLE_FULL = BD.offset(BridgeDomainCounter.LEARN_TABLE_FULL);
    public static final int BD_UNKNOWN_INGRESS = BD.offset(BridgeDomainCounter.UNKNOWN_INGRESS);
    public static final int BD_MALFORMED = BD.offset(BridgeDomainCounter.MALFORMED);
    public static final int BD_INVALID_SOURCE = BD.offset(BridgeDomainCounter.INVALID_SOURCE);
    public static final int BD_TX_FULL = BD.offset(BridgeDomainCounter.TX_FULL);
    public static final int BD_ISOLATION = BD.offset(BridgeDomainCounter.ISOLATION);
    public static final int BD_SAME_PORT = BD.offset(BridgeDomainCounter.SAME_PORT);
    public static final int BD_TX_TOO_LONG = BD.offset(BridgeDomainCounter.TX_TOO_LONG);
    public static final int BD_MAC_LIMIT = BD.offset(BridgeDomainCounter.MAC_LIMIT);
    public static final int BD_ICC = BD.offset(BridgeDomainCounter.ICC);
    public static final int BD_SPOOFED = BD.offset(BridgeDomainCounter.SPOOFED);

    /** Records and bytes the two tables take in a registry. */
    public static final int REGISTRY_RECORDS = MAX_PORTS + MAX_BRIDGE_DOMAINS;
    public static final int REGISTRY_BYTES = MAX_PORTS * PORT_RECORD_LENGTH + MAX_BRIDGE_DOMAINS * BD_RECORD_LENGTH;

    private static final int[] PORT_DROP = new int[DropReason.values().length];
    private static final int[] BD_DROP = new int[DropReason.values().length];

    static
    {
        PORT_DROP[DropReason.MALFORMED.ordinal()] = PORT_MALFORMED;
        PORT_DROP[DropReason.INVALID_SOURCE.ordinal()] = PORT_INVALID_SOURCE;
        PORT_DROP[DropReason.NO_SPACE.ordinal()] = RX_NO_SPACE;
        PORT_DROP[DropReason.TX_FULL.ordinal()] = PORT_TX_FULL;
        PORT_DROP[DropReason.ISOLATION.ordinal()] = PORT_ISOLATION;
        PORT_DROP[DropReason.SAME_PORT.ordinal()] = PORT_SAME_PORT;
        PORT_DROP[DropReason.TOO_LONG.ordinal()] = RX_TOO_LONG;
        PORT_DROP[DropReason.RX_RING_FULL.ordinal()] = RX_RING_FULL;
        PORT_DROP[DropReason.MAC_LIMIT.ordinal()] = PORT_MAC_LIMIT;
        PORT_DROP[DropReason.ICC.ordinal()] = PORT_ICC;
        PORT_DROP[DropReason.SPOOFED.ordinal()] = PORT_SPOOFED;
        BD_DROP[DropReason.MALFORMED.ordinal()] = BD_MALFORMED;
        BD_DROP[DropReason.INVALID_SOURCE.ordinal()] = BD_INVALID_SOURCE;
        BD_DROP[DropReason.NO_SPACE.ordinal()] = BD_NO_SPACE;
        BD_DROP[DropReason.TX_FULL.ordinal()] = BD_TX_FULL;
        BD_DROP[DropReason.ISOLATION.ordinal()] = BD_ISOLATION;
        BD_DROP[DropReason.SAME_PORT.ordinal()] = BD_SAME_PORT;
        BD_DROP[DropReason.TOO_LONG.ordinal()] = BD_RX_TOO_LONG;
        BD_DROP[DropReason.RX_RING_FULL.ordinal()] = BD_RX_RING_FULL;
        BD_DROP[DropReason.MAC_LIMIT.ordinal()] = BD_MAC_LIMIT;
        BD_DROP[DropReason.ICC.ordinal()] = BD_ICC;
        BD_DROP[DropReason.SPOOFED.ordinal()] = BD_SPOOFED;
    }

    private final CounterTable ports;
    private final CounterTable bridgeDomains;
    /** The tables' buffers, held here so an increment loads no more than it did before the registry. */
    private final AtomicBuffer portBuffer;
    private final AtomicBuffer bdBuffer;

    /** Counters in a registry of their own (agents under test, benchmarks). */
    public SwitchCounters()
    {
        this(new CountersRegistry(REGISTRY_RECORDS, REGISTRY_BYTES));
    }

    public SwitchCounters(final CountersRegistry registry)
    {
        ports = registry.newTable(PortCounter.class, MAX_PORTS);
        bridgeDomains = registry.newTable(BridgeDomainCounter.class, MAX_BRIDGE_DOMAINS);
        bridgeDomains.open(0, "(removed ports)", 0, 0);
        portBuffer = ports.buffer();
        bdBuffer = bridgeDomains.buffer();
    }


    public static int portOffset(final int portId, final int field)
    {
        return portId * PORT_RECORD_LENGTH + field;
    }

    public static int bridgeDomainOffset(final int bridgeDomainId, final int field)
    {
        return bridgeDomainId * BD_RECORD_LENGTH + field;
    }

    /** Single-writer increment: only the thread owning this counter may call it. */
    public void incrementPort(final int portId, final int field)
    {
        CounterTable.increment(portBuffer, portOffset(portId, field));
    }

    /** Single-writer add. */
    public void addPort(final int portId, final int field, final long delta)
    {
        CounterTable.add(portBuffer, portOffset(portId, field), delta);
    }

    public void incrementBridgeDomain(final int bridgeDomainId, final int field)
    {
        CounterTable.increment(bdBuffer, bridgeDomainOffset(bridgeDomainId, field));
    }

    /** Single-writer set (gauges). */
    public void setBridgeDomain(final int bridgeDomainId, final int field, final long value)
    {
        bdBuffer.putLongRelease(bridgeDomainOffset(bridgeDomainId, field), value);
    }

    /** Counts a drop on the port and its bridge domain; the caller must own both counters for that reason. */
    public void drop(final int portId, final int bridgeDomainId, final int portField, final int bdField)
    {
        CounterTable.increment(portBuffer, portOffset(portId, portField));
        CounterTable.increment(bdBuffer, bridgeDomainOffset(bridgeDomainId, bdField));
    }

    /** Counts {@code count} drops at once on the port and its bridge domain (same ownership rule). */
    public void drop(final int portId, final int bridgeDomainId, final int portField, final int bdField,
        final long count)
    {
        CounterTable.add(portBuffer, portOffset(portId, portField), count);
        CounterTable.add(bdBuffer, bridgeDomainOffset(bridgeDomainId, bdField), count);
    }

    /** Any thread: the latest value published by the owner. */
    public long port(final int portId, final int field)
    {
        return portBuffer.getLongVolatile(portOffset(portId, field));
    }

    public long bridgeDomain(final int bridgeDomainId, final int field)
    {
        return bdBuffer.getLongVolatile(bridgeDomainOffset(bridgeDomainId, field));
    }

    /** Drops of a reason on a port, summing the receive and transmit halves of TOO_LONG. */
    public long portDrops(final int portId, final DropReason reason)
    {
        final long value = port(portId, PORT_DROP[reason.ordinal()]);
        return reason == DropReason.TOO_LONG ? value + port(portId, PORT_TX_TOO_LONG) : value;
    }

    public long bridgeDomainDrops(final int bridgeDomainId, final DropReason reason)
    {
        final long value = bridgeDomain(bridgeDomainId, BD_DROP[reason.ordinal()]);
        return reason == DropReason.TOO_LONG ? value + bridgeDomain(bridgeDomainId, BD_TX_TOO_LONG) : value;
    }

    /**
     * Zeroes a port's record and lists it in the registry (label: its interface, key: port id, group: bridge
     * domain). Only while no agent owns the port (before it is handed to them): the command queue hand-off then
     * publishes the zeros.
     */
    public void openPort(final int portId, final String name, final int bridgeDomainId)
    {
        ports.open(portId, name, portId, bridgeDomainId);
    }

    /** Unlists a removed port's record (once no agent touches it). */
    public void closePort(final int portId)
    {
        ports.close(portId);
    }

    /** Zeroes a bridge domain's record and lists it (key: its id); same rule as {@link #openPort}. */
    public void openBridgeDomain(final int bridgeDomainId, final String name)
    {
        bridgeDomains.open(bridgeDomainId, name, bridgeDomainId, 0);
    }

    public void closeBridgeDomain(final int bridgeDomainId)
    {
        bridgeDomains.close(bridgeDomainId);
    }
}
