package io.jvs.control.overlay;

/**
 * An overlay network as every host sees it in the cluster store.
 *
 * @param subnet    CIDR, e.g. "10.232.0.0/24".
 * @param gateway   reserved address (never handed to a sandbox).
 * @param vni       VXLAN network identifier, unique in the cluster.
 * @param createdBy underlay address (or host name) of the host that created it.
 */
public record OverlayNetwork(
    String id, String name, String subnet, String gateway, int vni, boolean internal, boolean encrypted,
    String created, String createdBy)
{
}
