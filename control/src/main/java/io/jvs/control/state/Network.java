package io.jvs.control.state;

import io.jvs.control.ipam.Cidr;

import java.time.Instant;

/**
 * A network as the user defined it. Predefined networks ({@code bridge}, {@code host}, {@code none}) cannot be
 * removed; only networks with driver {@code bridge} have a subnet and a bridge domain in the switch.
 *
 * @param subnet         null for {@code host} and {@code none}.
 * @param gateway        reserved gateway address; 0 when there is no subnet.
 * @param bridgeDomainId the switch's bridge domain; 0 when there is none.
 */
public record Network(
    String id, String name, String driver, boolean internal, Cidr subnet, int gateway,
    boolean predefined, Instant created, int bridgeDomainId)
{
    public static final String DRIVER_BRIDGE = "bridge";
    public static final String DRIVER_HOST = "host";
    public static final String DRIVER_NULL = "null";
    /** A jvs bridge network that Docker created through the remote driver plugin (and owns). */
    public static final String DRIVER_DOCKER = "jvs(docker)";
    /** Spans hosts: a VXLAN segment (see io.jvs.control.overlay); same id, subnet and VNI on every host. */
    public static final String DRIVER_OVERLAY = "overlay";
    public static final String SCOPE = "local";

    public String shortId()
    {
        return id.substring(0, 12);
    }

    /** Created by Docker through the plugin: only Docker may remove it. */
    public boolean ownedByDocker()
    {
        return DRIVER_DOCKER.equals(driver);
    }

    /** The same network on another bridge domain (after a restart the switch numbers them anew). */
    public Network withBridgeDomain(final int id)
    {
        return new Network(this.id, name, driver, internal, subnet, gateway, predefined, created, id);
    }

    public boolean hasBridgeDomain()
    {
        return bridgeDomainId > 0;
    }
}
