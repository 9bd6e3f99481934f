package io.jvs.tap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The offload trap: two namespaces joined only by our patch loop, default offloads ON (checksum offload,
 * TSO, GRO), so CHECKSUM_PARTIAL and 64 KB GSO frames cross userspace. Ping and TCP must both work.
 */
class PatchTest
{
    private static final Pattern RECEIVED = Pattern.compile(
        "\"sum_received\"\\s*:\\s*\\{[^}]*?\"bytes\"\\s*:\\s*(\\d+)[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");
    private static final String IP_A = "10.78.0.1";
    private static final String IP_B = "10.78.0.2";

    private TestNet net;
    private String nsA;
    private String nsB;
    private PacketPort portA;
    private PacketPort portB;
    private PatchLoop patch;
    private Process server;

    @BeforeEach
    void setUp()
    {
        net = new TestNet();
        nsA = net.namespace("a");
        nsB = net.namespace("b");
        net.veth(net.name("hb"), net.name("pb"), nsB, IP_B + "/24");
    }

    @AfterEach
    void tearDown()
    {
        Sh.stop(server);
        try
        {
            if (patch != null)
            {
                patch.close();
            }
        }
        finally
        {
            closeQuietly(portA);
            closeQuietly(portB);
            net.close();
        }
    }

    private static void closeQuietly(final PacketPort port)
    {
        if (port != null)
        {
            port.close();
        }
    }

    private void vethPortA()
    {
        net.veth(net.name("ha"), net.name("pa"), nsA, IP_A + "/24");
        portA = PacketSocketPort.open(net.name("ha"));
    }

    private void tapPortA()
    {
        final String tap = net.name("t");
        portA = TapPort.open(tap);
        assertEquals(tap, portA.name());
        // The TAP moves into namespace A; our fd keeps working.
        Sh.run("ip", "link", "set", "dev", tap, "netns", nsA);
        Sh.run("ip", "-n", nsA, "addr", "add", IP_A + "/24", "dev", tap);
        Sh.run("ip", "-n", nsA, "link", "set", tap, "up");
    }

    @Test
    void pingAndTcpCrossPacketSocketPatchWithOffloadsOn(@TempDir final Path dir) throws Exception
    {
        vethPortA();
        portB = PacketSocketPort.open(net.name("hb"));
        assertOffloadsOn(nsA, net.name("pa"));
        patch = new PatchLoop(portA, portB, 60_000);

        ping();
        final double gbps = iperf3();
        final String integrity = transferAndCompare(dir, 32 << 20);
        System.out.printf("PacketSocketPort<->PacketSocketPort: %.2f Gbit/s; %s; %s%n  A: %s%n  B: %s%n",
            gbps, integrity, patch, portA, portB);
        System.out.printf("  RX tp_status bits seen: A=0x%x B=0x%x%n",
            ((PacketSocketPort)portA).rxStatusBitsSeen(), ((PacketSocketPort)portB).rxStatusBitsSeen());
        assertTrue(patch.gsoFrames > 0, "TSO on: GSO frames expected to cross the patch: " + patch);
        assertEquals(0, ((PacketSocketPort)portA).truncatedFrames());
        assertEquals(0, ((PacketSocketPort)portB).truncatedFrames());
        assertTrue(((PacketSocketPort)portB).txLongFrames() > 0, "GSO frames left without a TX slot: " + portB);
    }

    @Test
    void tcpCrossesAPatchThatReadsLongFramesIntoClaimedRoom(@TempDir final Path dir) throws Exception
    {
        vethPortA();
        portB = PacketSocketPort.open(net.name("hb"));
        patch = new PatchLoop(portA, portB, 60_000, true);

        ping();
        final String integrity = transferAndCompare(dir, 32 << 20);
        System.out.printf("claimed long frames: %s; %s%n  A: %s%n  B: %s%n", integrity, patch, portA, portB);
        assertTrue(((PacketSocketPort)portA).rxLongFramesClaimed() > 0, "long frames read into claimed room: " + portA);
        assertEquals(((PacketSocketPort)portA).rxLongFramesClaimed(), patch.claimedFrames);
        assertEquals(0, patch.abortedClaims, patch.toString());
        assertTrue(((PacketSocketPort)portB).txLongFrames() > 0, "GSO frames left without a TX slot: " + portB);
    }

    @Test
    void pingAndTcpCrossTapToPacketSocketPatchWithOffloadsOn(@TempDir final Path dir) throws Exception
    {
        tapPortA();
        portB = PacketSocketPort.open(net.name("hb"));
        assertOffloadsOn(nsA, net.name("t"));
        patch = new PatchLoop(portA, portB, 60_000);

        ping();
        final double gbps = iperf3();
        final String integrity = transferAndCompare(dir, 32 << 20);
        System.out.printf("TapPort<->PacketSocketPort: %.2f Gbit/s; %s; %s%n  A: %s%n  B: %s%n",
            gbps, integrity, patch, portA, portB);
        assertTrue(patch.gsoFrames > 0, "TSO on: GSO frames expected to cross the patch: " + patch);
    }

