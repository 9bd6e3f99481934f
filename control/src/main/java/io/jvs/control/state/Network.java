package io.jvs.control.state;

import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipv6Subnet;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A network as the user defined it. Predefined networks ({@code bridge}, {@code host}, {@code none}) cannot be
 * removed; only networks with driver {@code bridge} have a subnet and a bridge domain in the switch.
 *
 * @param subnet         null for {@code host}, {@code none} and IPv6-only networks.
 * @param gateway        reserved gateway address; 0 when there is no subnet.
 * @param bridgeDomainId the switch's bridge domain; 0 when there is none.
 * @param options        driver options as given ({@code -o parent=eth0.10}); empty for the bridge driver. Kept so
 *                       a restarted daemon can rebuild a macvlan/ipvlan network.
 * @param ipRange        {@code --ip-range}: where addresses are allocated from; null for the whole subnet.
 * @param auxAddresses   {@code --aux-address} NAME=IP: addresses never handed out.
 * @param ipv6           the IPv6 prefix, gateway and range of a dual-stack network ({@code --ipv6}); null on an
 *                       IPv4-only network.
 */
public record Network(
    String id, String name, String driver, boolean internal, Cidr subnet, int gateway,
    boolean predefined, Instant created, int bridgeDomainId,
    Map<String, String> options, Cidr ipRange, Map<String, String> auxAddresses, Ipv6Subnet ipv6)
{
    public static final String DRIVER_BRIDGE = "bridge";
    public static final String DRIVER_HOST = "host";
    public static final String DRIVER_NULL = "null";
    /** A jvs bridge network that Docker created through the remote driver plugin (and owns). */
    public static final String DRIVER_DOCKER = "jvs(docker)";
    /** Spans hosts: a VXLAN segment (see io.jvs.control.overlay); same id, subnet and VNI on every host. */
    public static final String DRIVER_OVERLAY = "overlay";
    public static final String SCOPE = "local";

    public Network
    {
        options = options == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(options));
        auxAddresses = auxAddresses == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(auxAddresses));
    }

    /** An IPv4-only network. */
    public Network(
        final String id, final String name, final String driver, final boolean internal, final Cidr subnet,
        final int gateway, final boolean predefined, final Instant created, final int bridgeDomainId,
        final Map<String, String> options, final Cidr ipRange, final Map<String, String> auxAddresses)
    {
        this(id, name, driver, internal, subnet, gateway, predefined, created, bridgeDomainId, options, ipRange,
            auxAddresses, null);
    }

    /** A network without driver options, range or auxiliary addresses. */
    public Network(
        final String id, final String name, final String driver, final boolean internal, final Cidr subnet,
        final int gateway, final boolean predefined, final Instant created, final int bridgeDomainId)
    {
        this(id, name, driver, internal, subnet, gateway, predefined, created, bridgeDomainId, Map.of(), null,
            Map.of());
    }

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
        return new Network(this.id, name, driver, internal, subnet, gateway, predefined, created, id, options, ipRange,
            auxAddresses, ipv6);
    }

    /** Sandboxes get an IPv4 address (false: an IPv6-only network, or {@code host}/{@code none}). */
    public boolean hasIpv4()
    {
        return subnet != null;
    }

    /** Dual-stack: sandboxes get an IPv6 address too (Docker's {@code EnableIPv6}). */
    public boolean hasIpv6()
    {
        return ipv6 != null;
    }

    public boolean hasBridgeDomain()
    {
        return bridgeDomainId > 0;
    }
}
