package io.jvs.dataplane.engine;

import io.jvs.dataplane.mac.MacEntry;
import io.jvs.dataplane.mac.MacTable;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.parse.ParseResult;
import io.jvs.tap.PacketPort;
import io.jvs.tap.VnetHeader;
import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * The L2 pipeline. Reads a batch of {@link FrameRecord}s from the ring and for each frame:
 * <pre>
 *   ingress port unknown (removed while in flight)   -> counted as unknown ingress
 *   Ethernet header malformed                         -> drop MALFORMED
 *   source MAC multicast or zero                      -> drop INVALID_SOURCE
 *   secured port, source MAC or address not its own   -> drop SPOOFED (PortSecurity)
 *   learn (bridge domain, source) -> ingress port     (the port's learning limit reached: drop MAC_LIMIT)
 *   destination unicast and known
 *       port outside the bridge domain                -> drop ISOLATION
 *       port == ingress                               -> drop SAME_PORT
 *       another container port, domain without ICC    -> drop ICC
 *       else                                          -> offer to that port (false: drop TX_FULL)
 *   else (unknown unicast, broadcast, multicast)      -> flood to every other port of the bridge domain
 *                                                        (without ICC: to its router leg only)
 * </pre>
 * Every port that got frames is flushed once at the end of the batch; then the batch's RX-to-TX latencies are
 * recorded and the MAC table ages by one incremental step. The clock is read once per duty cycle.
 * <p>
 * Ports, bridge domains and static MACs change only through {@link #commands()}, run on this agent's thread;
 * the on* methods are for those commands (or a single-threaded caller such as a benchmark).
 * <p>
 * One agent per forwarding lane ({@link LaneHandoff}). Every lane knows every port and domain; a port is owned by
 * one lane, the only one that offers to it (a TX ring has one producer). A frame for a port of another lane is
 * copied into that lane's hand-off ring and leaves from there; the first lane owns the router (legs and routed
 * ports), the shared links, MAC aging and static entries. With one lane nothing is handed off.
 */
public final class ForwardingAgent implements Agent, MessageHandler, MacTable.AgedHandler, L3Output
{
    /** A port in a bridge domain with a kernel device behind it. */
    public static final byte KIND_BRIDGED = 0;
    /** A bridge domain's router leg: frames switched to it go to the {@link L3Handler}. */
    public static final byte KIND_LEG = 1;
    /** A port outside every bridge domain (uplink, host port): every frame received goes to the L3 handler. */
    public static final byte KIND_ROUTED = 2;

    public static final String ROLE_NAME = "jvs-fwd";
    /** Highest latency recorded; longer values are clamped to it. */
    public static final long MAX_LATENCY_NANOS = 60_000_000_000L;
    public static final int LATENCY_SIGNIFICANT_DIGITS = 3;
    /** Upper bound of ring batches forwarded per duty cycle (see {@link #doWork()}). */
    public static final int MAX_BATCHES_PER_CYCLE = 64;
    private static final int[] NO_PORTS = new int[0];

    private final RingBuffer ring;
    private final InPlaceRingReader reader;
    private final InPlaceRingReader.BatchEnd onBatchEnd = this::endBatch;
    private final SwitchCounters counters;
    private final MacTable macTable;
    private final int batchSize;
    private final NanoClock clock;
    private final SingleWriterRecorder latency;
    private final CommandQueue commands = new CommandQueue(CommandQueue.DEFAULT_CAPACITY);
    private final EthernetHeader ethernet = new EthernetHeader();

    private final PacketPort[] portIo = new PacketPort[SwitchCounters.MAX_PORTS];
    private final int[] portBridgeDomain = new int[SwitchCounters.MAX_PORTS];
    private final int[] portMaxFrameLength = new int[SwitchCounters.MAX_PORTS];
    private final byte[] portKind = new byte[SwitchCounters.MAX_PORTS];
    private final L3Handler l3;
    private final int[][] bridgeDomainPorts = new int[SwitchCounters.MAX_BRIDGE_DOMAINS][];
    /** Domains whose container ports reach their router leg only, not each other (enable_icc=false). */
    private final boolean[] noInterContainer = new boolean[SwitchCounters.MAX_BRIDGE_DOMAINS];

    /** The lane that owns each port: the only one that transmits on it. */
    private final byte[] portLane = new byte[SwitchCounters.MAX_PORTS];
    /** Shared by the lanes, written by the control thread. */
    private PortSecurity portSecurity = PortSecurity.NONE;
    private final String[] portName = new String[SwitchCounters.MAX_PORTS];
    private final int lane;
    private final LaneHandoff handoff;
    private final MessageHandler handoffHandler = this::onHandedOff;
    /** RX time of the frame being forwarded; 0 for frames the router makes (not sampled). */
    private long currentRxTime;
    /** A copy of the frame being forwarded left from this lane (its latency is sampled once). */
    private boolean sentHere;

    private final boolean[] dirty = new boolean[SwitchCounters.MAX_PORTS];
    private final int[] dirtyPorts = new int[SwitchCounters.MAX_PORTS];
    private int dirtyCount;

    private final long[] rxTimes;
    private int rxTimeCount;

    private long nowNanos;

    /**
     * @param latency where RX-to-TX latencies (ns) go, or null to not measure.
     * @param clock   read once per duty cycle for MAC learning and aging.
     */
    public ForwardingAgent(
        final RingBuffer ring, final SwitchCounters counters, final MacTable macTable, final int batchSize,
        final NanoClock clock, final SingleWriterRecorder latency)
    {
        this(ring, counters, macTable, batchSize, clock, latency, null);
    }

    /** @param l3 the router (legs and routed ports), or null for a pure L2 switch. */
    public ForwardingAgent(
        final RingBuffer ring, final SwitchCounters counters, final MacTable macTable, final int batchSize,
        final NanoClock clock, final SingleWriterRecorder latency, final L3Handler l3)
    {
        this(ring, counters, macTable, batchSize, clock, latency, l3, LaneHandoff.single(), 0);
    }

    /**
     * @param handoff the lanes' hand-off rings.
     * @param lane    this agent's lane; lane 0 must have the router (or none has one).
     */
    public ForwardingAgent(
        final RingBuffer ring, final SwitchCounters counters, final MacTable macTable, final int batchSize,
        final NanoClock clock, final SingleWriterRecorder latency, final L3Handler l3, final LaneHandoff handoff,
        final int lane)
    {
        if (lane < 0 || lane >= handoff.lanes())
        {
            throw new IllegalArgumentException("lane " + lane + " not in [0, " + handoff.lanes() + ")");
        }
        if (null != l3 && lane != 0)
        {
            throw new IllegalArgumentException("the router runs on lane 0, not " + lane);
        }
        this.lane = lane;
        this.handoff = handoff;
        this.l3 = l3;
        if (null != l3)
        {
            l3.output(this);
        }
        this.ring = ring;
        this.reader = new InPlaceRingReader(ring);
        this.counters = counters;
        this.macTable = macTable;
        this.batchSize = batchSize;
        this.clock = clock;
        this.latency = latency;
        this.rxTimes = new long[batchSize];
    }

    /** The switch's port security table (before the agent runs). */
    public void portSecurity(final PortSecurity table)
    {
        portSecurity = table;
    }

    public static SingleWriterRecorder newLatencyRecorder()
    {
        return new SingleWriterRecorder(1, MAX_LATENCY_NANOS, LATENCY_SIGNIFICANT_DIGITS);
    }

    public String roleName()
    {
        return ROLE_NAME;
    }

    public CommandQueue commands()
    {
        return commands;
    }

    public int doWork()
    {
        nowNanos = clock.nanoTime();
        int work = commands.drain();
        if (null != l3)
        {
            work += l3.doWork(nowNanos);
        }
        // The receive agent takes up to a batch from every port per cycle: drain the ring batch by batch (each
        // flushed on its own) until it is empty, or frames would queue in the ring and their latency grow to the
        // ring's depth. Bounded so that commands and aging still get their turn.
        // Frames to the router are handled at the end of their batch, in place, before the ring releases them
        // (InPlaceRingReader): the router overlaps the batch's connection-table misses. endBatch() runs also after a
        // handler threw: frames already offered must still leave.
        for (int i = 0; i < MAX_BATCHES_PER_CYCLE; i++)
        {
            final int read = reader.read(this, batchSize, onBatchEnd);
            work += read;
            if (read < batchSize)
            {
                break;
            }
        }
        final InPlaceRingReader[] inbound = handoff.readers(lane);
        for (int from = 0; from < inbound.length; from++)
        {
            final InPlaceRingReader handedOff = inbound[from];
            if (null == handedOff)
            {
                continue;
            }
            for (int i = 0; i < MAX_BATCHES_PER_CYCLE; i++)
            {
                final int read = handedOff.read(handoffHandler, batchSize, onBatchEnd);
                work += read;
                if (read < batchSize)
                {
                    break;
                }
            }
        }
        if (lane == 0)
        {
            work += macTable.age(nowNanos, this);
        }
        return work;
    }

    /** Lets the router handle the frames queued to it, flushes every port that got frames, records latencies. */
    public void endBatch()
    {
        try
        {
            if (null != l3)
            {
                l3.endBatch();
            }
        }
        finally
        {
            flushPorts();
            handoff.wakeLanes(lane);
        }
    }

    private void flushPorts()
    {
        final int count = dirtyCount;
        dirtyCount = 0;
        for (int i = 0; i < count; i++)
        {
            final int port = dirtyPorts[i];
            dirty[port] = false;
            final PacketPort io = portIo[port];
            if (null != io)
            {
                io.flush();
            }
        }
        if (rxTimeCount > 0)
        {
            if (null != latency)
            {
                final long txTime = System.nanoTime();
                for (int i = 0; i < rxTimeCount; i++)
                {
                    final long nanos = txTime - rxTimes[i];
                    latency.recordValue(nanos < 0 ? 0 : Math.min(nanos, MAX_LATENCY_NANOS));
                }
            }
            rxTimeCount = 0;
        }
    }

    /** Handles one {@link FrameRecord}; msgTypeId is the ingress port id. */
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        currentRxTime = buffer.getLong(index + FrameRecord.RX_TIME_OFFSET);
        sentHere = false;
        forward(msgTypeId, buffer, index, length);
        if (sentHere)
        {
            noteRxTime(currentRxTime);
        }
    }

    private void forward(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final int ingress = msgTypeId;
        if (ingress < SwitchCounters.MAX_PORTS && portKind[ingress] == KIND_ROUTED)
        {
            l3.queueFrame(true, ingress, buffer, index + FrameRecord.VNET_HEADER_OFFSET,
                length - FrameRecord.HEADER_LENGTH);
            return;
        }
        final int bd = ingress < SwitchCounters.MAX_PORTS ? portBridgeDomain[ingress] : 0;
        if (bd == 0)
        {
            counters.incrementBridgeDomain(0, SwitchCounters.BD_UNKNOWN_INGRESS);
            return;
        }

        final int frameOffset = index + FrameRecord.VNET_HEADER_OFFSET;
        final int frameLength = length - FrameRecord.HEADER_LENGTH;
        final int ethernetLength = frameLength - VnetHeader.LENGTH;
        if (ethernetLength < 0 ||
            ethernet.wrap(buffer, index + FrameRecord.ETHERNET_OFFSET, ethernetLength) != ParseResult.OK)
        {
            counters.drop(ingress, bd, SwitchCounters.PORT_MALFORMED, SwitchCounters.BD_MALFORMED);
            return;
        }

        final long source = ethernet.source();
        if (!MacAddress.isValidSource(source))
        {
            counters.drop(ingress, bd, SwitchCounters.PORT_INVALID_SOURCE, SwitchCounters.BD_INVALID_SOURCE);
            return;
        }
        if (!portSecurity.permits(ingress, source, buffer, index + FrameRecord.ETHERNET_OFFSET, ethernetLength))
        {
            counters.drop(ingress, bd, SwitchCounters.PORT_SPOOFED, SwitchCounters.BD_SPOOFED);
            return;
        }
        if (!learn(bd, source, ingress))
        {
            counters.drop(ingress, bd, SwitchCounters.PORT_MAC_LIMIT, SwitchCounters.BD_MAC_LIMIT);
            return;
        }

        final long destination = ethernet.destination();
        if (!MacAddress.isMulticast(destination))
        {
            final int egress = knownEgress(bd, destination);
            if (egress != MacTable.NO_PORT)
            {
                if (egress >= SwitchCounters.MAX_PORTS || portBridgeDomain[egress] != bd)
                {
                    counters.drop(ingress, bd, SwitchCounters.PORT_ISOLATION, SwitchCounters.BD_ISOLATION);
                }
                else if (egress == ingress)
                {
                    counters.drop(ingress, bd, SwitchCounters.PORT_SAME_PORT, SwitchCounters.BD_SAME_PORT);
                }
                else if (noInterContainer[bd] && portKind[egress] != KIND_LEG)
                {
                    counters.drop(ingress, bd, SwitchCounters.PORT_ICC, SwitchCounters.BD_ICC);
                }
                else if (transmit(egress, bd, buffer, frameOffset, frameLength))
                {
                    counters.incrementBridgeDomain(bd, SwitchCounters.BD_FORWARDED);
                }
                return;
            }
        }

        if (noInterContainer[bd])
        {
            floodToLeg(ingress, bd, buffer, frameOffset, frameLength);
            return;
        }
        final int[] members = bridgeDomainPorts[bd];
        for (final int port : members)
        {
            if (port != ingress)
            {
                transmit(port, bd, buffer, frameOffset, frameLength);
            }
        }
        counters.incrementBridgeDomain(bd, SwitchCounters.BD_FLOODED);
    }

    /**
     * A flood from a container port of a domain without inter-container communication: only the router leg gets it
     * (ARP for the gateway, DHCP-like broadcasts); withheld from the other containers, it counts as one ICC drop.
     */
    private void floodToLeg(
        final int ingress, final int bd, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        boolean withheld = false;
        for (final int port : bridgeDomainPorts[bd])
        {
            if (portKind[port] == KIND_LEG)
            {
                transmit(port, bd, buffer, offset, length);
            }
            else if (port != ingress)
            {
                withheld = true;
            }
        }
        counters.incrementBridgeDomain(bd, SwitchCounters.BD_FLOODED);
        if (withheld)
        {
            counters.drop(ingress, bd, SwitchCounters.PORT_ICC, SwitchCounters.BD_ICC);
        }
    }

    /**
     * The MAC table's port for the destination, or none when that port has just left: between a port's removal
     * on this lane and the flush of its MACs by lane 0, its frames are flooded rather than counted as isolation.
     */
    private int knownEgress(final int bd, final long destination)
    {
        final int egress = macTable.lookup(bd, destination);
        return egress != MacTable.NO_PORT && egress < SwitchCounters.MAX_PORTS && portBridgeDomain[egress] == 0 &&
            portKind[egress] != KIND_ROUTED ? MacTable.NO_PORT : egress;
    }

    /** A frame another lane handed over for a port of this lane (msgTypeId = egress port). */
    private void onHandedOff(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final int egress = msgTypeId;
        if (egress >= SwitchCounters.MAX_PORTS || null == portName[egress])
        {
            counters.incrementBridgeDomain(0, SwitchCounters.BD_UNKNOWN_INGRESS); // the port left meanwhile
            return;
        }
        // A port moving to another lane may be handed here before this lane has heard of the move: transmit()
        // passes it on to whichever lane owns the port in this lane's table.
        currentRxTime = buffer.getLong(index + FrameRecord.RX_TIME_OFFSET);
        if (transmit(egress, portBridgeDomain[egress], buffer, index + FrameRecord.VNET_HEADER_OFFSET,
            length - FrameRecord.HEADER_LENGTH))
        {
            // A copy handed over is sampled where it leaves, RX to this lane's flush; a flood over several
            // lanes is sampled once per lane it left from.
            noteRxTime(currentRxTime);
        }
    }

    /** @return false if the source may not be learned on the port (its limit): the frame is dropped. */
    private boolean learn(final int bd, final long source, final int ingress)
    {
        switch (macTable.learn(bd, source, ingress, nowNanos))
        {
            case MacTable.REFRESHED:
            case MacTable.STATIC_HELD:
                break;
            case MacTable.PORT_LIMIT:
                return false;
            case MacTable.LEARNED:
                counters.incrementBridgeDomain(bd, SwitchCounters.BD_LEARNED);
                publishMacCount(bd);
                break;
            case MacTable.MOVED:
                counters.incrementBridgeDomain(bd, SwitchCounters.BD_MOVES);
                break;
            case MacTable.TABLE_FULL:
                counters.incrementBridgeDomain(bd, SwitchCounters.BD_LEARN_TABLE_FULL);
                break;
            default:
                break;
        }
        return true;
    }

    /**
     * Frames from the router into a bridge domain: the L2 lookup/flood with the leg as ingress (no learning: the
     * leg's MAC is static). Delivered to bridged ports only (the domain's one leg is the ingress).
     */
    public void injectBridged(final int legPort, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        currentRxTime = 0;
        final int bd = portBridgeDomain[legPort];
        if (bd == 0 || length < VnetHeader.LENGTH ||
            ethernet.wrap(buffer, offset + VnetHeader.LENGTH, length - VnetHeader.LENGTH) != ParseResult.OK)
        {
            counters.incrementBridgeDomain(0, SwitchCounters.BD_UNKNOWN_INGRESS);
            return;
        }
        counters.incrementPort(legPort, SwitchCounters.RX_PACKETS);
        counters.addPort(legPort, SwitchCounters.RX_BYTES, length - VnetHeader.LENGTH);
        final long destination = ethernet.destination();
        if (!MacAddress.isMulticast(destination))
        {
            final int egress = knownEgress(bd, destination);
            if (egress != MacTable.NO_PORT)
            {
                if (egress >= SwitchCounters.MAX_PORTS || portBridgeDomain[egress] != bd)
                {
                    counters.drop(legPort, bd, SwitchCounters.PORT_ISOLATION, SwitchCounters.BD_ISOLATION);
                }
                else if (egress == legPort || portKind[egress] == KIND_LEG)
                {
                    counters.drop(legPort, bd, SwitchCounters.PORT_SAME_PORT, SwitchCounters.BD_SAME_PORT);
                }
                else if (transmit(egress, bd, buffer, offset, length))
                {
                    counters.incrementBridgeDomain(bd, SwitchCounters.BD_FORWARDED);
                }
                return;
            }
        }
        for (final int port : bridgeDomainPorts[bd])
        {
            if (port != legPort && portKind[port] != KIND_LEG)
            {
                transmit(port, bd, buffer, offset, length);
            }
        }
        counters.incrementBridgeDomain(bd, SwitchCounters.BD_FLOODED);
    }

    public boolean transmitRouted(final int port, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        currentRxTime = 0;
        return portKind[port] == KIND_ROUTED && transmit(port, 0, buffer, offset, length);
    }

    private boolean transmit(
        final int egress, final int bd, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        if (portLane[egress] != lane)
        {
            if (handoff.offer(lane, portLane[egress], egress, currentRxTime, buffer, offset, length))
            {
                return true;
            }
            counters.drop(egress, bd, SwitchCounters.PORT_TX_FULL, SwitchCounters.BD_TX_FULL);
            return false;
        }
        if (portKind[egress] == KIND_LEG)
        {
            counters.incrementPort(egress, SwitchCounters.TX_PACKETS);
            counters.addPort(egress, SwitchCounters.TX_BYTES, length - VnetHeader.LENGTH);
            l3.queueFrame(false, egress, buffer, offset, length);
            sentHere = true;
            return true;
        }
        if (length > portMaxFrameLength[egress])
        {
            counters.drop(egress, bd, SwitchCounters.PORT_TX_TOO_LONG, SwitchCounters.BD_TX_TOO_LONG);
            return false;
        }
        if (!portIo[egress].offer(buffer, offset, length))
        {
            counters.drop(egress, bd, SwitchCounters.PORT_TX_FULL, SwitchCounters.BD_TX_FULL);
            return false;
        }
        counters.incrementPort(egress, SwitchCounters.TX_PACKETS);
        counters.addPort(egress, SwitchCounters.TX_BYTES, length - VnetHeader.LENGTH);
        if (!dirty[egress])
        {
            dirty[egress] = true;
            dirtyPorts[dirtyCount++] = egress;
        }
        sentHere = true;
        return true;
    }

    private void noteRxTime(final long rxTime)
    {
        if (rxTime != 0 && rxTimeCount < rxTimes.length)
        {
            rxTimes[rxTimeCount++] = rxTime;
        }
    }

    /** The gauge has one writer, lane 0; other lanes' learning shows in the table's own count (Switch reads it). */
    private void publishMacCount(final int bd)
    {
        if (lane != 0)
        {
            return;
        }
        counters.setBridgeDomain(bd, SwitchCounters.BD_MAC_ENTRIES, macTable.size(bd));
    }

    public void onAged(final int bridgeDomainId, final long mac, final int portId)
    {
        counters.incrementBridgeDomain(bridgeDomainId, SwitchCounters.BD_AGED);
        publishMacCount(bridgeDomainId);
    }

    /**
     * Command: whether the domain's container ports reach each other; off, they reach only the router leg (the
     * gateway, NAT, published ports), as Docker's {@code enable_icc=false}.
     */
    public void onInterContainer(final int bridgeDomainId, final boolean allowed)
    {
        if (null == bridgeDomainPorts[bridgeDomainId])
        {
            throw new IllegalArgumentException("forwarding agent has no bridge domain " + bridgeDomainId);
        }
        noInterContainer[bridgeDomainId] = !allowed;
    }

    /** Command: a new, empty bridge domain (inter-container communication on). */
    public void onBridgeDomainCreated(final int bridgeDomainId)
    {
        bridgeDomainPorts[bridgeDomainId] = NO_PORTS;
        noInterContainer[bridgeDomainId] = false;
        publishMacCount(bridgeDomainId);
    }

    /** Command: the bridge domain (already without ports) goes away with its MAC entries. */
    public void onBridgeDomainRemoved(final int bridgeDomainId)
    {
        if (lane == 0)
        {
            macTable.flushBridgeDomain(bridgeDomainId, true);
        }
        bridgeDomainPorts[bridgeDomainId] = null;
        publishMacCount(bridgeDomainId);
    }

    /** Command: the port joins its bridge domain, whose member list becomes {@code members}. */
    public void onPortAdded(final int portId, final PacketPort io, final int bridgeDomainId, final int[] members)
    {
        onPortAdded(portId, io, bridgeDomainId, members, KIND_BRIDGED);
    }

    /**
     * Command: a port of the given kind. A leg joins its bridge domain like a bridged port; a routed port has
     * bridge domain 0 and no members.
     */
    public void onPortAdded(
        final int portId, final PacketPort io, final int bridgeDomainId, final int[] members, final byte kind)
    {
        onPortAdded(portId, io, bridgeDomainId, members, kind, lane);
    }

    /**
     * Command: a port owned by {@code ownerLane}; this agent keeps its io only if it is the owner (the others hand
     * its frames over). A router leg or routed port is owned by the router's lane.
     */
    public void onPortAdded(final int portId, final PacketPort io, final int bridgeDomainId, final int[] members,
        final byte kind, final int ownerLane)
    {
        if (ownerLane < 0 || ownerLane >= handoff.lanes())
        {
            throw new IllegalArgumentException("lane " + ownerLane + " not in [0, " + handoff.lanes() + ")");
        }
        final boolean owned = ownerLane == lane;
        if (kind != KIND_BRIDGED && (owned ? null == l3 : ownerLane != 0))
        {
            throw new IllegalArgumentException("no L3 handler: cannot add a router leg or routed port");
        }
        portKind[portId] = kind;
        portLane[portId] = (byte)ownerLane;
        portName[portId] = io.name();
        portIo[portId] = owned ? io : null;
        portMaxFrameLength[portId] = owned ? io.maxFrameLength() : 0;
        if (kind == KIND_ROUTED)
        {
            portBridgeDomain[portId] = 0;
            return;
        }
        portBridgeDomain[portId] = bridgeDomainId;
        bridgeDomainPorts[bridgeDomainId] = members;
    }

    /**
     * Command: the port is received and sent by {@code ownerLane} from now on (a rebalance). The old owner sends
     * what it queued for the port first and then never offers to it again; the Switch tells the old owner before
     * the new one, so the TX ring never has two producers.
     */
    public void onPortMoved(final int portId, final PacketPort io, final int ownerLane)
    {
        if (null == portName[portId] || portKind[portId] != KIND_BRIDGED)
        {
            throw new IllegalArgumentException("forwarding agent has no bridged port " + portId);
        }
        if (dirty[portId] && null != portIo[portId])
        {
            portIo[portId].flush();
        }
        final boolean owned = ownerLane == lane;
        portLane[portId] = (byte)ownerLane;
        portIo[portId] = owned ? io : null;
        portMaxFrameLength[portId] = owned ? io.maxFrameLength() : 0;
    }

    /** Command: the port leaves; its MAC entries (static too) are flushed. After this it is never touched. */
    public void onPortRemoved(final int portId, final int[] members)
    {
        portName[portId] = null;
        if (portKind[portId] == KIND_ROUTED)
        {
            if (dirty[portId])
            {
                portIo[portId].flush();
            }
            portIo[portId] = null;
            portMaxFrameLength[portId] = 0;
            portKind[portId] = KIND_BRIDGED;
            portLane[portId] = 0;
            return;
        }
        final int bd = portBridgeDomain[portId];
        if (bd == 0)
        {
            throw new IllegalArgumentException("forwarding agent has no port " + portId);
        }
        if (dirty[portId])
        {
            portIo[portId].flush();
        }
        portIo[portId] = null;
        portBridgeDomain[portId] = 0;
        portMaxFrameLength[portId] = 0;
        portKind[portId] = KIND_BRIDGED;
        portLane[portId] = 0;
        bridgeDomainPorts[bd] = members;
        if (lane == 0)
        {
            macTable.flushPort(portId); // the Switch removes a port from lane 0 last: no lane learns it after this
            publishMacCount(bd);
        }
    }

    /** Command: a bridge domain's router leg, with the router's MAC static on it; all or nothing. */
    public void onRouterLegAdded(final int portId, final PacketPort leg, final int bridgeDomainId,
        final int[] members, final int[] oldMembers, final long routerMac)
    {
        onPortAdded(portId, leg, bridgeDomainId, members, KIND_LEG, 0);
        if (lane != 0)
        {
            return; // the static entry is lane 0's to add
        }
        try
        {
            onStaticMac(bridgeDomainId, routerMac, portId);
        }
        catch (final IllegalArgumentException ex)
        {
            onPortRemoved(portId, oldMembers);
            throw ex;
        }
    }

    /** Command: a static entry. */
    public void onStaticMac(final int bridgeDomainId, final long mac, final int portId)
    {
        if (portBridgeDomain[portId] != bridgeDomainId)
        {
            throw new IllegalArgumentException("port " + portId + " is not in bridge domain " + bridgeDomainId);
        }
        if (!macTable.putStatic(bridgeDomainId, mac, portId, nowNanos))
        {
            throw new IllegalArgumentException(
                "MAC table full of static entries (" + macTable.capacity() + "): static " + MacAddress.toString(mac) +
                " not added");
        }
        publishMacCount(bridgeDomainId);
    }

    /** Command: removes the bridge domain's learned entries (static ones stay). @return entries removed. */
    public int onFlush(final int bridgeDomainId)
    {
        final int removed = macTable.flushBridgeDomain(bridgeDomainId, false);
        publishMacCount(bridgeDomainId);
        return removed;
    }

    /** Command: every MAC entry, aged as of this duty cycle. Allocates. */
    public List<MacEntry> snapshotMacTable()
    {
        final long now = clock.nanoTime();
        final List<MacEntry> entries = new ArrayList<>(macTable.size());
        macTable.forEach((bd, mac, port, lastSeen, isStatic) ->
        {
            final String name = port < SwitchCounters.MAX_PORTS ? portName[port] : null;
            entries.add(new MacEntry(
                bd, MacAddress.toString(mac), port, null == name ? "?" : name,
                isStatic ? 0 : Math.max(0, (now - lastSeen) / 1_000_000_000L), isStatic));
        });
        return entries;
    }

    public MacTable macTable()
    {
        return macTable;
    }

    public int lane()
    {
        return lane;
    }

    /** The cached time of the current duty cycle. */
    public long nowNanos()
    {
        return nowNanos;
    }
}
