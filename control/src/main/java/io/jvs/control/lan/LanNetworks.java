package io.jvs.control.lan;

import io.jvs.control.common.Failures;
import io.jvs.control.common.JvsException;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.netns.IpTool;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.macvlan.HostGuardPort;
import io.jvs.macvlan.LanMembers;
import io.jvs.macvlan.LanMode;
import io.jvs.macvlan.LanPort;
import io.jvs.macvlan.LanPortConfig;
import io.jvs.macvlan.ParentLink;
import io.jvs.tap.PacketSocketPort;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The macvlan and ipvlan networks' part of the control plane: one {@link ParentLink} per parent interface (shared
 * by every network on it, closed with the last one), one {@link LanPort} per network as its uplink in the
 * network's bridge domain, and the host port: a veth pair whose host end keeps /32 routes to the containers (the
 * whole subnet for ipvlan l3) so the host reaches them, which Docker's macvlan cannot do.
 * <pre>
 *   host stack --- jvhXXXXXXX (no address; routes: container/32 src parent-ip)
 *                      | veth
 *                  jvgXXXXXXX --HostGuardPort--+
 *   container veths --------------------------- bridge domain --- LanPort (VLAN n) --- ParentLink --- parent
 * </pre>
 * Called by {@code NetworkService} under its lock; every method validates first and undoes its own steps when a
 * later one fails.
 */
public final class LanNetworks implements AutoCloseable
{
    private static final String HOST_END_PREFIX = "jvh";
    private static final String SWITCH_END_PREFIX = "jvg";
    private static final int NAME_ATTEMPTS = 16;
    /** Host port names: prefix + 7 hex digits, 10 characters (IFNAMSIZ is 16). */
    private static final int SUFFIX_DIGITS = 7;

    /** One network's dataplane pieces. */
    private static final class LanNetwork
    {
        final Network network;
        final LanSpec spec;
        final LanPort port;
        final int hostIp;
        int uplinkPortId;
        String hostEnd;
        String switchEnd;
        int hostPortId;
        final Map<Integer, Long> members = new LinkedHashMap<>();

        LanNetwork(final Network network, final LanSpec spec, final LanPort port, final int hostIp)
        {
            this.network = network;
            this.spec = spec;
            this.port = port;
            this.hostIp = hostIp;
        }

        boolean hasHostPort()
        {
            return hostPortId > 0;
        }
    }

    private final Fabric fabric;
    private final IpTool ip;
    private final Function<String, ParentLink> linkOpener;
    private final Map<String, ParentLink> links = new HashMap<>();
    private final Map<String, LanNetwork> networks = new LinkedHashMap<>();
    private final SecureRandom random = new SecureRandom();

    public LanNetworks(final Fabric fabric, final IpTool ip)
    {
        this(fabric, ip, parent -> ParentLink.open(parent, fabric.portRings(), fabric.counters()));
    }

    LanNetworks(final Fabric fabric, final IpTool ip, final Function<String, ParentLink> linkOpener)
    {
        this.fabric = fabric;
        this.ip = ip;
        this.linkOpener = linkOpener;
    }

    /**
     * Checks what can be checked before anything is made: the options, the parent, and that the parent's VLAN (or
     * its untagged traffic) is not another network's.
     */
    public LanSpec validate(final String driver, final Map<String, String> options)
    {
        final LanSpec spec = LanSpec.parse(driver, options);
        if (!ip.linkExists(spec.parent()))
        {
            throw JvsException.invalid("parent interface " + spec.parent() + " does not exist");
        }
        if (spec.parent().startsWith(HOST_END_PREFIX) || spec.parent().startsWith(SWITCH_END_PREFIX) ||
            spec.parent().matches("jv[0-9a-f]{8}"))
        {
            throw JvsException.invalid("parent interface " + spec.parent() + " is an interface jvs made");
        }
        for (final LanNetwork other : networks.values())
        {
            if (other.spec.parent().equals(spec.parent()) && other.spec.vid() == spec.vid())
            {
                throw JvsException.conflict((spec.vid() == ParentLink.UNTAGGED ? "the untagged traffic of parent " +
                    spec.parent() : "VLAN " + spec.vid() + " of parent " + spec.parent()) +
                    " is already used by network " + other.network.name());
            }
        }
        if (spec.mode() == LanMode.IPVLAN_L3 && ip.ipv4Addresses(spec.parent()).isEmpty())
        {
            throw JvsException.invalid("ipvlan l3 needs an IPv4 address on parent " + spec.parent() +
                ": the LAN routes the containers' subnet to it");
        }
        return spec;
    }

