package io.jvs.control.publish;

import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Ipv4;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;

/**
 * Where a published port is reached, from the host address it was published on (Docker's HostIP):
 * <pre>
 *   HostIP               scope     reached at
 *   "" or 0.0.0.0        ALL       DNAT on the router's addresses (uplink, host link) + the 127.0.0.1 proxy
 *   the uplink address   ROUTER    DNAT only
 *   127.0.0.1            LOOPBACK  the 127.0.0.1 proxy only
 * </pre>
 * Any other address is refused: jvs cannot listen on a host address it does not own without iptables.
 */
public enum PublishScope
{
    ALL(true, true),
    ROUTER(true, false),
    LOOPBACK(false, true);

    private static final String LOOPBACK_ADDRESS = "127.0.0.1";

    private final boolean routed;
    private final boolean loopback;

    PublishScope(final boolean routed, final boolean loopback)
    {
        this.routed = routed;
        this.loopback = loopback;
    }

    /** DNAT in the router (uplink address and the router's host-link address). */
    public boolean routed()
    {
        return routed;
    }

    /** A listener of the loopback proxy on 127.0.0.1. */
    public boolean loopback()
    {
        return loopback;
    }

    /**
     * @param hostIp        "" for everywhere, else a dotted IPv4 address.
     * @param uplinkIp      the uplink address without prefix, or null without an uplink.
     * @param loopbackProxy whether 127.0.0.1 is served (the daemon has a host port).
     */
    public static PublishScope of(final String hostIp, final String uplinkIp, final boolean loopbackProxy)
    {
        if (hostIp.isEmpty())
        {
            return ALL;
        }
        final String address = Ipv4.format(Ipv4.parse(hostIp));
        if (LOOPBACK_ADDRESS.equals(address))
        {
            if (!loopbackProxy)
            {
                throw JvsException.invalid("cannot publish on 127.0.0.1: this jvs daemon has no host port " +
                    "(--no-host-port), so it does not listen on loopback");
            }
            return LOOPBACK;
        }
        if (address.equals(uplinkIp))
        {
            return ROUTER;
        }
        throw JvsException.invalid("cannot publish on " + address + ": " + (isHostAddress(address) ?
            "an address of this host that jvs does not serve" : "not an address of this host") +
            "; jvs publishes on 0.0.0.0 (" + (uplinkIp == null ? "" : "the uplink address " + uplinkIp + " and ") +
            "127.0.0.1), " + (uplinkIp == null ? "" : uplinkIp + " (the uplink only) ") + "or 127.0.0.1 " +
            "(loopback only)");
    }

    private static boolean isHostAddress(final String address)
    {
        try
        {
            final InetAddress inet = InetAddress.getByName(address);
            // 127/8 is the host's whole, though lo carries only 127.0.0.1/8
            return inet.isLoopbackAddress() || NetworkInterface.getByInetAddress(inet) != null;
        }
        catch (final IOException ex)
        {
            return false; // the message only loses its detail
        }
    }
}
