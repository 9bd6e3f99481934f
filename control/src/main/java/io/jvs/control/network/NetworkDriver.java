package io.jvs.control.network;

import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Ipam;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;

import java.util.Map;

/**
 * One kind of network (Docker's driver): what it puts into the switch, and what it adds to the endpoint steps that
 * {@link NetworkService} runs for every kind (validation, the store, addresses, veths, undo). Called with the
 * service's lock held. A step that fails throws and leaves nothing of its own behind.
 */
public interface NetworkDriver
{
    /**
     * Checks a new network's driver options before anything changes.
     *
     * @return the options to journal with the network, so a restart can {@link #install} it again.
     */
    Map<String, String> checkOptions(CreateNetworkRequest request);

    /**
     * Puts a network into the switch: a new one, or one journaled before a restart.
     *
     * @return the network on its (new) bridge domain.
     */
    Network install(Network network);

    /** Takes a network without endpoints out of the switch (and wherever else this kind keeps it). */
    void uninstall(Network network);

    /** Refuses a sandbox on a network of a kind that cannot have one. */
    default void checkConnectable(final Network network, final String sandbox)
    {
    }

    /** The address of a new endpoint that jvs chooses. */
    default int allocateAddress(final Network network, final Ipam ipam, final String holder)
    {
        return ipam.allocate();
    }

    /** The address a container runtime chose ({@code requested}; 0: jvs chooses), for an endpoint with {@code mac}. */
    default int claimAddress(final Network network, final Ipam ipam, final String holder, final int requested,
        final String mac)
    {
        if (requested == 0)
        {
            return ipam.allocate();
        }
        ipam.reserve(requested);
        return requested;
    }

    /** Frees an endpoint's address. */
    default void releaseAddress(final Network network, final Ipam ipam, final int address)
    {
        ipam.release(address);
    }

    /** Both veth ends' MTU for an endpoint; {@code requested} (0: the kernel's default) unless this kind needs one. */
    default int linkMtu(final Network network, final int requested)
    {
        return requested;
    }

    /** When the endpoint has just become a switch port (connect, a runtime's endpoint, restore), before anything else. */
    default void onPortAttached(final Network network, final Endpoint endpoint)
    {
    }

    /** After the endpoint is a switch port and journaled. */
    default void onConnect(final Network network, final Endpoint endpoint)
    {
    }

    /** Before the endpoint's port and veth go. */
    default void onDisconnect(final Network network, final Endpoint endpoint)
    {
    }

    /** Driver options as {@code network inspect} shows them. */
    default Map<String, String> inspectOptions(final Network network)
    {
        return network.options();
    }

    /** Refuses options no network of this kind takes (the bridge driver takes none). */
    static Map<String, String> noOptions(final String driver, final Map<String, String> options)
    {
        if (!options.isEmpty())
        {
            throw JvsException.invalid("unknown option \"" + options.keySet().iterator().next() +
                "\" for driver " + driver);
        }
        return Map.of();
    }
}
