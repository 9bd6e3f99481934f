package io.jvs.dataplane.engine;

import io.jvs.tap.PacketPort;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * The receive agent's commands as typed calls from the control thread: each is queued on the agent's
 * {@link CommandQueue} and returns once the agent has applied it (see {@link CommandQueue#call} for what it
 * throws).
 */
public final class ReceiveAgentProxy
{
    private final CommandQueue commands;
    private final ReceiveAgent agent;

    public ReceiveAgentProxy(final ReceiveAgent agent)
    {
        this.agent = agent;
        this.commands = agent.commands();
    }

    public void portAdded(final int portId, final PacketPort io, final int bridgeDomainId)
    {
        commands.run("add port " + portId + " to receive", () -> agent.onPortAdded(portId, io, bridgeDomainId));
    }

    public void portRemoved(final int portId)
    {
        commands.run("remove port " + portId + " from receive", () -> agent.onPortRemoved(portId));
    }

    /**
     * The ring's producer position between two polls: every frame the agent took from a port before the call is
     * in the ring below it.
     */
    public long producerPosition(final RingBuffer ring)
    {
        return commands.call("sync receive", ring::producerPosition);
    }

    /** Stops accepting commands: the agent no longer runs. */
    public void close(final String reason)
    {
        commands.close(reason);
    }
}
