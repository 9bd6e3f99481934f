package io.jvs.dataplane.engine;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Every counter of the switch in one off-heap buffer. Each counter has exactly one writing thread (the receive
 * agent or the forwarding agent), which increments it with a plain read and an ordered (release) write; the
 * control thread reads with {@link AtomicBuffer#getLongVolatile}. No locks, no atomics on the hot path.
 * <p>
 * Receive-owned and forwarding-owned counters sit on different cache lines so two threads never share one.
 * <pre>
 *  port p (p in [0, MAX_PORTS)), 128 bytes at p * PORT_RECORD_LENGTH:
 *    line 0 (receive agent):    RX_PACKETS RX_BYTES RX_NO_SPACE RX_TOO_LONG RX_RING_FULL . . .
 *    line 1 (forwarding agent): TX_PACKETS TX_BYTES MALFORMED INVALID_SOURCE TX_FULL ISOLATION SAME_PORT TX_TOO_LONG
 *  bridge domain b, 192 bytes at BRIDGE_DOMAINS_OFFSET + b * BD_RECORD_LENGTH:
 *    line 0 (receive agent):    NO_SPACE TOO_LONG RX_RING_FULL . . . . .
 *    line 1 (forwarding agent): FORWARDED FLOODED LEARNED MOVES AGED MAC_ENTRIES LEARN_TABLE_FULL UNKNOWN_INGRESS
 *    line 2 (forwarding agent): MALFORMED INVALID_SOURCE TX_FULL ISOLATION SAME_PORT TX_TOO_LONG . .
 * </pre>
 * Bridge domain record 0 is unused by domains; its line 1 UNKNOWN_INGRESS slot counts frames from ports already
 * removed (in flight in the ring when the port went away).
 */
public final class SwitchCounters
{
    /** Port and bridge domain ids are in [1, MAX_PORTS) and [1, MAX_BRIDGE_DOMAINS). */
    public static final int MAX_PORTS = 4096;
    public static final int MAX_BRIDGE_DOMAINS = 4096;

    public static final int PORT_RECORD_LENGTH = 2 * BitUtil.CACHE_LINE_LENGTH;
    public static final int RX_PACKETS = 0;
    public static final int RX_BYTES = 8;
    public static final int RX_NO_SPACE = 16;
    public static final int RX_TOO_LONG = 24;
    /** Frames the kernel dropped on the port's RX ring (full) before jvs saw them. */
    public static final int RX_RING_FULL = 32;
    public static final int TX_PACKETS = 64;
    public static final int TX_BYTES = 72;
    public static final int PORT_MALFORMED = 80;
    public static final int PORT_INVALID_SOURCE = 88;
    public static final int PORT_TX_FULL = 96;
    public static final int PORT_ISOLATION = 104;
    public static final int PORT_SAME_PORT = 112;
    public static final int PORT_TX_TOO_LONG = 120;

    public static final int BD_RECORD_LENGTH = 3 * BitUtil.CACHE_LINE_LENGTH;
    public static final int BD_NO_SPACE = 0;
    public static final int BD_RX_TOO_LONG = 8;
    public static final int BD_RX_RING_FULL = 16;
    public static final int BD_FORWARDED = 64;
    public static final int BD_FLOODED = 72;
    public static final int BD_LEARNED = 80;
    public static final int BD_MOVES = 88;
    public static final int BD_AGED = 96;
    public static final int BD_MAC_ENTRIES = 104;
    public static final int BD_LEARN_TABLE_FULL = 112;
    public static final int BD_UNKNOWN_INGRESS = 120;
    public static final int BD_MALFORMED = 128;
    public static final int BD_INVALID_SOURCE = 136;
    public static final int BD_TX_FULL = 144;
    public static final int BD_ISOLATION = 152;
    public static final int BD_SAME_PORT = 160;
    public static final int BD_TX_TOO_LONG = 168;

    public static final int BRIDGE_DOMAINS_OFFSET = MAX_PORTS * PORT_RECORD_LENGTH;
    public static final int LENGTH = BRIDGE_DOMAINS_OFFSET + MAX_BRIDGE_DOMAINS * BD_RECORD_LENGTH;

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
        BD_DROP[DropReason.MALFORMED.ordinal()] = BD_MALFORMED;
        BD_DROP[DropReason.INVALID_SOURCE.ordinal()] = BD_INVALID_SOURCE;
        BD_DROP[DropReason.NO_SPACE.ordinal()] = BD_NO_SPACE;
        BD_DROP[DropReason.TX_FULL.ordinal()] = BD_TX_FULL;
        BD_DROP[DropReason.ISOLATION.ordinal()] = BD_ISOLATION;
        BD_DROP[DropReason.SAME_PORT.ordinal()] = BD_SAME_PORT;
        BD_DROP[DropReason.TOO_LONG.ordinal()] = BD_RX_TOO_LONG;
        BD_DROP[DropReason.RX_RING_FULL.ordinal()] = BD_RX_RING_FULL;
    }

    private final AtomicBuffer buffer;

    public SwitchCounters()
    {
        buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(LENGTH, BitUtil.CACHE_LINE_LENGTH));
    }

    public static int portOffset(final int portId, final int field)
    {
        return portId * PORT_RECORD_LENGTH + field;
    }

    public static int bridgeDomainOffset(final int bridgeDomainId, final int field)
    {
        return BRIDGE_DOMAINS_OFFSET + bridgeDomainId * BD_RECORD_LENGTH + field;
    }

    /** Single-writer increment: only the thread owning this counter may call it. */
    public void increment(final int offset)
    {
        buffer.putLongRelease(offset, buffer.getLong(offset) + 1);
    }

    /** Single-writer add. */
    public void add(final int offset, final long delta)
    {
        buffer.putLongRelease(offset, buffer.getLong(offset) + delta);
    }

    /** Single-writer set (gauges). */
    public void set(final int offset, final long value)
    {
        buffer.putLongRelease(offset, value);
    }

    public void incrementPort(final int portId, final int field)
    {
        increment(portOffset(portId, field));
    }

    public void addPort(final int portId, final int field, final long delta)
    {
        add(portOffset(portId, field), delta);
    }

    public void incrementBridgeDomain(final int bridgeDomainId, final int field)
    {
        increment(bridgeDomainOffset(bridgeDomainId, field));
    }

    /** Counts a drop on the port and its bridge domain; the caller must own both counters for that reason. */
    public void drop(final int portId, final int bridgeDomainId, final int portField, final int bdField)
    {
        increment(portOffset(portId, portField));
        increment(bridgeDomainOffset(bridgeDomainId, bdField));
    }

    /** Counts {@code count} drops at once on the port and its bridge domain (same ownership rule). */
    public void drop(final int portId, final int bridgeDomainId, final int portField, final int bdField,
        final long count)
    {
        add(portOffset(portId, portField), count);
        add(bridgeDomainOffset(bridgeDomainId, bdField), count);
    }

    /** Any thread: the latest value published by the owner. */
    public long get(final int offset)
    {
        return buffer.getLongVolatile(offset);
    }

    public long port(final int portId, final int field)
    {
        return get(portOffset(portId, field));
    }

    public long bridgeDomain(final int bridgeDomainId, final int field)
    {
        return get(bridgeDomainOffset(bridgeDomainId, field));
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
     * Zeroes a port's record. Only while no agent owns the port (before it is handed to them): the command queue
     * hand-off then publishes the zeros.
     */
    public void resetPort(final int portId)
    {
        buffer.setMemory(portOffset(portId, 0), PORT_RECORD_LENGTH, (byte)0);
    }

    /** Zeroes a bridge domain's record; same rule as {@link #resetPort}. */
    public void resetBridgeDomain(final int bridgeDomainId)
    {
        buffer.setMemory(bridgeDomainOffset(bridgeDomainId, 0), BD_RECORD_LENGTH, (byte)0);
    }

    public AtomicBuffer buffer()
    {
        return buffer;
    }
}
