package io.jvs.vxlan;

import io.jvs.tap.Sh;
import io.jvs.tap.TestNet;
import io.jvs.dataplane.Switch;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.tap.PacketSocketPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.jvs.tap.TestNet.inNs;
import static io.jvs.tap.TestNet.inNsArray;
import static org.junit.jupiter.api.Assertions.*;

/**
 * jvs VXLAN against a Linux kernel vxlan device, offloads at their defaults (TSO/GSO/checksum offload ON).
 * <pre>
 *  ns C (container)            host namespace (this JVM)                          ns B (kernel VTEP)
 *  jx..p 10.214.N.1/24 ==veth== jx..h --PacketSocketPort--+
 *  mtu 1450                                               Switch (bridge domain)
 *                              10.213.N.1/24 jx..u <--Vtep+VxlanTunnelPort(vni) ==veth== jx..v 10.213.N.2/24
 *                                                                                        jx..x vxlan id vni
 *                                                                                        10.214.N.2/24
 * </pre>
 * Needs root, iproute2, iperf3, tcpdump, tshark (apt-get install -y tshark), netcat-openbsd.
 */
class VxlanInteropTest
{
    private static final Pattern RECEIVED = Pattern.compile(
        "\"sum_received\"\\s*:\\s*\\{[^}]*?\"bytes\"\\s*:\\s*(\\d+)[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");

    private final int n = 1 + ThreadLocalRandom.current().nextInt(250);
    private final int vni = 1000 + ThreadLocalRandom.current().nextInt(100_000);
    private final String localUnderlay = "10.213." + n + ".1";
    private final String remoteUnderlay = "10.213." + n + ".2";
    private final String containerIp = "10.214." + n + ".1";
    private final String remoteOverlay = "10.214." + n + ".2";

    private TestNet net;
    private String nsB;
    private String nsC;
    private Switch sw;
    private Vtep vtep;
    private VxlanTunnelPort tunnel;
    private Process background;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp()
    {
        net = new TestNet("jx");
        nsB = net.namespace("b");
        nsC = net.namespace("c");
        net.veth(net.name("u"), localUnderlay + "/24", net.name("v"), nsB, remoteUnderlay + "/24", 1500);
        net.veth(net.name("h"), null, net.name("p"), nsC, containerIp + "/24", 1450);
        Sh.run("ip", "-n", nsB, "link", "add", net.name("x"), "type", "vxlan", "id", Integer.toString(vni),
            "local", remoteUnderlay, "remote", localUnderlay, "dstport", "4789", "dev", net.name("v"));
        Sh.run("ip", "-n", nsB, "addr", "add", remoteOverlay + "/24", "dev", net.name("x"));
        Sh.run("ip", "-n", nsB, "link", "set", net.name("x"), "up");

        sw = Switch.start(SwitchConfig.defaults());
        final int bd = sw.createBridgeDomain(net.id);
        sw.addPort(PacketSocketPort.open(net.name("h")), bd);
        vtep = Vtep.open(VtepConfig.of(net.name("u"), localUnderlay, 24));
        tunnel = vtep.openPort(vni, net.name("t"));
        vtep.setPeers(vni, remoteUnderlay);
        sw.addPort(tunnel, bd);
    }

    @AfterEach
    void tearDown()
    {
        Sh.stop(background);
        try
        {
            if (sw != null)
            {
                sw.close();
            }
            if (vtep != null)
            {
                vtep.close();
            }
        }
        finally
        {
            net.close();
        }
    }

    private String diagnostics()
    {
        return "\nvtep=" + vtep + "\nignored=" + vtep.ignoredCounts() + "\ntunnel=" + tunnel + "\nneighbours=" +
            vtep.neighbours() + "\nports=" + sw.portStats() + "\nagentError=" + sw.lastAgentError();
    }

    @Test
    void pingThroughKernelVxlanAndTsharkDecodesVni()
    {
        final Path capture = dir.resolve("underlay.pcap");
        // Captured on the kernel side: jvs transmits with PACKET_QDISC_BYPASS, which host-side taps do not see.
        background = Sh.start(inNs(nsB, "tcpdump", "-i", net.name("v"), "-n", "-U", "--immediate-mode", "-w", capture.toString(),
            "udp", "port", "4789"));
        sleep(1000);
        final Sh.Result ping = Sh.exec(30, inNsArray(nsC, "ping", "-c", "3", "-i", "0.2", "-w", "10", remoteOverlay));
        assertEquals(0, ping.exitCode(), ping.output() + diagnostics());
        sleep(500);
        Sh.stop(background);
        background = null;

        final String fields = Sh.run("tshark", "-r", capture.toString(), "-Y", "vxlan", "-T", "fields",
            "-e", "ip.src", "-e", "vxlan.flags", "-e", "vxlan.vni", "-e", "icmp.type");
        final String[] lines = fields.lines().filter(l -> l.contains("\t")).toArray(String[]::new);
        int fromJvs = 0;
        int fromKernel = 0;
        int echoRequests = 0;
        for (final String line : lines)
        {
            final String[] f = line.split("\t", -1);
            assertTrue(f.length >= 3, "tshark line: " + line + "\n" + fields);
            assertEquals(Integer.toString(vni), f[2], "VNI: " + line);
            assertEquals("0x0800", f[1], "flags: I only: " + line);
            final String outerSource = f[0].split(",")[0];
            if (outerSource.equals(localUnderlay))
            {
                fromJvs++;
                if (f.length > 3 && f[3].equals("8"))
                {
                    echoRequests++;
                }
            }
            else if (outerSource.equals(remoteUnderlay))
            {
                fromKernel++;
            }
        }
        assertTrue(fromJvs >= 4 && fromKernel >= 4 && echoRequests >= 3,
            "jvs=" + fromJvs + " kernel=" + fromKernel + " echo=" + echoRequests + "\n" + fields + ping.output() +
            Sh.run("tshark", "-r", capture.toString()) + diagnostics());
        // Only frames jvs sent: the kernel's own show "bad" outer UDP checksums here because tcpdump sees them
        // before checksum offload fills them in.
        final String expert = Sh.run("tshark", "-r", capture.toString(), "-o", "ip.check_checksum:TRUE",
            "-o", "udp.check_checksum:TRUE", "-Y", "ip.src == " + localUnderlay +
            " && (ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\")");
        assertTrue(expert.lines().noneMatch(l -> l.contains("10.21")), "bad checksums in capture:\n" + expert);
        assertTrue(tunnel.remoteMacCount() >= 1, diagnostics());
    }

