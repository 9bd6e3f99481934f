package io.jvs.control.netns;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The kernel operations of the control path, done with iproute2's {@code ip} (JSON output where it is parsed).
 * A null namespace means the host (the daemon's own namespace).
 */
public final class IpTool
{
    private static final String IP = "ip";
    private static final Path PROC_IPV6_CONF = Path.of("/proc/sys/net/ipv6/conf");

    private final ObjectMapper json = new ObjectMapper();

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
        final List<String> names = new ArrayList<>();
        for (final JsonNode node : parse(Command.run(ns(namespace, "-j", "link", "show"))))
        {
            names.add(node.path("ifname").asText());
        }
        return names;
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
        Command.run(IP, "link", "add", hostName, "type", "veth",
            "peer", "name", peerName, "address", peerMac, "netns", namespace);
    }

    /**
     * Creates a veth pair with both ends on the host, the peer named and addressed for a runtime that moves it into
     * its container itself (Docker). {@code mtu} 0 keeps the kernel default.
     */
    public void createHostVeth(final String hostName, final String peerName, final String peerMac, final int mtu)
    {
        final List<String> argv = new ArrayList<>(List.of(IP, "link", "add", hostName));
        if (mtu > 0)
        {
            argv.addAll(List.of("mtu", Integer.toString(mtu)));
        }
        argv.addAll(List.of("type", "veth", "peer", "name", peerName, "address", peerMac));
        if (mtu > 0)
        {
            argv.addAll(List.of("mtu", Integer.toString(mtu)));
        }
        Command.run(Command.argv(argv));
    }

    /** @return the link's MTU. */
    public int mtu(final String namespace, final String name)
    {
        for (final JsonNode node : parse(Command.run(ns(namespace, "-j", "link", "show", "dev", name))))
        {
            return node.path("mtu").asInt();
        }
        throw JvsException.notFound("no link " + name);
    }

    /** Deletes a link (and so its veth peer). @return false when it did not exist. */
    public boolean deleteLink(final String name)
    {
        final String[] argv = {IP, "link", "delete", name};
        final Command.Result result = Command.exec(Command.DEFAULT_TIMEOUT, argv);
        if (result.ok())
        {
            return true;
        }
        if (!linkExists(name))
        {
            return false;
        }
        throw Command.failure(argv, result);
    }

    public void linkUp(final String namespace, final String name)
    {
        Command.run(ns(namespace, "link", "set", name, "up"));
    }

    public void addAddress(final String namespace, final String device, final String cidr)
    {
        Command.run(ns(namespace, "address", "add", cidr, "dev", device));
    }

    /** @return the device of the namespace's IPv4 default route, if it has one. */
    public Optional<String> defaultRouteDevice(final String namespace)
    {
        for (final JsonNode node : parse(Command.run(ns(namespace, "-j", "-4", "route", "show", "default"))))
        {
            return Optional.of(node.path("dev").asText());
        }
        return Optional.empty();
    }

    public void addDefaultRoute(final String namespace, final String gateway, final String device)
    {
        Command.run(ns(namespace, "route", "add", "default", "via", gateway, "dev", device));
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

    /** Same inside a namespace, as Docker does for containers on IPv4-only networks. */
    public void disableIpv6InNamespace(final String namespace, final String device)
    {
        if (Files.exists(PROC_IPV6_CONF))
        {
            Command.run(IP, "netns", "exec", namespace, "sysctl", "-q", "-w",
                "net.ipv6.conf." + device + ".disable_ipv6=1");
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
        Command.run(ns(namespace, "link", "set", device, "mtu", Integer.toString(mtu)));
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
        Command.run(IP, "link", "add", name, "type", "veth", "peer", "name", peer);
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
