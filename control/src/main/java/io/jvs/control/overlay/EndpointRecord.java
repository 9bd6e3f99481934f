package io.jvs.control.overlay;

/**
 * One sandbox's address on an overlay network, under the owning host's lease.
 *
 * @param host underlay IPv4 of the VTEP behind which the sandbox sits.
 */
public record EndpointRecord(String networkId, String sandbox, String address, String mac, String host)
{
}
