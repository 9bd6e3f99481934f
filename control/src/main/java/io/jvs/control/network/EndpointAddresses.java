package io.jvs.control.network;

import io.jvs.control.common.Failures;
import io.jvs.control.ipam.Ipam6;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.ipam.Ipv6Address;
import io.jvs.control.state.Network;

/**
 * An endpoint's addresses in both families, taken together and given back together: the IPv4 one through the
 * network's driver (0 on an IPv6-only network), the IPv6 one from the network's IPv6 allocator (null without IPv6).
 * If the second cannot be taken the first goes back, so a refusal leaves both allocators as they were.
 */
final class EndpointAddresses
{
    /** What one endpoint holds. */
    record Held(int address, Ipv6Address address6)
    {
        /** Docker's MAC for the IPv4 address, or the IPv6 address's on an IPv6-only network. */
        String dockerMac()
        {
            return address != 0 ? Ipv4.dockerMac(address) : address6.dockerMac();
        }

        int prefix(final Network network)
        {
            return network.hasIpv4() ? network.subnet().prefix() : 0;
        }

        int prefix6(final Network network)
        {
            return address6 == null ? 0 : network.ipv6().subnet().prefix();
        }
    }

    private final NetworkTable table;

    EndpointAddresses(final NetworkTable table)
    {
        this.table = table;
    }

    /** The next free addresses of the network for {@code holder} (a jvs sandbox). */
    Held allocate(final Network network, final NetworkDriver driver, final String holder)
    {
        final int address = network.hasIpv4() ? driver.allocateAddress(network, table.ipam(network.id()), holder) : 0;
        return withIpv6(network, driver, address, null);
    }

    /**
     * The addresses a container runtime chose ({@code requested} 0, {@code requested6} null: the next free ones), for
     * an endpoint with {@code mac} (null: derived from the address).
     */
    Held claim(final Network network, final NetworkDriver driver, final String holder, final int requested,
        final Ipv6Address requested6, final String mac)
    {
        final int address = driver.claimAddress(network, table.ipam(network.id()), holder, requested,
            mac != null ? mac : Ipv4.dockerMac(requested));
        return withIpv6(network, driver, address, requested6);
    }

    private Held withIpv6(final Network network, final NetworkDriver driver, final int address,
        final Ipv6Address requested6)
    {
        final Ipam6 ipam6 = table.ipam6(network.id());
        try
        {
            if (ipam6 == null)
            {
                return new Held(address, null);
            }
            if (requested6 == null)
            {
                return new Held(address, ipam6.allocate());
            }
            ipam6.reserve(requested6);
            return new Held(address, requested6);
        }
        catch (final RuntimeException ex)
        {
            Failures.runQuietly(() -> release(network, driver, new Held(address, null)), ex);
            throw ex;
        }
    }

    /** Gives an endpoint's addresses back. */
    void release(final Network network, final NetworkDriver driver, final Held held)
    {
        try
        {
            if (held.address() != 0)
            {
                driver.releaseAddress(network, table.ipam(network.id()), held.address());
            }
        }
        finally
        {
            if (held.address6() != null)
            {
                table.ipam6(network.id()).release(held.address6());
            }
        }
    }
}
