package io.jvs.tap;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Namespaces and veth pairs for one test, all named with a prefix ("jt" by default) + a per-run random suffix,
 * removed by exact name in {@link #close()}.
 */
public final class TestNet implements AutoCloseable
{
    private static final Pattern MAC = Pattern.compile("link/ether ([0-9a-f:]{17})");

    public final String id;
    private final List<String> namespaces = new ArrayList<>();
    private final List<String> links = new ArrayList<>();

    /** Names start with "jt" (the tap module's prefix). */
    public TestNet()
    {
        this("jt");
    }

    /** Names start with {@code prefix} (two letters: one per module or tool) plus a random per-run suffix. */
    public TestNet(final String prefix)
    {
        id = prefix + Integer.toHexString(0x10000 + ThreadLocalRandom.current().nextInt(0xF0000));
    }

    /** e.g. name("a") = "jt1a2b3a": fits IFNAMSIZ. */
    public String name(final String role)
    {
        final String name = id + role;
        if (name.length() > 15)
        {
            throw new IllegalArgumentException(name);
        }
        return name;
    }

    public String namespace(final String role)
    {
        final String ns = name(role);
        Sh.run("ip", "netns", "add", ns);
        namespaces.add(ns);
        Sh.run("ip", "-n", ns, "link", "set", "lo", "up");
        // No IPv6 chatter (DAD, router solicitations, MLD): tests that expect silence must get it.
        Sh.run("ip", "netns", "exec", ns, "sysctl", "-q", "-w",
            "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        return ns;
    }

    /**
     * Creates veth hostEnd (in this namespace, up, no IPv6 chatter) whose peer sits in {@code ns} with
     * {@code cidr} and is up.
     */
    public void veth(final String hostEnd, final String peer, final String ns, final String cidr)
    {
        veth(hostEnd, null, peer, ns, cidr, 0);
    }

    /**
     * As {@link #veth(String, String, String, String)}, with an optional address on the host end and, when
     * {@code peerMtu > 0}, an MTU on the peer.
     */
    public void veth(final String hostEnd, final String hostCidr, final String peer, final String ns,
        final String cidr, final int peerMtu)
    {
        Sh.run("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", peer);
        links.add(hostEnd);
        Sh.run("sysctl", "-q", "-w", "net.ipv6.conf." + hostEnd + ".disable_ipv6=1");
        Sh.run("ip", "link", "set", peer, "netns", ns);
        Sh.run("ip", "-n", ns, "addr", "add", cidr, "dev", peer);
        if (peerMtu > 0)
        {
            Sh.run("ip", "-n", ns, "link", "set", peer, "mtu", Integer.toString(peerMtu));
        }
        Sh.run("ip", "-n", ns, "link", "set", peer, "up");
        if (hostCidr != null)
        {
            Sh.run("ip", "addr", "add", hostCidr, "dev", hostEnd);
        }
        Sh.run("ip", "link", "set", hostEnd, "up");
    }

    public static String mac(final String ns, final String dev)
    {
        final String out = ns == null ? Sh.run("ip", "link", "show", dev) : Sh.run("ip", "-n", ns, "link", "show", dev);
        final Matcher m = MAC.matcher(out);
        if (!m.find())
        {
            throw new IllegalStateException("no MAC for " + dev + ": " + out);
        }
        return m.group(1);
    }

    public static byte[] macBytes(final String mac)
    {
        final String[] parts = mac.split(":");
        final byte[] bytes = new byte[6];
        for (int i = 0; i < 6; i++)
        {
            bytes[i] = (byte)Integer.parseInt(parts[i], 16);
        }
        return bytes;
    }

    /** Runs in the namespace ("ip netns exec" execs the command, so a Process's PID is the command's). */
    public static List<String> inNs(final String ns, final String... command)
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        return full;
    }

    public static String[] inNsArray(final String ns, final String... command)
    {
        return inNs(ns, command).toArray(new String[0]);
    }

    @Override
    public void close()
    {
        final StringBuilder failures = new StringBuilder();
        for (final String link : links)
        {
            // Usually gone with its namespace peer already; "Cannot find device" is fine.
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
