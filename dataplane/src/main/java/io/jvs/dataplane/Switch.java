package io.jvs.dataplane;

import io.jvs.dataplane.mac.MacEntry;
import io.jvs.dataplane.engine.DropReason;
import io.jvs.dataplane.engine.CommandQueue;
import io.jvs.dataplane.engine.ForwardingAgent;
import io.jvs.dataplane.engine.BridgeDomainCounter;
import io.jvs.dataplane.engine.ForwardingAgentProxy;
import io.jvs.dataplane.engine.IdleStrategies;
import io.jvs.dataplane.engine.Lane;
import io.jvs.dataplane.engine.LaneHandoff;
import io.jvs.dataplane.engine.PollIdleStrategy;
import io.jvs.dataplane.engine.PortSecurity;
import io.jvs.dataplane.engine.ReceiveAgentProxy;
import io.jvs.dataplane.engine.SwitchCounters;
import io.jvs.dataplane.l3.Router;
import io.jvs.dataplane.l3.RouterCounters;
import io.jvs.dataplane.l3.RouterLeg;
import io.jvs.dataplane.l3.RouterProxy;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.mac.MacTable;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.NativeException;
import io.jvs.tap.PacketPort;
import io.jvs.tap.SharedLinkPort;
import io.jvs.tap.ThreadAffinity;
import io.jvs.tap.ThreadPriority;
import io.jvs.tap.counters.CountersRegistry;
import org.HdrHistogram.Histogram;
import org.agrona.BitUtil;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The switch as the control layer sees it: bridge domains (one per network) and ports in them.
 * <p>
 * Configuration calls are thread safe and may allocate; each is handed to the agents owning the forwarding
 * state as a command (through their typed proxies, {@link ForwardingAgentProxy} and {@link ReceiveAgentProxy})
 * and returns once every agent has applied it, so that after {@link #removePort} returns no agent touches the
 * port any more and its {@link PacketPort} has been closed.
 * Invalid requests (unknown ids, a port already in use, ...) throw {@link IllegalArgumentException} and change
 * nothing.
 * <pre>
 *   ports --receive()--> ReceiveAgent --OneToOneRingBuffer [rx time|vnet hdr|frame]--> ForwardingAgent --offer()/flush()--> ports
 *                            ^                                                              ^
 *                            +------------- commands (ManyToOneConcurrentArrayQueue) -------+---- Switch (control thread)
 * </pre>
 * With several lanes ({@link SwitchConfig#lanes()}) each lane is that picture on a thread of its own, owning a
 * share of the ports (a new port goes to the lane with fewest); frames for another lane's port cross a
 * {@link LaneHandoff} ring. Lane 0 owns the router and the ports several share a socket with ({@link SharedLinkPort}).
 * The MAC table is one, shared; counters are per lane and summed here.
 * <p>
 * Over 800 lines, not split yet: the seams are the lane placement and rebalance (could be a {@code LanePlacement}),
 * and the per-lane summing of stats (a {@code SwitchStatsReader}); both moved in this session's lanes work and want a
 * quiet JMH and CI run of their own before they move again.
 */
public final class Switch implements AutoCloseable
{
    /** How long a configuration call waits for the agents. */
    public static final long COMMAND_TIMEOUT_MILLIS = CommandQueue.CALL_TIMEOUT_MILLIS;
    public static final String SHARED_THREAD_NAME = "jvs-switch";
    public static final int MIN_RING_CAPACITY = 4096;
    public static final int MAX_BATCH_SIZE = 4096;
    /** Errors logged in full before logging goes to one in {@link #ERROR_LOG_EVERY}. */
    static final int ERRORS_LOGGED_IN_FULL = 10;
    static final int ERROR_LOG_EVERY = 10_000;

    private static final System.Logger LOGGER = System.getLogger("io.jvs.dataplane");

    private static final class BridgeDomain
    {
        final int id;
        final String name;
        final List<Integer> ports = new ArrayList<>();
        /** The router leg's port id, 0 if the domain has no gateway; a forwarding member, not in {@link #ports}. */
        int legPort;
        /** Whether its ports reach each other, not only the leg. */
        boolean interContainer = true;

        BridgeDomain(final int id, final String name)
        {
            this.id = id;
            this.name = name;
        }

        int[] members()
        {
            final int[] members = ports.stream().mapToInt(Integer::intValue).toArray();
            if (legPort == 0)
            {
                return members;
            }
            final int[] withLeg = java.util.Arrays.copyOf(members, members.length + 1);
            withLeg[members.length] = legPort;
            return withLeg;
        }
    }

    private record Port(int id, PacketPort io, String name, int bridgeDomainId, byte kind, int lane)
    {
    }

    private final SwitchConfig config;
    /** Every counter of this instance (switch, router, what the control plane adds): where stats read. */
    private final CountersRegistry registry;
    private final Lane[] lanes;
    private final LaneHandoff handoff;
    private final MacTable macTable;
    private final PortSecurity portSecurity = new PortSecurity(SwitchCounters.MAX_PORTS);
    private final Routing routing;
    private final List<AgentRunner> runners = new ArrayList<>();
    /** CPU of each runner's thread, in runner order; empty when the threads are left to the scheduler. */
    private final int[] threadCpus;
    private final Histogram latencyTotal = new Histogram(
        1, ForwardingAgent.MAX_LATENCY_NANOS, ForwardingAgent.LATENCY_SIGNIFICANT_DIGITS);
    /** Per lane: the interval histogram its recorder hands back (a recorder recycles only its own). */
    private final Histogram[] latencyIntervals;
    private final AtomicLong agentErrors = new AtomicLong();
    private volatile Throwable lastAgentError;

    private final Map<Integer, BridgeDomain> bridgeDomains = new TreeMap<>();
    private final Map<Integer, Port> ports = new TreeMap<>();
    private int nextBridgeDomainId = 1;
    private int nextPortId = 1;
    private boolean closed;

    private Switch(final SwitchConfig config, final NatConfig natConfig)
    {
        validate(config);
        if (null == natConfig)
        {
            throw new IllegalArgumentException("natConfig is null");
        }
        // Room for every lane's switch counters beside the rest (router, overlay, LAN, resolver).
        registry = new CountersRegistry(
            CountersRegistry.DEFAULT_MAX_RECORDS + (config.lanes() - 1) * SwitchCounters.REGISTRY_RECORDS,
            CountersRegistry.DEFAULT_VALUES_CAPACITY + (config.lanes() - 1) * SwitchCounters.REGISTRY_BYTES);
        final Router router = new Router(natConfig, new RouterCounters(registry));
        this.config = config;
        macTable = newMacTable(config);

        final boolean shared = config.threadingMode() == SwitchConfig.ThreadingMode.SHARED;
        handoff = config.lanes() == 1 ? LaneHandoff.single() :
            new LaneHandoff(config.lanes(), LaneHandoff.DEFAULT_RING_BYTES);
        lanes = new Lane[config.lanes()];
        latencyIntervals = new Histogram[config.lanes()];
        for (int i = 0; i < lanes.length; i++)
        {
            lanes[i] = new Lane(i, config.ringCapacityBytes(), config.batchSize(), macTable, registry,
                IdleStrategies.create(config.idleStrategy(), true), i == 0 ? router : null, handoff, portSecurity);
        }
        routing = new Routing(this, new Ports(), new RouterProxy(lanes[0].forwardingAgent().commands(), router));

        if (shared)
        {
            for (final Lane lane : lanes)
            {
                final String name = lane.id() == 0 ? SHARED_THREAD_NAME : SHARED_THREAD_NAME + "-" + lane.id();
                final CompositeAgent both = new CompositeAgent(lane.receiveAgent(), lane.forwardingAgent())
                {
                    public String roleName()
                    {
                        return name; // AgentRunner names the thread after the role
                    }
                };
                runners.add(new AgentRunner(lane.idle(), this::onAgentError, null, both));
            }
        }
        else
        {
            runners.add(new AgentRunner(lanes[0].idle(), this::onAgentError, null, lanes[0].receiveAgent()));
            runners.add(new AgentRunner(IdleStrategies.create(config.idleStrategy(), false), this::onAgentError, null,
                lanes[0].forwardingAgent()));
        }
        threadCpus = SwitchCpus.resolve(config.switchCpus(), runners.size(), ThreadAffinity.allowedCpus());
    }

    /** Room kept for static entries (router legs): learning stops this far short of the capacity. */
    static final int STATIC_RESERVE_SHARE = 16;
    /** A bridge domain learns at most this share of the table, so one network cannot take it from the others. */
    static final int BRIDGE_DOMAIN_SHARE = 4;

    /**
     * The shared MAC table with its learning bounds: each container port {@link SwitchConfig#portMacLimit()}, each
     * bridge domain a quarter of what may be learned (at least a port's worth), a sixteenth kept for static entries.
     */
    private static MacTable newMacTable(final SwitchConfig config)
    {
        final int capacity = config.macTableCapacity();
        final int reserve = capacity / STATIC_RESERVE_SHARE;
        final int portLimit = config.portMacLimit() == SwitchConfig.NO_PORT_MAC_LIMIT ? MacTable.UNLIMITED :
            Math.min(config.portMacLimit(), capacity - reserve);
        final int share = Math.max(1, (capacity - reserve) / BRIDGE_DOMAIN_SHARE);
        final int bridgeDomainLimit = portLimit == MacTable.UNLIMITED ? share :
            Math.max(Math.min(portLimit, capacity - reserve), share);
        return new MacTable(capacity, SwitchCounters.MAX_BRIDGE_DOMAINS - 1, SwitchCounters.MAX_PORTS - 1,
            config.macAgingNanos(), portLimit, bridgeDomainLimit, reserve);
    }

    private static void validate(final SwitchConfig config)
    {
        if (null == config)
        {
            throw new IllegalArgumentException("config is null");
        }
        if (null == config.threadingMode())
        {
            throw new IllegalArgumentException("threadingMode is null");
        }
        IdleStrategies.validate(config.idleStrategy());
        final int ring = config.ringCapacityBytes();
        if (ring < MIN_RING_CAPACITY || !BitUtil.isPowerOfTwo(ring))
        {
            throw new IllegalArgumentException(
                "ringCapacityBytes=" + ring + " must be a power of two >= " + MIN_RING_CAPACITY);
        }
        if (config.batchSize() < 1 || config.batchSize() > MAX_BATCH_SIZE)
        {
            throw new IllegalArgumentException("batchSize=" + config.batchSize() + " not in [1, " + MAX_BATCH_SIZE + "]");
        }
        if (config.macTableCapacity() < 1 || config.macTableCapacity() > MacTable.MAX_CAPACITY)
        {
            throw new IllegalArgumentException(
                "macTableCapacity=" + config.macTableCapacity() + " not in [1, " + MacTable.MAX_CAPACITY + "]");
        }
        if (config.threadNice() < ThreadPriority.MIN_NICE || config.threadNice() > ThreadPriority.MAX_NICE)
        {
            throw new IllegalArgumentException("threadNice=" + config.threadNice() + " not in [" +
                ThreadPriority.MIN_NICE + ", " + ThreadPriority.MAX_NICE + "]");
        }
        if (config.threadRtPriority() < 0 || config.threadRtPriority() > ThreadPriority.MAX_RT_PRIORITY)
        {
            throw new IllegalArgumentException("threadRtPriority=" + config.threadRtPriority() + " not in [0, " +
                ThreadPriority.MAX_RT_PRIORITY + "]");
        }
        if (config.threadRtPriority() > 0 && !config.idleStrategy().startsWith(PollIdleStrategy.ALIAS))
        {
            throw new IllegalArgumentException("threadRtPriority needs the poll idle strategy (a real-time thread " +
                "must block when idle), not " + config.idleStrategy());
        }
        if (config.macAgingNanos() <= 0)
        {
            throw new IllegalArgumentException("macAgingNanos=" + config.macAgingNanos() + " must be > 0");
        }
        if (config.lanes() < 1 || config.lanes() > LaneHandoff.MAX_LANES)
        {
            throw new IllegalArgumentException("lanes=" + config.lanes() + " not in [1, " + LaneHandoff.MAX_LANES + "]");
        }
        if (config.lanes() > 1 && config.threadingMode() != SwitchConfig.ThreadingMode.SHARED)
        {
            throw new IllegalArgumentException("dedicated threads split one lane's receive and forwarding: " +
                "use them with one lane, not " + config.lanes());
        }
    }

    /** Starts the agents threads as the config says. */
    public static Switch start(final SwitchConfig config)
    {
        return start(config, NatConfig.defaults());
    }

    /** Starts the agents with the router's connection tracking sized and timed by {@code natConfig}. */
    public static Switch start(final SwitchConfig config, final NatConfig natConfig)
    {
        final Switch sw = new Switch(config, natConfig);
        for (int i = 0; i < sw.runners.size(); i++)
        {
            final int cpu = sw.threadCpus.length > 0 ? sw.threadCpus[i] : -1;
            AgentRunner.startOnThread(sw.runners.get(i), r ->
            {
                final Thread thread = new Thread(() ->
                {
                    sw.applyThreadNice();
                    sw.applyThreadCpu(cpu);
                    r.run();
                });
                thread.setDaemon(true); // a switch left open must not keep the JVM alive
                return thread;
            });
        }
        return sw;
    }

    public SwitchConfig config()
    {
        return config;
    }

    /** Gateways, uplink, host port, NAT and published ports. */
    public Routing routing()
    {
        return routing;
    }

    /** @return the new bridge domain's id (> 0). */
    public synchronized int createBridgeDomain(final String name)
    {
        checkOpen();
        if (null == name || name.isBlank())
        {
            throw new IllegalArgumentException("bridge domain name is empty");
        }
        for (final BridgeDomain bd : bridgeDomains.values())
        {
            if (bd.name.equals(name))
            {
                throw new IllegalArgumentException("bridge domain '" + name + "' exists (id " + bd.id + ")");
            }
        }
        final int id = allocateId(nextBridgeDomainId, SwitchCounters.MAX_BRIDGE_DOMAINS, bridgeDomains, "bridge domains");
        for (final Lane lane : lanes)
        {
            lane.counters().openBridgeDomain(id, name);
        }
        for (final Lane lane : lanes)
        {
            lane.forwarding().bridgeDomainCreated(id);
        }
        bridgeDomains.put(id, new BridgeDomain(id, name));
        nextBridgeDomainId = id + 1;
        return id;
    }

    /** Refused while the bridge domain still has ports. */
    public synchronized void removeBridgeDomain(final int bridgeDomainId)
    {
        checkOpen();
        final BridgeDomain bd = bridgeDomain(bridgeDomainId);
        if (!bd.ports.isEmpty())
        {
            throw new IllegalArgumentException(
                "bridge domain " + bridgeDomainId + " still has ports " + bd.ports + ": remove them first");
        }
        if (bd.legPort != 0)
        {
            routing.removeGateways(bridgeDomainId);
        }
        if (!bd.interContainer)
        {
            routing.setInterContainer(bridgeDomainId, true); // a later domain with this id starts open
        }
        for (final Lane lane : lanes)
        {
            lane.forwarding().bridgeDomainRemoved(bridgeDomainId);
        }
        bridgeDomains.remove(bridgeDomainId);
        for (final Lane lane : lanes)
        {
            lane.counters().closeBridgeDomain(bridgeDomainId);
        }
    }

    /**
     * Attaches a port to a bridge domain; the switch owns (and eventually closes) the {@link PacketPort}.
     *
     * @return the new port's id (> 0).
     */
    public synchronized int addPort(final PacketPort io, final int bridgeDomainId)
    {
        checkOpen();
        if (null == io)
        {
            throw new IllegalArgumentException("port io is null");
        }
        final BridgeDomain bd = bridgeDomain(bridgeDomainId);
        for (final Port port : ports.values())
        {
            if (port.io == io)
            {
                throw new IllegalArgumentException("port '" + port.name + "' is already attached as port " + port.id);
            }
        }
        final int id = allocateId(nextPortId, SwitchCounters.MAX_PORTS, ports, "ports");
        final Lane owner = placeOnLane(io);
        // A tunnel or LAN port stands for many stations; a container port for one (or a few).
        macTable.setPortLimit(id, io instanceof SharedLinkPort ? MacTable.UNLIMITED : macTable.portLimit());
        final Port port = new Port(id, io, io.name(), bridgeDomainId, ForwardingAgent.KIND_BRIDGED, owner.id());
        openPortCounters(id, port.name, bridgeDomainId);

        final int[] oldMembersWithLeg = bd.members();
        final int[] members = java.util.Arrays.copyOf(oldMembersWithLeg, oldMembersWithLeg.length + 1);
        members[oldMembersWithLeg.length] = id;
        // Forwarding first (every lane), so each knows the port before the first frame from it can reach a ring.
        int added = 0;
        try
        {
            for (; added < lanes.length; added++)
            {
                lanes[added].forwarding().portAdded(id, io, bridgeDomainId, members, owner.id());
            }
            owner.receive().portAdded(id, io, bridgeDomainId);
        }
        catch (final RuntimeException ex)
        {
            for (int i = added - 1; i >= 0; i--)
            {
                lanes[i].forwarding().portRemoved(id, oldMembersWithLeg);
            }
            closePortCounters(id);
            throw ex;
        }
        owner.portPlaced(1);
        bd.ports.add(id);
        ports.put(id, port);
        nextPortId = id + 1;
        return id;
    }

    /**
     * The lane a new port is received and sent by: the one with fewest ports; a port that shares a socket with
     * others (an overlay tunnel, a macvlan/ipvlan member) goes where its link is read, lane 0.
     */
    private Lane placeOnLane(final PacketPort io)
    {
        if (io instanceof SharedLinkPort)
        {
            return lanes[0];
        }
        Lane best = lanes[0];
        for (final Lane lane : lanes)
        {
            if (lane.ports() < best.ports())
            {
                best = lane;
            }
        }
        return best;
    }

    private void openPortCounters(final int portId, final String name, final int bridgeDomainId)
    {
        for (final Lane lane : lanes)
        {
            lane.counters().openPort(portId, name, bridgeDomainId);
        }
    }

    private void closePortCounters(final int portId)
    {
        for (final Lane lane : lanes)
        {
            lane.counters().closePort(portId);
        }
    }

    /** Every lane forgets the port, lane 0 last: it flushes the port's MACs once no lane can learn them again. */
    private void removeFromForwarding(final int portId, final int[] members)
    {
        for (int i = lanes.length - 1; i >= 0; i--)
        {
            lanes[i].forwarding().portRemoved(portId, members);
        }
    }

    /**
     * Port security (anti-spoofing): from now on the port sends only from {@code mac}, IPv4 {@code ipv4} and IPv6
     * {@code ipv6High:ipv6Low} (0:0: link-local only); other frames are dropped and counted as spoofed. Until the port
     * is removed. See {@link PortSecurity}.
     */
    public synchronized void securePort(final int portId, final long mac, final int ipv4, final long ipv6High,
        final long ipv6Low)
    {
        checkOpen();
        if (port(portId).kind != ForwardingAgent.KIND_BRIDGED)
        {
            throw new IllegalArgumentException("port " + portId + " belongs to the router: only bridged ports are secured");
        }
        portSecurity.secure(portId, mac, ipv4, ipv6High, ipv6Low);
    }

    /** Whether {@link #securePort} holds for the port. */
    public synchronized boolean isSecured(final int portId)
    {
        return portSecurity.isSecured(portId);
    }

    /** Detaches and closes a port and flushes the MACs learned on it. */
    public synchronized void removePort(final int portId)
    {
        checkOpen();
        final Port port = port(portId);
        if (port.kind != ForwardingAgent.KIND_BRIDGED)
        {
            throw new IllegalArgumentException("port " + portId + " belongs to the router: use routing()");
        }
        removePortOfAnyKind(port);
        rebalance();
    }

    /**
     * After a removal: while the fullest lane has two ports more than the emptiest, one of its ports that may move
     * (not one sharing a socket with others) moves to the emptiest. A move: the old lane stops reading the port,
     * every lane learns the new owner (the old one first, so the TX ring never has two producers; frames handed to a
     * lane that has not heard yet are passed on), then the new lane reads it. Frames wait in the port's RX ring
     * meanwhile; frames already in flight to the port may be reordered once.
     */
    private void rebalance()
    {
        if (lanes.length == 1)
        {
            return;
        }
        for (int moves = 0; moves < ports.size(); moves++)
        {
            Lane fullest = lanes[0];
            Lane emptiest = lanes[0];
            for (final Lane lane : lanes)
            {
                fullest = lane.ports() > fullest.ports() ? lane : fullest;
                emptiest = lane.ports() < emptiest.ports() ? lane : emptiest;
            }
            if (fullest.ports() - emptiest.ports() < 2)
            {
                return;
            }
            Port movable = null;
            for (final Port port : ports.values())
            {
                if (port.lane == fullest.id() && port.kind == ForwardingAgent.KIND_BRIDGED &&
                    !(port.io instanceof SharedLinkPort))
                {
                    movable = port;
                    break;
                }
            }
            if (null == movable)
            {
                return; // what fills it cannot move (lane 0's shared-link ports)
            }
            movePort(movable, emptiest);
        }
    }

    private void movePort(final Port port, final Lane to)
    {
        final Lane from = lanes[port.lane];
        from.receive().portRemoved(port.id);
        from.portPlaced(-1);
        from.forwarding().portMoved(port.id, port.io, to.id());
        for (final Lane lane : lanes)
        {
            if (lane != from)
            {
                lane.forwarding().portMoved(port.id, port.io, to.id());
            }
        }
        to.receive().portAdded(port.id, port.io, port.bridgeDomainId);
        to.portPlaced(1);
        ports.put(port.id, new Port(port.id, port.io, port.name, port.bridgeDomainId, port.kind, to.id()));
    }

    private void removePortOfAnyKind(final Port port)
    {
        final int portId = port.id;
        portSecurity.clear(portId); // a later port with this id starts unsecured
        final BridgeDomain bd = bridgeDomains.get(port.bridgeDomainId);
        if (port.kind == ForwardingAgent.KIND_LEG)
        {
            bd.legPort = 0;
            ports.remove(portId);
            removeFromForwarding(portId, bd.members());
            closePortCounters(portId);
            return;
        }
        // Receive first: no new frames from the port enter the ring while forwarding forgets it.
        lanes[port.lane].receive().portRemoved(portId);
        if (port.kind == ForwardingAgent.KIND_ROUTED)
        {
            ports.remove(portId);
            lanes[0].forwarding().portRemoved(portId, null); // only lane 0 knows a routed port
        }
        else
        {
            lanes[port.lane].portPlaced(-1);
            if (null != bd)
            {
                bd.ports.remove(Integer.valueOf(portId));
            }
            ports.remove(portId);
            removeFromForwarding(portId, null == bd ? new int[0] : bd.members());
        }
        closePortCounters(portId);
        try
        {
            port.io.close();
        }
        catch (final RuntimeException ex)
        {
            onAgentError(ex);
        }
    }

    /** A MAC entry that never ages and is never moved by learning. mac is the 48-bit address in a long. */
    public synchronized void addStaticMac(final int bridgeDomainId, final long mac, final int portId)
    {
        checkOpen();
        bridgeDomain(bridgeDomainId);
        final Port port = port(portId);
        if (port.bridgeDomainId != bridgeDomainId)
        {
            throw new IllegalArgumentException(
                "port " + portId + " is in bridge domain " + port.bridgeDomainId + ", not " + bridgeDomainId);
        }
        if (!MacAddress.isValidSource(mac) || (mac & ~MacAddress.MASK) != 0)
        {
            throw new IllegalArgumentException(
                "static MAC must be a unicast, non-zero 48-bit address: " + Long.toHexString(mac));
        }
        lanes[0].forwarding().staticMac(bridgeDomainId, mac, portId);
    }

    /** A bridge domain's router leg (virtual port, router MAC static on it). @return its port id. */
    synchronized int addRouterLeg(final int bridgeDomainId, final long routerMac)
    {
        checkOpen();
        final BridgeDomain bd = bridgeDomain(bridgeDomainId);
        if (bd.legPort != 0)
        {
            throw new IllegalArgumentException("bridge domain " + bridgeDomainId + " already has a gateway");
        }
        final int id = allocateId(nextPortId, SwitchCounters.MAX_PORTS, ports, "ports");
        final RouterLeg leg = new RouterLeg("gw-" + bd.name);
        openPortCounters(id, leg.name(), bridgeDomainId);
        final int[] oldMembers = bd.members();
        final int[] members = java.util.Arrays.copyOf(oldMembers, oldMembers.length + 1);
        members[oldMembers.length] = id;
        try
        {
            // Lane 0 first: it adds the router's static MAC, the one step that can be refused.
            for (final Lane lane : lanes)
            {
                lane.forwarding().routerLegAdded(id, leg, bridgeDomainId, members, oldMembers, routerMac);
            }
        }
        catch (final RuntimeException ex)
        {
            for (int i = lanes.length - 1; i >= 1; i--)
            {
                lanes[i].forwarding().portRemoved(id, oldMembers);
            }
            closePortCounters(id);
            throw ex;
        }
        bd.legPort = id;
        ports.put(id, new Port(id, leg, leg.name(), bridgeDomainId, ForwardingAgent.KIND_LEG, 0));
        nextPortId = id + 1;
        return id;
    }

    /** A port outside every bridge domain whose frames all go to the router. @return its port id. */
    synchronized int addRoutedPort(final PacketPort io)
    {
        checkOpen();
        for (final Port port : ports.values())
        {
            if (port.io == io)
            {
                throw new IllegalArgumentException("port '" + port.name + "' is already attached as port " + port.id);
            }
        }
        final int id = allocateId(nextPortId, SwitchCounters.MAX_PORTS, ports, "ports");
        openPortCounters(id, io.name(), 0);
        lanes[0].forwarding().routedPortAdded(id, io);
        try
        {
            lanes[0].receive().portAdded(id, io, 0);
        }
        catch (final RuntimeException ex)
        {
            lanes[0].forwarding().portRemoved(id, null);
            closePortCounters(id);
            throw ex;
        }
        ports.put(id, new Port(id, io, io.name(), 0, ForwardingAgent.KIND_ROUTED, 0));
        nextPortId = id + 1;
        return id;
    }

    /** Removes (and closes) a router leg or routed port. */
    synchronized void removeRouterPort(final int portId)
    {
        checkOpen();
        final Port port = port(portId);
        if (port.kind == ForwardingAgent.KIND_BRIDGED)
        {
            throw new IllegalArgumentException("port " + portId + " is not a router port");
        }
        removePortOfAnyKind(port);
    }

    /**
     * Barrier: returns once every frame that a port had handed to the switch before the call has been forwarded
     * or dropped, and the ports that got frames have been flushed.
     */
    public synchronized void sync()
    {
        checkOpen();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(COMMAND_TIMEOUT_MILLIS);
        for (final Lane lane : lanes)
        {
            // A receive-agent command runs between two polls, so every frame taken from a port before it is in
            // the ring.
            final RingBuffer ring = lane.ring();
            final long produced = lane.receive().producerPosition(ring);
            while (ring.consumerPosition() < produced)
            {
                awaitUntil(deadline, "the forwarding agent did not drain its ring");
            }
        }
        // A forwarding-agent command runs at the start of a duty cycle, after the previous batch was flushed.
        syncForwarding();
        if (lanes.length > 1)
        {
            // Frames handed to other lanes, then what those produced (a frame routed back): two rounds.
            for (int round = 0; round < 2; round++)
            {
                final long[][] produced = handoff.producerPositions();
                while (!handoff.drained(produced))
                {
                    awaitUntil(deadline, "a lane did not drain its hand-off rings");
                }
                syncForwarding();
            }
        }
    }

    private void syncForwarding()
    {
        for (final Lane lane : lanes)
        {
            lane.forwarding().sync();
        }
    }

    private static void awaitUntil(final long deadline, final String failure)
    {
        if (System.nanoTime() > deadline)
        {
            throw new IllegalStateException("sync: " + failure + " within " + COMMAND_TIMEOUT_MILLIS + " ms");
        }
        Thread.yield();
    }

    /**
     * Whether the bridge domain's ports reach each other (Docker's {@code enable_icc}, on by default); off, each
     * reaches only the domain's router leg (gateway, NAT, published ports), frames between them dropped {@code icc}.
     */
    public synchronized void setInterContainer(final int bridgeDomainId, final boolean allowed)
    {
        checkOpen();
        bridgeDomain(bridgeDomainId).interContainer = allowed;
        for (final Lane lane : lanes)
        {
            lane.forwarding().interContainer(bridgeDomainId, allowed);
        }
        routing.setInterContainer(bridgeDomainId, allowed); // nor routed back through the gateway
    }

    /** Whether the bridge domain's ports reach each other ({@link #setInterContainer}). */
    public synchronized boolean interContainer(final int bridgeDomainId)
    {
        checkOpen();
        return bridgeDomain(bridgeDomainId).interContainer;
    }

    /** Removes the bridge domain's learned MAC entries; static entries stay until their port is removed. */
    public synchronized void flushMacs(final int bridgeDomainId)
    {
        checkOpen();
        bridgeDomain(bridgeDomainId);
        lanes[0].forwarding().flushMacs(bridgeDomainId);
    }

    /** Bridged ports (kernel devices in bridge domains); the router's ports are in {@link Routing#portStats()}. */
    public synchronized List<PortStats> portStats()
    {
        return portStats(false);
    }

    /** @param router true: the router's legs and routed ports; false: bridged ports. */
    synchronized List<PortStats> portStats(final boolean router)
    {
        checkOpen();
        final List<PortStats> stats = new ArrayList<>(ports.size());
        for (final Port port : ports.values())
        {
            if ((port.kind != ForwardingAgent.KIND_BRIDGED) != router)
            {
                continue;
            }
            final Map<String, Long> drops = new LinkedHashMap<>();
            for (final DropReason reason : DropReason.values())
            {
                long sum = 0;
                for (final Lane lane : lanes)
                {
                    sum += lane.counters().portDrops(port.id, reason);
                }
                drops.put(reason.label(), sum);
            }
            stats.add(new PortStats(
                port.id, port.name, port.bridgeDomainId,
                portCounter(port.id, SwitchCounters.RX_PACKETS), portCounter(port.id, SwitchCounters.RX_BYTES),
                portCounter(port.id, SwitchCounters.TX_PACKETS), portCounter(port.id, SwitchCounters.TX_BYTES),
                drops, port.io.ringBytes(), port.lane));
        }
        return stats;
    }

    public synchronized List<BridgeDomainStats> bridgeDomainStats()
    {
        checkOpen();
        final List<BridgeDomainStats> stats = new ArrayList<>(bridgeDomains.size());
        for (final BridgeDomain bd : bridgeDomains.values())
        {
            final Map<String, Long> drops = new LinkedHashMap<>();
            for (final DropReason reason : DropReason.values())
            {
                long sum = 0;
                for (final Lane lane : lanes)
                {
                    sum += lane.counters().bridgeDomainDrops(bd.id, reason);
                }
                drops.put(reason.label(), sum);
            }
            stats.add(new BridgeDomainStats(
                bd.id, bd.name, bd.ports.size(),
                macTable.size(bd.id), // the table's own count: every lane learns, one publishes the gauge
                bridgeDomainCounter(bd.id, SwitchCounters.BD_FORWARDED),
                bridgeDomainCounter(bd.id, SwitchCounters.BD_FLOODED),
                bridgeDomainCounter(bd.id, SwitchCounters.BD_LEARNED),
                bridgeDomainCounter(bd.id, SwitchCounters.BD_MOVES),
                bridgeDomainCounter(bd.id, SwitchCounters.BD_AGED),
                drops));
        }
        return stats;
    }

    /** A port counter summed over the lanes (each lane writes its own). */
    private long portCounter(final int portId, final int field)
    {
        long sum = 0;
        for (final Lane lane : lanes)
        {
            sum += lane.counters().port(portId, field);
        }
        return sum;
    }

    private long bridgeDomainCounter(final int bridgeDomainId, final int field)
    {
        long sum = 0;
        for (final Lane lane : lanes)
        {
            sum += lane.counters().bridgeDomain(bridgeDomainId, field);
        }
        return sum;
    }

    /** Every MAC entry of every bridge domain. */
    public synchronized List<MacEntry> macTable()
    {
        checkOpen();
        return lanes[0].forwarding().macTable();
    }

    /** Forwarding lanes (threads that receive and forward), see {@link SwitchConfig#lanes()}. */
    public int lanes()
    {
        return lanes.length;
    }

    /** Per lane: the ports it receives from and sends to (bridged ports only; the router's are lane 0's). */
    public synchronized int[] portsPerLane()
    {
        final int[] counts = new int[lanes.length];
        for (final Lane lane : lanes)
        {
            counts[lane.id()] = lane.ports();
        }
        return counts;
    }

    /** RX-to-TX latency of every forwarded frame since start. */
    public synchronized LatencySnapshot latency()
    {
        checkOpen();
        foldLatency();
        final Histogram h = latencyTotal;
        return new LatencySnapshot(
            h.getTotalCount(),
            h.getValueAtPercentile(50) / 1000.0,
            h.getValueAtPercentile(99) / 1000.0,
            h.getValueAtPercentile(99.9) / 1000.0,
            h.getMaxValue() / 1000.0);
    }

    /**
     * A copy of the histogram behind {@link #latency()} (nanoseconds), for an exporter that needs its buckets. The
     * lanes' recorders are read as {@code latency()} reads them (an interval swap, no command, no lock on their side).
     */
    public synchronized Histogram latencyHistogram()
    {
        checkOpen();
        foldLatency();
        return latencyTotal.copy();
    }

    /** Adds each lane's interval since the last read to the running total. */
    private void foldLatency()
    {
        for (final Lane lane : lanes)
        {
            latencyIntervals[lane.id()] = lane.latency().getIntervalHistogram(latencyIntervals[lane.id()]);
            latencyTotal.add(latencyIntervals[lane.id()]);
        }
    }

    public synchronized EngineStats engineStats()
    {
        checkOpen();
        long ringSize = 0;
        long ringCapacity = 0;
        for (final Lane lane : lanes)
        {
            ringSize += lane.ring().size();
            ringCapacity += lane.ring().capacity();
        }
        return new EngineStats(
            agentErrors.get(), bridgeDomainCounter(0, SwitchCounters.BD_UNKNOWN_INGRESS),
            macTable.size(), macTable.capacity(),
            registry.sum(BridgeDomainCounter.LEARN_TABLE_FULL), (int)Math.min(Integer.MAX_VALUE, ringSize),
            (int)Math.min(Integer.MAX_VALUE, ringCapacity));
    }

    /**
     * Every counter of this instance, labelled: the switch's ports and bridge domains, the router, and the records
     * other components (overlay, macvlan, the resolver) register. Readers may use it from any thread.
     */
    public CountersRegistry counters()
    {
        return registry;
    }

    /** Last exception an agent threw, or null. */
    public Throwable lastAgentError()
    {
        return lastAgentError;
    }

    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final Lane lane : lanes)
        {
            lane.receive().close("switch is closed");
            lane.forwarding().close("switch is closed");
        }
        for (final AgentRunner runner : runners)
        {
            runner.close();
        }
        for (final Lane lane : lanes)
        {
            lane.close();
        }
        for (final Port port : ports.values())
        {
            try
            {
                port.io.close();
            }
            catch (final RuntimeException ex)
            {
                onAgentError(ex);
            }
        }
        ports.clear();
        bridgeDomains.clear();
    }

    /** On each agent thread before its first duty cycle: without the privilege the switch still runs, slower under load. */
    private void applyThreadNice()
    {
        if (config.threadNice() == 0 && config.threadRtPriority() == 0)
        {
            return;
        }
        try
        {
            if (config.threadRtPriority() > 0)
            {
                ThreadPriority.setCurrentThreadFifo(config.threadRtPriority());
            }
            else
            {
                ThreadPriority.setCurrentThreadNice(config.threadNice());
            }
        }
        catch (final NativeException ex)
        {
            LOGGER.log(System.Logger.Level.WARNING, "switch thread " + Thread.currentThread().getName() +
                " keeps its scheduling priority: " + ex.getMessage());
        }
    }

    /** Binds the calling switch thread to {@code cpu} (-1: left to the scheduler); a refusal only costs speed. */
    private void applyThreadCpu(final int cpu)
    {
        if (cpu < 0)
        {
            return;
        }
        try
        {
            ThreadAffinity.setCurrentThreadCpu(cpu);
        }
        catch (final NativeException ex)
        {
            LOGGER.log(System.Logger.Level.WARNING, "switch thread " + Thread.currentThread().getName() +
                " stays unbound: " + ex.getMessage());
        }
    }

    /** The CPU each switch thread is bound to (receive/shared first), empty when left to the scheduler. */
    public int[] threadCpus()
    {
        return threadCpus.clone();
    }

    private void onAgentError(final Throwable error)
    {
        final long n = agentErrors.incrementAndGet();
        lastAgentError = error;
        if (n <= ERRORS_LOGGED_IN_FULL || n % ERROR_LOG_EVERY == 0)
        {
            LOGGER.log(System.Logger.Level.ERROR, "jvs agent error #" + n, error);
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("switch is closed");
        }
    }

    private BridgeDomain bridgeDomain(final int bridgeDomainId)
    {
        final BridgeDomain bd = bridgeDomains.get(bridgeDomainId);
        if (null == bd)
        {
            throw new IllegalArgumentException("unknown bridge domain " + bridgeDomainId);
        }
        return bd;
    }

    private Port port(final int portId)
    {
        final Port port = ports.get(portId);
        if (null == port)
        {
            throw new IllegalArgumentException("unknown port " + portId);
        }
        return port;
    }

    /**
     * Next free id from {@code start}, wrapping: ids are not reused until the range wraps, so a frame still in
     * flight for a removed port is not charged to a new one.
     */
    private static int allocateId(final int start, final int limit, final Map<Integer, ?> used, final String what)
    {
        for (int n = 0; n < limit - 1; n++)
        {
            final int id = 1 + ((start - 1 + n) % (limit - 1));
            if (!used.containsKey(id))
            {
                return id;
            }
        }
        throw new IllegalArgumentException("no free id: at most " + (limit - 1) + " " + what);
    }

    /** The switch's side of the router's ports, for {@link Routing}. */
    private final class Ports implements RouterPorts
    {
        public int addLeg(final int bridgeDomainId, final long routerMac)
        {
            return addRouterLeg(bridgeDomainId, routerMac);
        }

        public int addRouted(final PacketPort io)
        {
            return addRoutedPort(io);
        }

        public void remove(final int portId)
        {
            removeRouterPort(portId);
        }

        public List<PortStats> stats()
        {
            return portStats(true);
        }
    }
}