    /** Opens (or shares) the parent link, adds the network's uplink and host port to its bridge domain. */
    public void create(final Network network, final LanSpec spec)
    {
        final List<IpTool.InterfaceAddress> addresses = ip.ipv4Addresses(spec.parent());
        final IpTool.InterfaceAddress primary = addresses.isEmpty() ? null : addresses.get(0);
        final int hostIp = primary == null ? 0 : primary.address();
        int lanGateway = 0;
        if (spec.mode() == LanMode.IPVLAN_L3)
        {
            lanGateway = ip.defaultGateway(spec.parent()).map(Ipv4::parse).orElse(0);
        }
        final LanPortConfig config = new LanPortConfig(spec.parentName(), spec.vid(), spec.mode(), hostIp,
            primary == null ? 0 : primary.prefix(), lanGateway, network.gateway());

        boolean newLink = false;
        ParentLink link = links.get(spec.parent());
        LanPort port = null;
        LanNetwork lan = null;
        try
        {
            if (link == null)
            {
                try
                {
                    link = linkOpener.apply(spec.parent());
                }
                catch (final RuntimeException ex)
                {
                    throw new JvsException(JvsException.Kind.INTERNAL, "cannot open parent interface " +
                        spec.parent() + ": " + ex.getMessage(), ex);
                }
                links.put(spec.parent(), link);
                newLink = true;
            }
            port = link.openPort(config);
            lan = new LanNetwork(network, spec, port, hostIp);
            try
            {
                lan.uplinkPortId = fabric.attachPort(port, network.bridgeDomainId());
            }
            catch (final UnsupportedOperationException ex)
            {
                throw JvsException.invalid("driver " + spec.driver() + " needs the jvs switch as the fabric");
            }
            if (hostIp != 0)
            {
                addHostPort(lan, addresses);
            }
            networks.put(network.id(), lan);
        }
        catch (final RuntimeException ex)
        {
            if (lan != null)
            {
                final LanNetwork undo = lan;
                Failures.runQuietly(() -> removeHostPort(undo), ex);
                if (undo.uplinkPortId > 0)
                {
                    Failures.runQuietly(() -> fabric.detach(undo.uplinkPortId), ex); // closes the port
                }
            }
            if (port != null)
            {
                Failures.runQuietly(port::close, ex);
            }
            if (newLink)
            {
                links.remove(spec.parent());
                Failures.runQuietly(link::close, ex);
            }
            throw ex;
        }
    }

    private void addHostPort(final LanNetwork lan, final List<IpTool.InterfaceAddress> addresses)
    {
        final String hex = hostPortSuffix(lan.network.id());
        lan.hostEnd = HOST_END_PREFIX + hex;
        lan.switchEnd = SWITCH_END_PREFIX + hex;
        ip.createVethPair(lan.hostEnd, lan.switchEnd);
        ip.disableIpv6OnHost(lan.hostEnd);
        ip.disableIpv6OnHost(lan.switchEnd);
        ip.linkUp(null, lan.switchEnd);
        ip.linkUp(null, lan.hostEnd);
        final int[] hostIps = addresses.stream().mapToInt(IpTool.InterfaceAddress::address).toArray();
        final PacketSocketPort socket = PacketSocketPort.open(lan.switchEnd, fabric.portRings());
        try
        {
            lan.hostPortId = fabric.attachPort(new HostGuardPort(socket, lan.port, hostIps),
                lan.network.bridgeDomainId());
        }
        catch (final RuntimeException ex)
        {
            socket.close();
            throw ex;
        }
        if (lan.spec.mode() == LanMode.IPVLAN_L3)
        {
            // The containers' subnet is not the LAN's: the host routes all of it to them.
            ip.replaceRoute(null, lan.network.subnet().toString(), lan.hostEnd, Ipv4.format(lan.hostIp));
        }
    }

    private void removeHostPort(final LanNetwork lan)
    {
        if (lan.hostPortId > 0)
        {
            fabric.detach(lan.hostPortId);
            lan.hostPortId = 0;
        }
        if (lan.hostEnd != null)
        {
            ip.deleteLink(lan.hostEnd); // takes the switch end and every route through it along
            lan.hostEnd = null;
        }
    }

    public boolean isLan(final String networkId)
    {
        return networks.containsKey(networkId);
    }

