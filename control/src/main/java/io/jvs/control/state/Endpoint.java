package io.jvs.control.state;

/**
 * One sandbox's attachment to one network: a veth pair whose host end is a switch port.
 *
 * @param hostInterface    host end of the veth, opened as a switch port ("jv" + 8 hex digits).
 * @param sandboxInterface the peer inside the sandbox ("eth0", "eth1", ...).
 * @param address          IPv4 address of the sandbox interface.
 * @param prefix           prefix length of the network's subnet.
 * @param portId           the switch port id.
 */
public record Endpoint(
    String id, String networkId, String sandbox, String hostInterface, String sandboxInterface,
    String macAddress, int address, int prefix, int portId)
{
    /** Port id of an endpoint that is not a switch port (its veth is gone, or not yet re-attached). */
    public static final int NO_PORT = 0;

    /** The same endpoint on another switch port. */
    public Endpoint withPort(final int port)
    {
        return new Endpoint(id, networkId, sandbox, hostInterface, sandboxInterface, macAddress, address, prefix, port);
    }
}
