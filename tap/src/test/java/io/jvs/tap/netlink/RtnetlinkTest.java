package io.jvs.tap.netlink;

import io.jvs.tap.NativeException;
import io.jvs.tap.NetworkNamespace;
import io.jvs.tap.Sh;
import io.jvs.tap.TestNet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * rtnetlink against the real kernel (root): what it makes is compared with what {@code ip} makes from the same
 * command line, read back with {@code ip -j}. Namespaces and links carry a per-run prefix and are removed by exact
 * name.
 */
final class RtnetlinkTest
{
    /** Fields that differ between two otherwise identical links: kernel-assigned numbers. */
    private static final Pattern VOLATILE = Pattern.compile(
        "\"(ifindex|link_index|link_netnsid|link|inet6_addr_gen_mode|gso_max_size|gso_max_segs|tso_max_size|" +
        "tso_max_segs|gro_max_size|gso_ipv4_max_size|gro_ipv4_max_size|parentbus|parentdev)\":(\\d+|\"[^\"]*\"),?");

    private final TestNet net = new TestNet("jr");
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
    void vethIntoNamespaceIsWhatIpMakes()
    {
        final String nsIp = net.namespace("a");
        final String nsNl = net.namespace("b");
        final String peer = net.name("p"); // the same name in both namespaces, so the dumps compare whole
        final String hostIp = net.name("hi");
        final String hostNl = net.name("hn");
        hostLinks.add(hostIp);
        hostLinks.add(hostNl);

        Sh.run("ip", "link", "add", hostIp, "mtu", "1400", "type", "veth", "peer", "name", peer,
            "address", "02:42:0a:01:02:03", "mtu", "1400", "netns", nsIp);
        Sh.run("ip", "-n", nsIp, "addr", "add", "10.1.2.3/24", "dev", peer);
        Sh.run("ip", "-n", nsIp, "link", "set", peer, "up");
        Sh.run("ip", "-n", nsIp, "route", "add", "default", "via", "10.1.2.1", "dev", peer);
        Sh.run("ip", "link", "set", hostIp, "up");

        try (Rtnetlink host = Rtnetlink.open(); Rtnetlink sandbox = Rtnetlink.openIn(NetworkNamespace.named(nsNl)))
        {
            host.createVeth(hostNl, peer, Rtnetlink.mac("02:42:0a:01:02:03"), 1400, NetworkNamespace.named(nsNl));
            assertFalse(Files.exists(Path.of("/sys/class/net", peer)), "the peer never shows up on the host");
            final int index = sandbox.requireIndex(peer);
            sandbox.addIpv4Address(index, 0x0a010203, 24, peer);
            sandbox.setUp(peer);
            assertEquals(0, sandbox.ipv4DefaultRouteIndex());
            sandbox.addIpv4DefaultRoute(0x0a010201, index, peer);
            assertEquals(index, sandbox.ipv4DefaultRouteIndex());
            host.setUp(hostNl);

            final List<Rtnetlink.Link> links = sandbox.links();
            assertEquals(List.of("lo", peer), links.stream().map(Rtnetlink.Link::name).toList());
            assertEquals(1400, links.get(1).mtu());
            assertTrue(links.get(1).up());
            assertEquals(index, sandbox.link(index).index());
            assertEquals(peer, sandbox.link(index).name());
        }

        assertEquals(normalize(Sh.run("ip", "-j", "-d", "-n", nsIp, "link", "show", "dev", peer)),
            normalize(Sh.run("ip", "-j", "-d", "-n", nsNl, "link", "show", "dev", peer)));
        assertEquals(normalize(Sh.run("ip", "-j", "-n", nsIp, "-4", "addr", "show", "dev", peer)),
            normalize(Sh.run("ip", "-j", "-n", nsNl, "-4", "addr", "show", "dev", peer)));
        assertEquals(Sh.run("ip", "-j", "-n", nsIp, "route", "show"), Sh.run("ip", "-j", "-n", nsNl, "route", "show"));
        assertTrue(Sh.run("ip", "-j", "-n", nsNl, "route", "show").contains("\"gateway\":\"10.1.2.1\""));
        assertEquals(normalize(Sh.run("ip", "-j", "-d", "link", "show", "dev", hostIp)).replace(hostIp, "H")
                .replaceAll("\"address\":\"[0-9a-f:]{17}\"", ""),
            normalize(Sh.run("ip", "-j", "-d", "link", "show", "dev", hostNl)).replace(hostNl, "H")
                .replaceAll("\"address\":\"[0-9a-f:]{17}\"", ""));
    }