    @Test
    void smallFramesAndASlowReaderKeepDataIntact(@TempDir final Path dir) throws Exception
    {
        // No GSO from the sender: thousands of MSS-sized frames can sit in B's socket queue, far more than the
        // TX ring has slots, while the reader is slow. Data must still arrive intact.
        vethPortA();
        portB = PacketSocketPort.open(net.name("hb"));
        Sh.run("ip", "netns", "exec", nsA, "ethtool", "-K", net.name("pa"), "tso", "off", "gso", "off");
        patch = new PatchLoop(portA, portB, 60_000);
        ping();
        final String integrity = transferAndCompare(dir, 32 << 20, "sleep 1; sha256sum");
        System.out.printf("small frames, slow reader: %s; %s%n  A: %s%n  B: %s%n", integrity, patch, portA, portB);
    }

    @Test
    void gsoFramesThroughATinyTxRingAndASlowReaderKeepDataIntact(@TempDir final Path dir) throws Exception
    {
        // Eight 64 KB TX slots on B while B's socket queue holds megabytes: a slot must not be rewritten while
        // the receiving stack still holds the data it carried.
        vethPortA();
        portB = PacketSocketPort.open(net.name("hb"), new RingConfig(69632, 256, 8));
        patch = new PatchLoop(portA, portB, 60_000);
        ping();
        final String integrity = transferAndCompare(dir, 32 << 20, "sleep 2; sha256sum");
        System.out.printf("GSO frames, 8 TX slots, slow reader: %s; %s%n  A: %s%n  B: %s%n",
            integrity, patch, portA, portB);
        assertTrue(patch.gsoFrames > 0, patch.toString());
    }

    private static void assertOffloadsOn(final String ns, final String dev)
    {
        final String features = Sh.run("ip", "netns", "exec", ns, "ethtool", "-k", dev);
        assertTrue(features.contains("tx-checksumming: on"), features);
        assertTrue(features.contains("tcp-segmentation-offload: on"), features);
    }

    private void ping()
    {
        final Sh.Result result = Sh.exec(20, "ip", "netns", "exec", nsA, "ping", "-c", "5", "-i", "0.2", "-W", "2", IP_B);
        assertEquals(0, result.exitCode(), result.output() + "\npatch: " + patch);
    }

    /** iperf3 TCP A -> B for 3 s; returns Gbit/s received. */
    private double iperf3() throws Exception
    {
        server = Sh.start(TestNet.inNs(nsB, "iperf3", "-s", "-1", "-B", IP_B));
        awaitListening(nsB, 5201);
        final Sh.Result client = Sh.exec(30, "ip", "netns", "exec", nsA, "iperf3", "-c", IP_B, "-t", "3", "-J");
        assertEquals(0, client.exitCode(), client.output() + "\npatch: " + patch);
        final Matcher m = RECEIVED.matcher(client.output());
        assertTrue(m.find(), client.output());
        final long bytes = Long.parseLong(m.group(1));
        final double bitsPerSecond = Double.parseDouble(m.group(2));
        assertTrue(bytes > 0, "bytes received: " + bytes);
        assertTrue(bitsPerSecond > 0, "bits/s: " + bitsPerSecond);
        server.waitFor();
        server = null;
        return bitsPerSecond / 1e9;
    }

    /** Sends random bytes A -> B over TCP with nc and compares SHA-256 on both sides. */
    private String transferAndCompare(final Path dir, final int size) throws Exception
    {
        return transferAndCompare(dir, size, "sha256sum");
    }

    private String transferAndCompare(final Path dir, final int size, final String reader) throws Exception
    {
        final byte[] data = new byte[size];
        new Random(42).nextBytes(data);
        final Path file = dir.resolve("payload.bin");
        Files.write(file, data);
        final String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));

        server = Sh.start(TestNet.inNs(nsB, "sh", "-c", "nc -l " + IP_B + " 5202 | (" + reader + ")"));
        awaitListening(nsB, 5202);
        final long start = System.nanoTime();
        final Sh.Result client = Sh.exec(60, "ip", "netns", "exec", nsA, "sh", "-c",
            "nc -N " + IP_B + " 5202 < " + file);
        assertEquals(0, client.exitCode(), client.output());
        assertTrue(server.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "receiver did not finish");
        final double seconds = (System.nanoTime() - start) / 1e9;
        final String received = Sh.output(server).trim();
        server = null;
        assertTrue(received.startsWith(expected), "sha256 sent " + expected + " received " + received);
        return String.format("%d MB sha256 intact in %.2f s", size >> 20, seconds);
    }

    private static void awaitListening(final String ns, final int port) throws InterruptedException
    {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline)
        {
            if (Sh.run("ip", "netns", "exec", ns, "ss", "-ltnH").contains(":" + port + " "))
            {
                return;
            }
            Thread.sleep(20);
        }
        fail("nothing listening on " + port + " in " + ns);
    }
}
