package io.jvs.dataplane.engine;

import io.jvs.dataplane.mac.MacEntry;
import io.jvs.tap.PacketPort;

import java.util.List;

/**
 * The forwarding agent's commands as typed calls from the control thread: each is queued on the agent's
 * {@link CommandQueue} and returns once the agent has applied it (see {@link CommandQueue#call} for what it
 * throws).
 */
public final class ForwardingAgentProxy
{
    private final CommandQueue commands;
    private final ForwardingAgent agent;

    public ForwardingAgentProxy(final ForwardingAgent agent)
    {
        this.agent = agent;
        this.commands = agent.commands();
    }

    public void bridgeDomainCreated(final int bridgeDomainId)
    {
        commands.run("create bridge domain " + bridgeDomainId, () -> agent.onBridgeDomainCreated(bridgeDomainId));
    }

    public void bridgeDomainRemoved(final int bridgeDomainId)
    {
        commands.run("remove bridge domain " + bridgeDomainId, () -> agent.onBridgeDomainRemoved(bridgeDomainId));
    }

    /** A bridged port; its bridge domain's members become {@code members}. */
    public void portAdded(final int portId, final PacketPort io, final int bridgeDomainId, final int[] members)
    {
        portAdded(portId, io, bridgeDomainId, members, agent.lane());
    }

    /** A bridged port owned by {@code ownerLane} (this agent transmits on it only if it is that lane's). */
    public void portAdded(
        final int portId, final PacketPort io, final int bridgeDomainId, final int[] members, final int ownerLane)
    {
        commands.run("add port " + portId + " to forwarding",
            () -> agent.onPortAdded(portId, io, bridgeDomainId, members, ForwardingAgent.KIND_BRIDGED, ownerLane));
    }

    /** A port outside every bridge domain whose frames all go to the router (lane 0's). */
    public void routedPortAdded(final int portId, final PacketPort io)
    {
        commands.run("add routed port " + portId,
            () -> agent.onPortAdded(portId, io, 0, null, ForwardingAgent.KIND_ROUTED, 0));
    }

    public void routerLegAdded(final int portId, final PacketPort leg, final int bridgeDomainId, final int[] members,
        final int[] oldMembers, final long routerMac)
    {
        commands.run("add router leg to bridge domain " + bridgeDomainId,
            () -> agent.onRouterLegAdded(portId, leg, bridgeDomainId, members, oldMembers, routerMac));
    }

    /** The port is received and sent by {@code ownerLane} from now on. */
    public void portMoved(final int portId, final PacketPort io, final int ownerLane)
    {
        commands.run("move port " + portId + " to lane " + ownerLane, () -> agent.onPortMoved(portId, io, ownerLane));
    }

    /** The port leaves; its bridge domain's members become {@code members} (null for a routed port). */
    public void portRemoved(final int portId, final int[] members)
    {
        commands.run("remove port " + portId + " from forwarding", () -> agent.onPortRemoved(portId, members));
    }

    /** Whether the bridge domain's container ports reach each other or only its router leg. */
    public void interContainer(final int bridgeDomainId, final boolean allowed)
    {
        commands.run("inter-container " + allowed + " in bridge domain " + bridgeDomainId,
            () -> agent.onInterContainer(bridgeDomainId, allowed));
    }

    public void staticMac(final int bridgeDomainId, final long mac, final int portId)
    {
        commands.run("add static MAC", () -> agent.onStaticMac(bridgeDomainId, mac, portId));
    }

    /** @return learned entries removed. */
    public int flushMacs(final int bridgeDomainId)
    {
        return commands.call("flush MACs", () -> agent.onFlush(bridgeDomainId));
    }

    public List<MacEntry> macTable()
    {
        return commands.call("MAC table snapshot", agent::snapshotMacTable);
    }

    /** Returns once the agent has started a new duty cycle: the previous batch is forwarded and flushed. */
    public void sync()
    {
        commands.run("sync forwarding", () ->
        {
        });
    }

    /** Stops accepting commands: the agent no longer runs. */
    public void close(final String reason)
    {
        commands.close(reason);
    }
}
