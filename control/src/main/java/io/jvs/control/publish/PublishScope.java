package io.jvs.control.publish;

import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Ipv4;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.List;

/**
 * Where a published port is reached, from the host address it was published on (Docker's HostIP):
 * <pre>
 *   HostIP               scope     reached at
 *   "" or 0.0.0.0        ALL       DNAT on the router's addresses (uplink, host link) + the 127.0.0.1 proxy
 *   the uplink address   ROUTER    DNAT only
 *   127.0.0.1            LOOPBACK  the 127.0.0.1 proxy only
 *   ::1                  LOOPBACK6 the [::1] proxy only
 * </pre>
 * ALL also listens on [::1] where the host has it (as docker-proxy listens on [::] too), relaying to the container's
 * IPv4 address. IPv6 host addresses other than ::1 are refused: no IPv6 DNAT yet.
 * Any other address is refused: jvs cannot listen on a host address it does not own without iptables.
 */
public enum PublishScope
{
    ALL(true, true),
    ROUTER(true, false),
    LOOPBACK(false, true),
    LOOPBACK6(false, true);

    private static final String LOOPBACK_ADDRESS = "127.0.0.1";
    private static final InetAddress IPV4_LOOPBACK = InetAddress.getLoopbackAddress();
    private static final InetAddress IPV6_LOOPBACK = ipv6Loopback();

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

    /** Listeners of the loopback proxy (127.0.0.1, [::1] or both). */
    public boolean loopback()
    {
        return loopback;
    }

    /** Where the loopback proxy listens for this scope: ALL adds [::1] only where the host has it. */
    public List<InetAddress> loopbackAddresses()
    {
        return switch (this)
        {
            case ALL -> hasIpv6Loopback() ? List.of(IPV4_LOOPBACK, IPV6_LOOPBACK) : List.of(IPV4_LOOPBACK);
            case LOOPBACK -> List.of(IPV4_LOOPBACK);
            case LOOPBACK6 -> List.of(IPV6_LOOPBACK);
            case ROUTER -> List.of();
        };
    }

    private static boolean hasIpv6Loopback()
    {
        try
        {
            return NetworkInterface.getByInetAddress(IPV6_LOOPBACK) != null;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static InetAddress ipv6Loopback()
    {
        try
        {
            return InetAddress.getByAddress("::1", new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
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
        if (hostIp.indexOf(':') >= 0)
        {
            final String v6 = hostIp.startsWith("[") && hostIp.endsWith("]") ? hostIp.substring(1,
                hostIp.length() - 1) : hostIp;
            if (!isIpv6Loopback(v6))
            {
                throw JvsException.invalid("cannot publish on [" + v6 + "]: over IPv6 jvs publishes on [::1] only " +
                    "(the host's own connections; no IPv6 DNAT yet)");
            }
            if (!loopbackProxy)
            {
                throw JvsException.invalid("cannot publish on ::1: this jvs daemon has no host port " +
                    "(--no-host-port), so it does not listen on loopback");
            }
            if (!hasIpv6Loopback())
            {
                throw JvsException.invalid("cannot publish on ::1: the host has no IPv6 loopback address");
            }
            return LOOPBACK6;
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

    private static boolean isIpv6Loopback(final String text)
    {
        try
        {
            return IPV6_LOOPBACK.equals(InetAddress.getByName(text));
        }
        catch (final IOException ex)
        {
            throw JvsException.invalid("not an IP address: " + text);
        }
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
