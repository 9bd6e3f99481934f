package io.jvs.control.netns;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Cidr6;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.ipam.Ipv6Address;
import io.jvs.tap.NativeException;
import io.jvs.tap.NetworkNamespace;
import io.jvs.tap.netlink.Errno;
import io.jvs.tap.netlink.NetlinkException;
import io.jvs.tap.netlink.Rtnetlink;
import io.jvs.tap.netlink.RtnetlinkRequests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The kernel operations of the control path. A null namespace means the host (the daemon's own namespace).
 * <p>
 * What a connect and a disconnect do (links, MTU, addresses, default routes, link lists, the IPv6 sysctl) goes
 * through rtnetlink from Java: one socket for the host, kept open, and one per call for a sandbox, created in its
 * namespace by a short-lived thread (a socket serves the namespace it was born in). Nothing forks there. Rarely used
 * operations (namespaces themselves, host routes, host addresses) still run iproute2's {@code ip}, parsing its JSON.
 * A kernel refusal becomes a {@link JvsException} quoting the errno, e.g. "RTM_NEWLINK jv1234abcd: File exists
 * (EEXIST)".
 */
public final class IpTool
{
    private static final String IP = "ip";
    private static final Path PROC_IPV6_CONF = Path.of("/proc/sys/net/ipv6/conf");

    private final ObjectMapper json = new ObjectMapper();
    /** Guards {@link #host}: one request at a time on the shared host socket. */
    private final Object hostLock = new Object();
    private Rtnetlink host;

    /** One rtnetlink exchange (or a few) on a socket of the right namespace. */
    @FunctionalInterface
    private interface NetlinkCall<T>
    {
        T call(Rtnetlink rtnetlink);
    }

    /** The same, for a change with no answer beyond its ack. */
    @FunctionalInterface
    private interface NetlinkChange
    {
        void apply(Rtnetlink rtnetlink);
    }

    public List<String> namespaces()
    {
        final List<String> names = new ArrayList<>();
        for (final JsonNode node : parse(Command.run(IP, "-j", "netns", "list")))
        {
            names.add(node.path("name").asText());
        }
        return names;
    }

    public boolean namespaceExists(final String name)
    {
        return Files.exists(Path.of("/run/netns", name));
    }

    public void addNamespace(final String name)
    {
        Command.run(IP, "netns", "add", name);
    }

    public void deleteNamespace(final String name)
    {
        Command.run(IP, "netns", "delete", name);
    }

    public List<String> linkNames(final String namespace)
    {
        return netlink(namespace, rt ->
        {
            final List<String> names = new ArrayList<>();
            for (final Rtnetlink.Link link : rt.links())
            {
                names.add(link.name());
            }
            return names;
        });
    }

    public boolean linkExists(final String name)
    {
        return Files.exists(Path.of("/sys/class/net", name));
    }

    /**
     * Creates a veth pair whose peer is born inside the namespace with its final name and MAC, so nothing
     * half-configured ever shows up on the host.
     */
    public void createVeth(final String hostName, final String peerName, final String peerMac, final String namespace)
    {
        change(null, rt -> rt.createVeth(hostName, peerName, Rtnetlink.mac(peerMac), 0,
            NetworkNamespace.named(namespace)));
    }

    /**
     * Creates a veth pair with both ends on the host, the peer named and addressed for a runtime that moves it into
     * its container itself (Docker). {@code mtu} 0 keeps the kernel default.
     */
    public void createHostVeth(final String hostName, final String peerName, final String peerMac, final int mtu)
    {
        change(null, rt -> rt.createVeth(hostName, peerName, Rtnetlink.mac(peerMac), mtu,
            RtnetlinkRequests.SAME_NAMESPACE));
    }

    /** @return the link's MTU. */
    public int mtu(final String namespace, final String name)
    {
        final Rtnetlink.Link link = netlink(namespace, rt -> rt.link(name));
        if (link == null)
        {
            throw JvsException.notFound("no link " + name);
        }
        return link.mtu();
    }

    /** Deletes a link (and so its veth peer). @return false when it did not exist. */
    public boolean deleteLink(final String name)
    {
        return netlink(null, rt -> rt.deleteLink(name));
    }

    public void linkUp(final String namespace, final String name)
    {
        change(namespace, rt -> rt.setUp(name));
    }

    public void addAddress(final String namespace, final String device, final String cidr)
    {
        final int slash = cidr.indexOf('/');
        if (slash < 0)
        {
            throw JvsException.invalid("not an address/prefix: " + cidr);
        }
        final int address = Ipv4.parse(cidr.substring(0, slash));
        final int prefix = Integer.parseInt(cidr.substring(slash + 1));
        change(namespace, rt -> rt.addIpv4Address(rt.requireIndex(device), address, prefix,
            cidr + " dev " + device));
    }

    /** {@code ip -6 addr add ADDRESS/PREFIX dev DEVICE nodad}: no duplicate address detection, usable at once. */
    public void addIpv6Address(final String namespace, final String device, final Ipv6Address address,
        final int prefix)
    {
        change(namespace, rt -> rt.addIpv6Address(rt.requireIndex(device), address.toBytes(), prefix,
            address + "/" + prefix + " dev " + device));
    }

    /** Whether the namespace has an IPv6 default route. */
    public boolean hasIpv6DefaultRoute(final String namespace)
    {
        return netlink(namespace, rt -> rt.ipv6DefaultRouteIndex() != 0);
    }

    public void addIpv6DefaultRoute(final String namespace, final Ipv6Address gateway, final String device)
    {
        change(namespace, rt -> rt.addIpv6DefaultRoute(gateway.toBytes(), rt.requireIndex(device),
            "default via " + gateway + " dev " + device));
    }

    /** @return the device of the namespace's IPv4 default route, if it has one. */
    public Optional<String> defaultRouteDevice(final String namespace)
    {
        return netlink(namespace, rt ->
        {
            final int index = rt.ipv4DefaultRouteIndex();
            final Rtnetlink.Link link = index == 0 ? null : rt.link(index);
            return link == null ? Optional.<String>empty() : Optional.of(link.name());
        });
    }

    public void addDefaultRoute(final String namespace, final String gateway, final String device)
    {
        final int via = Ipv4.parse(gateway);
        change(namespace, rt -> rt.addIpv4DefaultRoute(via, rt.requireIndex(device),
            "default via " + gateway + " dev " + device));
    }

    /** Host route {@code cidr via gateway dev device}; fails if the host already routes exactly {@code cidr}. */
    public void addHostRoute(final String cidr, final String gateway, final String device)
    {
        Command.run(IP, "route", "add", cidr, "via", gateway, "dev", device);
    }

    /** Removes a host route if it is there. */
    public void deleteHostRoute(final String cidr, final String device)
    {
        Command.exec(Command.DEFAULT_TIMEOUT, IP, "route", "del", cidr, "dev", device);
    }

    /** Adds an address to a host interface and brings it up. */
    public void configureHostInterface(final String device, final String cidr)
    {
        Command.run(IP, "addr", "replace", cidr, "dev", device);
        Command.run(IP, "link", "set", device, "up");
    }

    /** IPv4 destinations routed by the host's main table, default route excluded. */
    public List<Cidr> hostRoutes()
    {
        final List<Cidr> routes = new ArrayList<>();
        for (final JsonNode node : parse(Command.run(IP, "-j", "-4", "route", "show")))
        {
            final String dst = node.path("dst").asText();
            if (!dst.isEmpty() && !"default".equals(dst))
            {
                routes.add(Cidr.parseLenient(dst));
            }
        }
        return routes;
    }

    /** IPv6 destinations routed by the host's main table, default route excluded (where a pool's /64 must not be). */
    public List<Cidr6> hostRoutes6()
    {
        final List<Cidr6> routes = new ArrayList<>();
        for (final JsonNode node : parse(Command.run(IP, "-j", "-6", "route", "show")))
        {
            final String dst = node.path("dst").asText();
            final int slash = dst.indexOf('/');
            final Ipv6Address address = Ipv6Address.tryParse(slash < 0 ? dst : dst.substring(0, slash));
            if (address != null)
            {
                final int prefix = slash < 0 ? Ipv6Address.BITS : Integer.parseInt(dst.substring(slash + 1));
                routes.add(new Cidr6(address.masked(prefix), prefix));
            }
        }
        return routes;
    }

    /** Keeps IPv6 (router solicitations, MLD) off an interface: written straight to /proc/sys. */
    public void disableIpv6OnHost(final String device)
    {
        final Path file = PROC_IPV6_CONF.resolve(device).resolve("disable_ipv6");
        if (!Files.exists(file))
        {
            return; // IPv6 not compiled in or disabled at boot: nothing to keep quiet
        }
        try
        {
            Files.writeString(file, "1");
        }
        catch (final IOException ex)
        {
            throw new JvsException(JvsException.Kind.INTERNAL, "cannot write " + file + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Same inside a namespace, as Docker does for containers on IPv4-only networks: /proc/sys/net shows the namespace
     * of the thread that opens the file, so a short-lived thread enters the namespace and writes it.
     */
    public void disableIpv6InNamespace(final String namespace, final String device)
    {
        if (!Files.exists(PROC_IPV6_CONF))
        {
            return;
        }
        writeIpv6Conf(namespace, device, "disable_ipv6", "1");
    }

    /**
     * IPv6 on for an interface of a dual-stack network, with router advertisements and autoconfiguration ignored
     * (the address and route are static, as Docker sets them): accept_ra and autoconf first, so no advertisement
     * is taken in the moment IPv6 comes up. The link-local address comes with it.
     */
    public void enableIpv6InNamespace(final String namespace, final String device)
    {
        if (!Files.exists(PROC_IPV6_CONF))
        {
            throw JvsException.invalid("IPv6 is disabled on this host (no /proc/sys/net/ipv6): a dual-stack network " +
                "cannot give sandboxes IPv6 addresses");
        }
        writeIpv6Conf(namespace, device, "accept_ra", "0");
        writeIpv6Conf(namespace, device, "autoconf", "0");
        writeIpv6Conf(namespace, device, "disable_ipv6", "0");
    }

    private static void writeIpv6Conf(final String namespace, final String device, final String key,
        final String value)
    {
        final Path file = PROC_IPV6_CONF.resolve(device).resolve(key);
        try
        {
            NetworkNamespace.call(NetworkNamespace.named(namespace), () -> Files.writeString(file, value));
        }
        catch (final NativeException ex)
        {
            throw namespaceFailure(namespace, ex);
        }
        catch (final RuntimeException ex)
        {
            throw new JvsException(JvsException.Kind.INTERNAL, "cannot write " + file + " in network namespace " +
                namespace + ": " + (ex.getCause() != null ? ex.getCause() : ex), ex);
        }
    }

    /** An IPv4 address on an interface. */
    public record InterfaceAddress(int address, int prefix)
    {
        /** @return "a.b.c.d/prefix". */
        public String cidr()
        {
            return io.jvs.control.ipam.Ipv4.format(address) + "/" + prefix;
        }
    }

    /** IPv4 addresses of a host interface, primary first (an overlay's underlay address is the first). */
    public List<InterfaceAddress> ipv4Addresses(final String device)
    {
        final List<InterfaceAddress> addresses = new ArrayList<>();
        for (final JsonNode link : parse(Command.run(IP, "-j", "-4", "address", "show", "dev", device)))
        {
            for (final JsonNode info : link.path("addr_info"))
            {
                if ("inet".equals(info.path("family").asText()))
                {
                    addresses.add(new InterfaceAddress(io.jvs.control.ipam.Ipv4.parse(info.path("local").asText()),
                        info.path("prefixlen").asInt()));
                }
            }
        }
        return addresses;
    }

    /** Sets a link's MTU (overlay endpoints get the inner MTU on both veth ends). */
    public void setMtu(final String namespace, final String device, final int mtu)
    {
        change(namespace, rt -> rt.setMtu(device, mtu));
    }

    /** The gateway of the host's IPv4 default route through {@code device}, if there is one. */
    public Optional<String> defaultGateway(final String device)
    {
        for (final JsonNode node : parse(Command.run(IP, "-j", "-4", "route", "show", "default", "dev", device)))
        {
            final String gateway = node.path("gateway").asText();
            if (!gateway.isEmpty())
            {
                return Optional.of(gateway);
            }
        }
        return Optional.empty();
    }

    /** A veth pair with both ends in the host's namespace. */
    public void createVethPair(final String name, final String peer)
    {
        change(null, rt -> rt.createVeth(name, peer, null, 0, RtnetlinkRequests.SAME_NAMESPACE));
    }

    /** {@code ip route replace DST dev DEV [src SRC]} in the namespace (null: the host). */
    public void replaceRoute(final String namespace, final String destination, final String device, final String source)
    {
        final List<String> args = new ArrayList<>(List.of("route", "replace", destination, "dev", device));
        if (source != null)
        {
            args.add("src");
            args.add(source);
        }
        Command.run(ns(namespace, args.toArray(new String[0])));
    }

    /** {@code ip route del DST dev DEV}; @return false when there was no such route. */
    public boolean deleteRoute(final String namespace, final String destination, final String device)
    {
        return Command.exec(Command.DEFAULT_TIMEOUT, ns(namespace, "route", "del", destination, "dev", device)).ok();
    }

    /**
     * Runs {@code call} on the host's socket ({@code namespace} null) or on a socket made in the namespace for this
     * call and closed after it (holding one open would keep a namespace deleted behind jvs's back alive).
     */
    private <T> T netlink(final String namespace, final NetlinkCall<T> call)
    {
        try
        {
            if (namespace == null)
            {
                synchronized (hostLock)
                {
                    if (host == null)
                    {
                        host = Rtnetlink.open();
                    }
                    return call.call(host);
                }
            }
            try (Rtnetlink rt = Rtnetlink.openIn(NetworkNamespace.named(namespace)))
            {
                return call.call(rt);
            }
        }
        catch (final NetlinkException ex)
        {
            throw new JvsException(JvsException.Kind.INTERNAL,
                (namespace == null ? "" : "in network namespace " + namespace + ": ") + ex.getMessage(), ex);
        }
        catch (final NativeException ex)
        {
            throw namespaceFailure(namespace, ex);
        }
    }

    private void change(final String namespace, final NetlinkChange change)
    {
        netlink(namespace, rt ->
        {
            change.apply(rt);
            return null;
        });
    }

    private static JvsException namespaceFailure(final String namespace, final NativeException ex)
    {
        return new JvsException(JvsException.Kind.INTERNAL, "cannot enter network namespace " + namespace + ": " +
            Errno.describe(ex.errno()), ex);
    }

    private static String[] ns(final String namespace, final String... args)
    {
        final List<String> argv = new ArrayList<>();
        argv.add(IP);
        if (namespace != null)
        {
            argv.add("-n");
            argv.add(namespace);
        }
        argv.addAll(List.of(args));
        return Command.argv(argv);
    }

    private JsonNode parse(final String output)
    {
        if (output.isBlank())
        {
            return json.createArrayNode();
        }
        try
        {
            return json.readTree(output);
        }
        catch (final IOException ex)
        {
            throw new JvsException(JvsException.Kind.INTERNAL, "cannot parse ip output: " + ex.getMessage(), ex);
        }
    }
}
