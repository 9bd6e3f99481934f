package io.jvs.control.testing;

import io.jvs.control.netns.Command;

import java.time.Duration;

/**
 * The world beyond a daemon's NAT uplink: a veth whose host end is the uplink and whose peer sits, addressed and up,
 * in an "outside" namespace with no route to any jvs network.
 */
public final class OutsideWire
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private OutsideWire()
    {
    }

    /** Creates namespace {@code outside} and the veth {@code uplink} (host, up, no IPv6) to {@code peer} inside it. */
    public static void create(final String outside, final String uplink, final String peer, final String peerCidr)
    {
        Command.run("ip", "netns", "add", outside);
        Command.run("ip", "link", "add", uplink, "type", "veth", "peer", "name", peer);
        Command.run("ip", "link", "set", peer, "netns", outside);
        Command.run("ip", "-n", outside, "addr", "add", peerCidr, "dev", peer);
        Command.run("ip", "-n", outside, "link", "set", peer, "up");
        Command.run("ip", "-n", outside, "link", "set", "lo", "up");
        Command.run("ip", "link", "set", uplink, "up");
        Command.run("sysctl", "-q", "-w", "net.ipv6.conf." + uplink + ".disable_ipv6=1");
    }

    /** Deletes the veth and the namespace by name; either may already be gone. */
    public static void remove(final String outside, final String uplink)
    {
        Command.exec(TIMEOUT, "ip", "link", "del", uplink);
        Command.exec(TIMEOUT, "ip", "netns", "delete", outside);
    }
}
