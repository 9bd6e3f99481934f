package io.jvs.vxlan;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Namespaces and host-namespace links for one test, all named "jx" + a per-run random suffix, removed by exact
 * name in {@link #close()} (links first, then namespaces).
 */
final class TestNet implements AutoCloseable
{
    final String id = "jx" + Integer.toHexString(0x10000 + ThreadLocalRandom.current().nextInt(0xF0000));
    private final List<String> namespaces = new ArrayList<>();
    private final List<String> links = new ArrayList<>();

    String name(final String role)
    {
        final String name = id + role;
        if (name.length() > 15)
        {
            throw new IllegalArgumentException(name);
        }
        return name;
    }

    String namespace(final String role)
    {
        final String ns = name(role);
        Sh.run("ip", "netns", "add", ns);
        namespaces.add(ns);
        Sh.run("ip", "-n", ns, "link", "set", "lo", "up");
        Sh.run("ip", "netns", "exec", ns, "sysctl", "-q", "-w",
            "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        return ns;
    }

    /** veth hostEnd (this namespace, up, no IPv6, optional address) whose peer is in ns with cidr, up, mtu. */
    void veth(final String hostEnd, final String hostCidr, final String peer, final String ns, final String cidr,
        final int peerMtu)
    {
        Sh.run("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", peer);
        links.add(hostEnd);
        Sh.run("sysctl", "-q", "-w", "net.ipv6.conf." + hostEnd + ".disable_ipv6=1");
        Sh.run("ip", "link", "set", peer, "netns", ns);
        Sh.run("ip", "-n", ns, "link", "set", peer, "mtu", Integer.toString(peerMtu));
        Sh.run("ip", "-n", ns, "addr", "add", cidr, "dev", peer);
        Sh.run("ip", "-n", ns, "link", "set", peer, "up");
        if (hostCidr != null)
        {
            Sh.run("ip", "addr", "add", hostCidr, "dev", hostEnd);
        }
        Sh.run("ip", "link", "set", hostEnd, "up");
    }

    static List<String> inNs(final String ns, final String... command)
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        return full;
    }

    static String[] inNsArray(final String ns, final String... command)
    {
        return inNs(ns, command).toArray(new String[0]);
    }

    @Override
    public void close()
    {
        final StringBuilder failures = new StringBuilder();
        for (final String link : links)
        {
            Sh.exec(10, "ip", "link", "del", link);
        }
        for (final String ns : namespaces)
        {
            final Sh.Result r = Sh.exec(10, "ip", "netns", "del", ns);
            if (r.exitCode() != 0)
            {
                failures.append(ns).append(": ").append(r.output());
            }
        }
        if (failures.length() > 0)
        {
            throw new IllegalStateException("cleanup failed: " + failures);
        }
    }
}
