package io.jvs.tap.netlink;

import io.jvs.tap.NetworkNamespace;
import io.jvs.tap.Sh;
import io.jvs.tap.TestNet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The IPv6 requests against the real kernel (root): an address added {@code nodad} and a default route via a
 * gateway, made once with {@code ip} and once over rtnetlink in twin namespaces, read back with {@code ip}.
 */
final class RtnetlinkIpv6Test
{
    /** fd00:0:1::2 */
    private static final byte[] ADDRESS = {(byte)0xfd, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    /** fd00:0:1::1 */
    private static final byte[] GATEWAY = {(byte)0xfd, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    private final TestNet net = new TestNet("v6c");
    private final List<String> hostLinks = new ArrayList<>();

    @AfterEach
    void cleanUp()
    {
        for (final String link : hostLinks)
        {
            Sh.exec(10, "ip", "link", "del", link);
        }
        net.close();
    }

    @Test
    void nodadAddressAndDefaultRouteAreWhatIpMakes()
    {
        final String nsIp = net.namespace("a");
        final String nsNl = net.namespace("b");
        final String peer = net.name("p");
        final String hostIp = net.name("hi");
        final String hostNl = net.name("hn");
        hostLinks.add(hostIp);
        hostLinks.add(hostNl);
        for (final String ns : List.of(nsIp, nsNl))
        {
            Sh.run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0",
                "net.ipv6.conf.default.disable_ipv6=0", "net.ipv6.conf.default.accept_ra=0");
        }

        Sh.run("ip", "link", "add", hostIp, "type", "veth", "peer", "name", peer, "address", "02:42:0a:01:02:03",
            "netns", nsIp);
        Sh.run("ip", "-n", nsIp, "link", "set", peer, "up");
        Sh.run("ip", "-n", nsIp, "-6", "addr", "add", "fd00:0:1::2/64", "dev", peer, "nodad");
        Sh.run("ip", "-n", nsIp, "-6", "route", "add", "default", "via", "fd00:0:1::1", "dev", peer);

        try (Rtnetlink host = Rtnetlink.open(); Rtnetlink sandbox = Rtnetlink.openIn(NetworkNamespace.named(nsNl)))
        {
            host.createVeth(hostNl, peer, Rtnetlink.mac("02:42:0a:01:02:03"), 0, NetworkNamespace.named(nsNl));
            final int index = sandbox.requireIndex(peer);
            sandbox.setUp(peer);
            sandbox.addIpv6Address(index, ADDRESS, 64, peer);
            assertEquals(0, sandbox.ipv6DefaultRouteIndex());
            sandbox.addIpv6DefaultRoute(GATEWAY, index, peer);
            assertEquals(index, sandbox.ipv6DefaultRouteIndex());
            assertEquals(0, sandbox.ipv4DefaultRouteIndex(), "an IPv6 route is no IPv4 default route");
        }

        final String global = Sh.run("ip", "-n", nsNl, "-6", "-o", "addr", "show", "dev", peer, "scope", "global");
        assertTrue(global.contains("fd00:0:1::2/64") && global.contains("nodad") && !global.contains("tentative"),
            global);
        assertEquals(Sh.run("ip", "-n", nsIp, "-6", "-o", "addr", "show", "dev", peer, "scope", "global"), global);
        assertEquals(Sh.run("ip", "-n", nsIp, "-6", "route", "show", "default"),
            Sh.run("ip", "-n", nsNl, "-6", "route", "show", "default"));
        assertTrue(Sh.run("ip", "-n", nsNl, "-6", "route", "show", "default").contains("via fd00:0:1::1"));
    }
}