    /** Removes the uplink and host port; closes the parent link when no network uses it any more. */
    public void remove(final String networkId)
    {
        final LanNetwork lan = networks.remove(networkId);
        if (lan == null)
        {
            return;
        }
        RuntimeException failure = null;
        try
        {
            removeHostPort(lan);
        }
        catch (final RuntimeException ex)
        {
            failure = ex;
        }
        try
        {
            fabric.detach(lan.uplinkPortId); // the switch closes the LanPort, which leaves the link
        }
        catch (final RuntimeException ex)
        {
            failure = Failures.collect(failure, ex);
        }
        final ParentLink link = links.get(lan.spec.parent());
        if (link != null && link.portCount() == 0)
        {
            links.remove(lan.spec.parent());
            try
            {
                link.close();
            }
            catch (final RuntimeException ex)
            {
                failure = Failures.collect(failure, ex);
            }
        }
        if (failure != null)
        {
            throw failure;
        }
    }

    /**
     * A container joined: its MAC and address become a member (both directions at once), the host gets a /32
     * route to it, and the container a route to the host's address when that is outside the network's subnet.
     */
    public void onConnect(final String networkId, final Endpoint endpoint)
    {
        final LanNetwork lan = networks.get(networkId);
        if (lan == null)
        {
            return;
        }
        lan.members.put(endpoint.address(), MacAddress.parse(endpoint.macAddress()));
        publish(lan);
        try
        {
            if (lan.hasHostPort())
            {
                if (lan.spec.mode() != LanMode.IPVLAN_L3)
                {
                    ip.replaceRoute(null, Ipv4.format(endpoint.address()) + "/32", lan.hostEnd,
                        Ipv4.format(lan.hostIp));
                }
                final Cidr subnet = lan.network.subnet();
                if (!subnet.contains(lan.hostIp))
                {
                    ip.replaceRoute(endpoint.sandbox(), Ipv4.format(lan.hostIp) + "/32",
                        endpoint.sandboxInterface(), null);
                }
            }
        }
        catch (final RuntimeException ex)
        {
            Failures.runQuietly(() -> onDisconnect(networkId, endpoint), ex);
            throw ex;
        }
    }

    /** A container left: no longer a member; its host route goes. */
    public void onDisconnect(final String networkId, final Endpoint endpoint)
    {
        final LanNetwork lan = networks.get(networkId);
        if (lan == null)
        {
            return;
        }
        lan.members.remove(endpoint.address());
        publish(lan);
        if (lan.hasHostPort() && lan.spec.mode() != LanMode.IPVLAN_L3)
        {
            ip.deleteRoute(null, Ipv4.format(endpoint.address()) + "/32", lan.hostEnd);
        }
    }

    private static void publish(final LanNetwork lan)
    {
        lan.port.setMembers(new LanMembers(new HashMap<>(lan.members)));
    }

    /** Host-side interface names of a network's host port (tests, inspect); empty when it has none. */
    public Optional<String> hostInterface(final String networkId)
    {
        return Optional.ofNullable(networks.get(networkId)).map(n -> n.hostEnd);
    }

    public Optional<LanPort> port(final String networkId)
    {
        return Optional.ofNullable(networks.get(networkId)).map(n -> n.port);
    }

    /** Removes every LAN network's ports and closes the links (daemon shutdown, after the endpoints went). */
    @Override
    public void close()
    {
        RuntimeException failure = null;
        for (final String id : new ArrayList<>(networks.keySet()))
        {
            try
            {
                remove(id);
            }
            catch (final RuntimeException ex)
            {
                failure = Failures.collect(failure, ex);
            }
        }
        for (final ParentLink link : links.values())
        {
            try
            {
                link.close();
            }
            catch (final RuntimeException ex)
            {
                failure = Failures.collect(failure, ex);
            }
        }
        links.clear();
        if (failure != null)
        {
            throw failure;
        }
    }

    /**
     * The host port is named after the network id, so a daemon started after one that was killed finds the pair that
     * one left (with the routes through it) and replaces it instead of leaking it; a random name only when another
     * network here has the same first digits.
     */
    private String hostPortSuffix(final String networkId)
    {
        final String hex = networkId.substring(0, SUFFIX_DIGITS);
        if (!hex.matches("[0-9a-f]+") ||
            networks.values().stream().anyMatch(n -> (HOST_END_PREFIX + hex).equals(n.hostEnd)))
        {
            return newSuffix();
        }
        ip.deleteLink(HOST_END_PREFIX + hex); // takes its peer and its routes along
        ip.deleteLink(SWITCH_END_PREFIX + hex);
        return hex;
    }

    private String newSuffix()
    {
        for (int i = 0; i < NAME_ATTEMPTS; i++)
        {
            final String hex = HexFormat.of().toHexDigits(random.nextInt()).substring(1);
            if (!ip.linkExists(HOST_END_PREFIX + hex) && !ip.linkExists(SWITCH_END_PREFIX + hex))
            {
                return hex;
            }
        }
        throw new JvsException(JvsException.Kind.INTERNAL, "no free host port name after " + NAME_ATTEMPTS +
            " attempts");
    }
}
