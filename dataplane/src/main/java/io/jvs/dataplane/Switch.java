package io.jvs.dataplane;

import io.jvs.tap.PacketPort;

import java.util.List;

/**
 * The switch as the control layer sees it: bridge domains (one per network) and ports in them.
 * <p>
 * Configuration calls are thread safe and may allocate; each is handed to the agents owning the forwarding
 * state as a command and returns once every agent has applied it, so that after {@link #removePort} returns
 * no agent touches the port any more and its {@link PacketPort} has been closed.
 * Invalid requests (unknown ids, a port already in use, ...) throw {@link IllegalArgumentException} and change
 * nothing.
 */
public final class Switch implements AutoCloseable
{
    private Switch()
    {
    }

    /** Starts the agents threads as the config says. */
    public static Switch start(final SwitchConfig config)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** @return the new bridge domain's id (> 0). */
    public int createBridgeDomain(final String name)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Refused while the bridge domain still has ports. */
    public void removeBridgeDomain(final int bridgeDomainId)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /**
     * Attaches a port to a bridge domain; the switch owns (and eventually closes) the {@link PacketPort}.
     *
     * @return the new port's id (> 0).
     */
    public int addPort(final PacketPort io, final int bridgeDomainId)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Detaches and closes a port and flushes the MACs learned on it. */
    public void removePort(final int portId)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** A MAC entry that never ages and is never moved by learning. mac is the 48-bit address in a long. */
    public void addStaticMac(final int bridgeDomainId, final long mac, final int portId)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public void flushMacs(final int bridgeDomainId)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public List<PortStats> portStats()
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public List<BridgeDomainStats> bridgeDomainStats()
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Every MAC entry of every bridge domain. */
    public List<MacEntry> macTable()
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    @Override
    public void close()
    {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
