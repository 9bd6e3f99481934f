package io.jvs.control.state;

import io.jvs.control.ipam.Ipv6Address;

/**
 * One sandbox's attachment to one network: a veth pair whose host end is a switch port.
 *
 * @param hostInterface    host end of the veth, opened as a switch port ("jv" + 8 hex digits).
 * @param sandboxInterface the peer inside the sandbox ("eth0", "eth1", ...).
 * @param address          IPv4 address of the sandbox interface; 0 on an IPv6-only network.
 * @param prefix           prefix length of the network's subnet; 0 on an IPv6-only network.
 * @param portId           the switch port id.
 * @param address6         IPv6 address of the sandbox interface on a dual-stack network; null otherwise.
 * @param prefix6          prefix length of the network's IPv6 subnet; 0 without IPv6.
 */
public record Endpoint(
    String id, String networkId, String sandbox, String hostInterface, String sandboxInterface,
    String macAddress, int address, int prefix, int portId, Ipv6Address address6, int prefix6)
{
    /** Port id of an endpoint that is not a switch port (its veth is gone, or not yet re-attached). */
    public static final int NO_PORT = 0;

    /** An endpoint without IPv6. */
    public Endpoint(
        final String id, final String networkId, final String sandbox, final String hostInterface,
        final String sandboxInterface, final String macAddress, final int address, final int prefix, final int portId)
    {
        this(id, networkId, sandbox, hostInterface, sandboxInterface, macAddress, address, prefix, portId, null, 0);
    }

    /** The same endpoint on another switch port. */
    public Endpoint withPort(final int port)
    {
        return new Endpoint(id, networkId, sandbox, hostInterface, sandboxInterface, macAddress, address, prefix, port,
            address6, prefix6);
    }

    /** "10.0.0.2/24", or "" on an IPv6-only network (as Docker's inspect shows it). */
    public String ipv4Cidr()
    {
        return address == 0 ? "" : io.jvs.control.ipam.Ipv4.format(address) + "/" + prefix;
    }

    /** "2001:db8::2/64", or "" without IPv6 (as Docker's inspect shows it). */
    public String ipv6Cidr()
    {
        return address6 == null ? "" : address6 + "/" + prefix6;
    }
}
