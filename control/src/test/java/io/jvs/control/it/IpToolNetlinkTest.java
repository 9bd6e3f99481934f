package io.jvs.control.it;

import io.jvs.control.common.JvsException;
import io.jvs.control.netns.Command;
import io.jvs.control.netns.IpTool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IpTool's connect path through rtnetlink, as root on a real namespace: what it builds, and the errors it gives
 * (the kernel's errno, named). Names start with "jz" and a per-run suffix and are removed by exact name.
 */
class IpToolNetlinkTest
{
    private final String run = "jz" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final String namespace = run + "s";
    private final String hostEnd = run + "h";
    private final IpTool ip = new IpTool();

    @BeforeEach
    void createNamespace()
    {
        Command.run("ip", "netns", "add", namespace);
    }

    @AfterEach
    void removeEverything()
    {
        Command.exec(Duration.ofSeconds(10), "ip", "link", "del", hostEnd);
        Command.exec(Duration.ofSeconds(10), "ip", "netns", "delete", namespace);
    }

    @Test
    void connectSequenceAsNetworkServiceRunsIt()
    {
        ip.linkUp(namespace, "lo");
        assertEquals(List.of("lo"), ip.linkNames(namespace));
        ip.createVeth(hostEnd, "eth0", "02:42:0a:5a:00:02", namespace);
        ip.setMtu(namespace, "eth0", 1450);
        ip.setMtu(null, hostEnd, 1450);
        ip.disableIpv6InNamespace(namespace, "eth0");
        ip.addAddress(namespace, "eth0", "10.90.0.2/24");
        ip.linkUp(namespace, "eth0");
        assertEquals(Optional.empty(), ip.defaultRouteDevice(namespace));
        ip.addDefaultRoute(namespace, "10.90.0.1", "eth0");
        ip.disableIpv6OnHost(hostEnd);
        ip.linkUp(null, hostEnd);

        assertEquals(List.of("lo", "eth0"), ip.linkNames(namespace));
        assertEquals(Optional.of("eth0"), ip.defaultRouteDevice(namespace));
        assertEquals(1450, ip.mtu(namespace, "eth0"));
        assertEquals(1450, ip.mtu(null, hostEnd));
        final String link = Command.run("ip", "-n", namespace, "-o", "link", "show", "eth0");
        assertTrue(link.contains("link/ether 02:42:0a:5a:00:02") && link.contains(",UP,"), link);
        assertTrue(Command.run("ip", "-n", namespace, "-o", "-4", "addr", "show", "eth0").contains("10.90.0.2/24"));
        if (Files.exists(Path.of("/proc/sys/net/ipv6/conf")))
        {
            assertEquals("1", Command.run("ip", "netns", "exec", namespace, "cat",
                "/proc/sys/net/ipv6/conf/eth0/disable_ipv6").strip());
        }

        assertTrue(ip.deleteLink(hostEnd));
        assertFalse(ip.linkExists(hostEnd));
        assertEquals(List.of("lo"), ip.linkNames(namespace), "the sandbox end went with it");
        assertFalse(ip.deleteLink(hostEnd));
    }

    @Test
    void kernelRefusalsNameTheErrno()
    {
        ip.createVeth(hostEnd, "eth0", "02:42:0a:5a:00:02", namespace);
        final JvsException duplicate = assertThrows(JvsException.class,
            () -> ip.createVeth(hostEnd, "eth1", "02:42:0a:5a:00:03", namespace));
        assertTrue(duplicate.getMessage().startsWith("RTM_NEWLINK " + hostEnd + ": File exists (EEXIST)"),
            duplicate.getMessage());

        ip.addAddress(namespace, "eth0", "10.90.0.2/24");
        ip.linkUp(namespace, "eth0");
        ip.addDefaultRoute(namespace, "10.90.0.1", "eth0");
        final JvsException route = assertThrows(JvsException.class,
            () -> ip.addDefaultRoute(namespace, "10.90.0.1", "eth0"));
        assertTrue(route.getMessage().startsWith("in network namespace " + namespace +
            ": RTM_NEWROUTE default via 10.90.0.1 dev eth0: File exists (EEXIST)"), route.getMessage());

        final JvsException noDevice = assertThrows(JvsException.class,
            () -> ip.addAddress(namespace, "eth9", "10.90.0.3/24"));
        assertEquals("in network namespace " + namespace + ": RTM_GETLINK eth9: No such device (ENODEV)",
            noDevice.getMessage());

        final JvsException gone = assertThrows(JvsException.class, () -> ip.linkUp(run + "x", "lo"));
        assertEquals("cannot enter network namespace " + run + "x: No such file or directory (ENOENT)",
            gone.getMessage());
        final JvsException goneVeth = assertThrows(JvsException.class,
            () -> ip.createVeth(run + "y", "eth0", "02:42:0a:5a:00:04", run + "x"));
        assertTrue(goneVeth.getMessage().contains("No such file or directory (ENOENT)"), goneVeth.getMessage());
        assertFalse(ip.linkExists(run + "y"), "nothing half-made");
    }
}
