package io.jvs.control.docker;

import io.jvs.control.netns.Command;

import java.time.Duration;

/**
 * What Docker does with the interface a remote driver's Join hands it, done by hand on a namespace that stands in
 * for a container: move SrcName in, name it eth0, address it, bring it up, route via the gateway.
 */
public final class ContainerSim
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private ContainerSim()
    {
    }

    public static void createNamespace(final String name)
    {
        Command.run("ip", "netns", "add", name);
        Command.run("ip", "-n", name, "link", "set", "lo", "up");
    }

    /** Deletes a namespace by exact name; quiet when it is already gone. */
    public static void deleteNamespace(final String name)
    {
        Command.exec(TIMEOUT, "ip", "netns", "delete", name);
    }

    public static void deleteLink(final String name)
    {
        Command.exec(TIMEOUT, "ip", "link", "delete", name);
    }

    /** @param gateway null for none (internal networks). */
    public static void plug(final String srcName, final String namespace, final String cidr, final String gateway)
    {
        Command.run("ip", "link", "set", srcName, "netns", namespace);
        Command.run("ip", "-n", namespace, "link", "set", srcName, "name", "eth0");
        Command.run("ip", "netns", "exec", namespace, "sysctl", "-q", "-w", "net.ipv6.conf.eth0.disable_ipv6=1");
        Command.run("ip", "-n", namespace, "address", "add", cidr, "dev", "eth0");
        Command.run("ip", "-n", namespace, "link", "set", "eth0", "up");
        if (gateway != null)
        {
            Command.run("ip", "-n", namespace, "route", "add", "default", "via", gateway, "dev", "eth0");
        }
    }

    /** What libnetwork does on Leave: the interface goes back to the host under its source name. */
    public static void unplug(final String namespace, final String srcName)
    {
        Command.run("ip", "-n", namespace, "link", "set", "eth0", "down");
        Command.run("ip", "-n", namespace, "link", "set", "eth0", "name", srcName);
        Command.run("ip", "-n", namespace, "link", "set", srcName, "netns", Long.toString(ProcessHandle.current().pid()));
    }

    public static boolean ping(final String namespace, final String address, final int count)
    {
        return Command.exec(TIMEOUT, "ip", "netns", "exec", namespace, "ping", "-c", Integer.toString(count), "-i",
            "0.2", "-W", "1", address).ok();
    }
}