    @Test
    void hostLinkChangesByName()
    {
        final String a = net.name("x");
        final String b = net.name("y");
        hostLinks.add(a);
        try (Rtnetlink host = Rtnetlink.open())
        {
            host.createVeth(a, b, null, 0, RtnetlinkRequests.SAME_NAMESPACE);
            host.setMtu(a, 1280);
            host.setMac(b, Rtnetlink.mac("02:00:00:00:00:0b"));
            host.setUp(b);
            assertEquals(1280, host.link(a).mtu());
            assertTrue(host.link(b).up());
            assertEquals("02:00:00:00:00:0b", TestNet.mac(null, b));
            assertEquals(Integer.parseInt(Sh.run("cat", "/sys/class/net/" + a + "/ifindex").strip()), host.index(a));
            assertTrue(host.deleteLink(a));
            assertFalse(Files.exists(Path.of("/sys/class/net", b)), "the peer went with it");
            assertFalse(host.deleteLink(a), "a second delete finds nothing");
            assertEquals(0, host.index(a));
            assertEquals(null, host.link(a));
        }
    }

    @Test
    void duplicateNameFailsWithTheErrno()
    {
        final String a = net.name("d");
        hostLinks.add(a);
        try (Rtnetlink host = Rtnetlink.open())
        {
            host.createVeth(a, net.name("e"), null, 0, RtnetlinkRequests.SAME_NAMESPACE);
            final NetlinkException ex = assertThrows(NetlinkException.class,
                () -> host.createVeth(a, net.name("f"), null, 0, RtnetlinkRequests.SAME_NAMESPACE));
            assertEquals(Errno.EEXIST, ex.errno());
            assertTrue(ex.getMessage().startsWith("RTM_NEWLINK " + a + ": File exists (EEXIST)"), ex.getMessage());
            final NetlinkException tooBig = assertThrows(NetlinkException.class, () -> host.setMtu(a, 1 << 20));
            assertTrue(tooBig.getMessage().startsWith("RTM_NEWLINK " + a + " mtu 1048576: Invalid argument (EINVAL)"),
                tooBig.getMessage());
            // The socket stays usable after a refusal: answers are matched by sequence number.
            host.setMtu(a, 1300);
            assertEquals(1300, host.link(a).mtu());
            final NetlinkException missing = assertThrows(NetlinkException.class, () -> host.requireIndex(a + "z"));
            assertEquals("RTM_GETLINK " + a + "z: No such device (ENODEV)", missing.getMessage());
        }
    }

    @Test
    void missingNamespaceIsNamed()
    {
        final Path gone = NetworkNamespace.named(net.name("gone"));
        final NativeException ex = assertThrows(NativeException.class, () -> Rtnetlink.openIn(gone));
        assertTrue(ex.getMessage().contains(gone.toString()) && ex.errno() == Errno.ENOENT, ex.getMessage());
        try (Rtnetlink host = Rtnetlink.open())
        {
            final NetlinkException veth = assertThrows(NetlinkException.class,
                () -> host.createVeth(net.name("g"), "eth0", null, 0, gone));
            assertEquals("RTM_NEWLINK " + net.name("g") + ": open " + gone + ": No such file or directory (ENOENT)",
                veth.getMessage());
        }
        assertFalse(Files.exists(Path.of("/sys/class/net", net.name("g"))));
    }

    /**
     * /proc/sys/net shows the network namespace of the thread that opens the file, so a thread that entered a
     * namespace can switch off IPv6 on a device only that namespace has, with no {@code ip netns exec sysctl}.
     */
    @Test
    void procSysNetFollowsTheThreadsNamespace() throws Exception
    {
        final String ns = net.namespace("s");
        final String peer = net.name("q");
        final String host = net.name("r");
        hostLinks.add(host);
        try (Rtnetlink rt = Rtnetlink.open())
        {
            rt.createVeth(host, peer, null, 0, NetworkNamespace.named(ns));
        }
        final Path file = Path.of("/proc/sys/net/ipv6/conf", peer, "disable_ipv6");
        assertFalse(Files.exists(file), "not visible from the host's namespace");
        // TestNet turns IPv6 off for new devices; put this one back on to see the write take effect.
        Sh.run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf." + peer + ".disable_ipv6=0");
        NetworkNamespace.call(NetworkNamespace.named(ns), () -> Files.writeString(file, "1"));
        assertEquals("net.ipv6.conf." + peer + ".disable_ipv6 = 1",
            Sh.run("ip", "netns", "exec", ns, "sysctl", "net.ipv6.conf." + peer + ".disable_ipv6").strip());
        assertFalse(Files.exists(file), "the calling thread stayed in the host's namespace");
    }

    private static String normalize(final String json)
    {
        return VOLATILE.matcher(json.strip()).replaceAll("");
    }
}