    @Test
    void tcpBothDirectionsWithOffloadsOn()
    {
        background = Sh.start(inNs(nsB, "iperf3", "-s", "-B", remoteOverlay));
        sleep(700);
        final double up = iperf(false);
        final double down = iperf(true);
        System.out.printf("jvs vxlan <-> kernel vxlan: container->remote %.2f Gbit/s, remote->container %.2f Gbit/s%n",
            up / 1e9, down / 1e9);
        System.out.println(diagnostics());
        assertTrue(tunnel.txSegments() > 0, "GSO frames were segmented in Java" + diagnostics());
        // The kernel's vxlan device took our UDP GSO super-datagrams (cut by the kernel: iperf3 above moved data).
        assertTrue(tunnel.txUdpGsoFrames() > 0, "segments left batched as UDP GSO" + diagnostics());
    }

    private double iperf(final boolean reverse)
    {
        final Sh.Result r = Sh.exec(40, inNsArray(nsC, "iperf3", "-c", remoteOverlay, "-t", "5", "-J",
            reverse ? "-R" : "-4"));
        assertEquals(0, r.exitCode(), r.output() + diagnostics());
        final Matcher m = RECEIVED.matcher(r.output());
        assertTrue(m.find(), r.output());
        final long bytes = Long.parseLong(m.group(1));
        assertTrue(bytes > 10_000_000, "only " + bytes + " bytes " + (reverse ? "down" : "up") + diagnostics());
        return Double.parseDouble(m.group(2));
    }

    @Test
    void malformedVxlanIsCountedDroppedAndNotAnsweredByTheKernel()
    {
        // Resolve everything first so later counts are only the injected frames.
        assertEquals(0, Sh.exec(30, inNsArray(nsC, "ping", "-c", "1", "-w", "10", remoteOverlay)).exitCode(),
            diagnostics());
        final Path capture = dir.resolve("icmp.pcap");
        background = Sh.start(List.of("tcpdump", "-i", net.name("u"), "-n", "-U", "--immediate-mode", "-w", capture.toString(), "icmp"));
        sleep(1000);

        final int otherVni = vni + 1;
        send(4789, new byte[]{1, 2, 3, 4});                                               // too short
        send(4789, vxlan(0x00, vni, 14));                                                 // I flag clear
        send(4789, vxlan(0x08, otherVni, 14));                                            // unknown VNI
        send(4789, vxlan(0x08, vni, 3000));                                               // fragmented
        send(4790, vxlan(0x08, vni, 14));                                                 // not the VXLAN port
        sleep(1000);
        Sh.stop(background);
        background = null;

        assertEquals(1, vtep.rxDrops(RxDrop.TOO_SHORT), diagnostics());
        assertEquals(1, vtep.rxDrops(RxDrop.BAD_FLAGS), diagnostics());
        assertEquals(1, vtep.rxDrops(RxDrop.UNKNOWN_VNI), diagnostics());
        assertEquals(1, vtep.rxDrops(RxDrop.IP_FRAGMENT), diagnostics());
        assertTrue(vtep.ignored(RxIgnored.LATER_FRAGMENT) >= 1, diagnostics());
        assertTrue(vtep.ignored(RxIgnored.OTHER_UDP_PORT) >= 1, diagnostics());

        final String unreachable = Sh.run("tshark", "-r", capture.toString(), "-Y", "icmp.type == 3", "-T", "fields",
            "-e", "udp.dstport");
        final List<String> ports = unreachable.lines().filter(l -> l.matches("\\d+")).toList();
        assertFalse(ports.contains("4789"), "kernel answered VXLAN with port unreachable: " + ports);
        assertTrue(ports.contains("4790"), "control: the kernel does answer an unowned port: " + ports);
    }

    /** One UDP datagram from ns B's underlay address to the VTEP (nc reads it from printf's octal escapes). */
    private void send(final int port, final byte[] payload)
    {
        final StringBuilder octal = new StringBuilder();
        for (final byte b : payload)
        {
            octal.append(String.format("\\%03o", b & 0xFF));
        }
        final Sh.Result r = Sh.exec(15, inNsArray(nsB, "sh", "-c", "printf '" + octal + "' | nc -u -w 1 -s " +
            remoteUnderlay + " " + localUnderlay + " " + port));
        assertEquals(0, r.exitCode(), r.output());
    }

    private static byte[] vxlan(final int flags, final int vni, final int innerLength)
    {
        final byte[] b = new byte[8 + innerLength];
        b[0] = (byte)flags;
        b[4] = (byte)(vni >>> 16);
        b[5] = (byte)(vni >>> 8);
        b[6] = (byte)vni;
        for (int i = 0; i < 6; i++)
        {
            b[8 + i] = (byte)0xFF;
            b[8 + 6 + i] = (byte)(0x02 + i);
        }
        return b;
    }

    private static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
