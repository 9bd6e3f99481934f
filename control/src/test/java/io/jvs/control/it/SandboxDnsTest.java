package io.jvs.control.it;

import io.jvs.control.daemon.Daemon;
import io.jvs.control.dns.DnsCounter;
import io.jvs.control.dns.SandboxDns;
import io.jvs.control.netns.Command;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.TempDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sandboxes' resolver at 127.0.0.11 for real: sandboxes made by the daemon, queries from busybox nslookup and
 * glibc (getent, through the sandbox's resolv.conf) inside them, and a small upstream DNS server on the host's
 * loopback (this test's own, answering one name) standing in for the host's resolvers. Names start with "jd" and
 * a random suffix; the sandboxes are removed after each test.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SandboxDnsTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final String OUTSIDE_NAME = "outside.example";
    private static final byte[] OUTSIDE_ADDRESS = {(byte)192, 0, 2, 7};
    /** 2001:db8::7, what the upstream answers AAAA with. */
    private static final byte[] OUTSIDE_ADDRESS_6 = {0x20, 0x01, 0x0d, (byte)0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};

    private final String run = "jd" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final List<String> sandboxes = new ArrayList<>();
    private Path dir;
    private Daemon daemon;
    private InProcessCli jvs;
    private DatagramSocket upstream;
    private Thread upstreamThread;
    private volatile int upstreamQueries;

    @BeforeEach
    void start() throws Exception
    {
        upstream = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        upstreamThread = new Thread(this::serveUpstream, run + "-upstream");
        upstreamThread.setDaemon(true);
        upstreamThread.start();
        dir = Files.createTempDirectory(run);
        daemon = Daemon.start(Daemon.Config.embedded(dir.resolve("jvs.sock"), dir.resolve("state"))
            .withDns(SandboxDns.Config.upstreams("127.0.0.1:" + upstream.getLocalPort())));
        jvs = InProcessCli.socketAfterCommand(dir.resolve("jvs.sock"));
    }

    @AfterEach
    void stop() throws Exception
    {
        try
        {
            for (final String sandbox : sandboxes)
            {
                try
                {
                    daemon.service().removeSandbox(sandbox);
                }
                catch (final RuntimeException ex)
                {
                    Command.exec(TIMEOUT, "ip", "netns", "delete", sandbox);
                }
            }
            for (final String network : List.of(run + "n1", run + "n2"))
            {
                jvs.run("network", "rm", network);
            }
        }
        finally
        {
            daemon.close();
            upstream.close();
            upstreamThread.join(2_000);
            TempDirs.deleteTree(dir);
        }
        assertFalse(Command.run("ip", "netns", "list").contains(run), "left behind: a namespace of " + run);
    }

    @Test
    void peersResolveByNameAndOtherNamesAreForwarded()
    {
        final String a = run + "a";
        final String b = run + "b";
        final String c = run + "c";
        jvs.ok("network", "create", run + "n1");
        jvs.ok("network", "create", run + "n2");
        for (final String sandbox : List.of(a, b, c))
        {
            jvs.ok("sandbox", "create", sandbox);
            sandboxes.add(sandbox);
        }
        jvs.ok("network", "connect", run + "n1", a);
        jvs.ok("network", "connect", run + "n1", b);
        jvs.ok("network", "connect", run + "n2", c);
        final String addressOfB = addressOf(b);

        // As Docker's on user-defined networks: the hosts file names the sandbox itself only, peers come from the
        // resolver, and glibc (files, then dns through the sandbox's resolv.conf) finds them right after the connect.
        final String hostsOfA = read(Path.of("/etc/netns", a, "hosts"));
        assertTrue(hostsOfA.contains(addressOf(a) + "\t" + a + "\n"), hostsOfA);
        assertFalse(hostsOfA.contains(b), "no peers in the hosts file: " + hostsOfA);
        assertTrue(getentHosts(a, b).contains(addressOfB), "getent hosts of a peer");

        // A peer, straight from the resolver (not the hosts file), by name and by address.
        assertEquals(List.of(addressOfB), nslookup(a, b), "A of a peer");
        assertEquals(List.of(addressOfB), nslookup(a, b.toUpperCase()), "names are case-insensitive");
        final String[] octets = addressOfB.split("\\.");
        final String reverse = nslookupRaw(a, octets[3] + "." + octets[2] + "." + octets[1] + "." + octets[0] +
            ".in-addr.arpa");
        assertTrue(reverse.contains("name = " + b), "PTR of a peer's address: " + reverse);
        assertEquals(0, upstreamQueries, "peers' names never reach the upstream");

        // Another name: forwarded to the upstream from the daemon's namespace, the answer passed back.
        assertEquals(List.of("192.0.2.7"), nslookup(a, OUTSIDE_NAME), "forwarded A");
        assertTrue(upstreamQueries > 0);
        // The same through glibc and the sandbox's resolv.conf (no server named on the command line).
        final Command.Result getent = Command.exec(TIMEOUT, "ip", "netns", "exec", a, "getent", "ahostsv4",
            OUTSIDE_NAME);
        assertTrue(getent.stdout().contains("192.0.2.7"), "getent in the sandbox: " + getent);
        assertTrue(nslookupRaw(a, "nosuch.example").contains("NXDOMAIN"), "the upstream's NXDOMAIN is passed on");
        final String aaaa = nslookupRaw(a, OUTSIDE_NAME, "aaaa");
        assertTrue(aaaa.contains("2001:db8::7"), "forwarded AAAA: " + aaaa);

        // A sandbox on another network does not get b's address: b is not its peer.
        assertEquals(List.of(), nslookup(c, b), "not a peer of c");

        // A malformed query is counted; the resolver goes on answering.
        final long malformed = daemon.dns().counter(DnsCounter.MALFORMED);
        Command.exec(TIMEOUT, "ip", "netns", "exec", a, "sh", "-c", "printf 'xx' | nc -u -w 1 127.0.0.11 53");
        assertTrue(daemon.dns().counter(DnsCounter.MALFORMED) > malformed, "malformed query counted");
        assertEquals(List.of(addressOfB), nslookup(a, b), "still answering");

        // Disconnecting b takes its name away from a at once.
        jvs.ok("network", "disconnect", run + "n1", b);
        assertEquals(List.of(), nslookup(a, b), "b gone from a's names");
        assertEquals("", getentHosts(a, b), "b gone for glibc too");
        assertEquals(List.of(), nslookup(c, b), "c does not share a network with b yet");
        jvs.ok("network", "connect", run + "n2", b);
        assertEquals(List.of(addressOf(b)), nslookup(c, b), "b's name on its new network, at once");
        assertTrue(read(Path.of("/etc/netns", b, "hosts")).contains(addressOf(b) + "\t" + b + "\n"),
            "b's own hosts file follows its new address");
        assertEquals(3, daemon.dns().sandboxes());
    }

    @Test
    void theResolverComesBackWithTheDaemon()
    {
        final String a = run + "a";
        final String b = run + "b";
        jvs.ok("network", "create", run + "n1");
        for (final String sandbox : List.of(a, b))
        {
            jvs.ok("sandbox", "create", sandbox);
            sandboxes.add(sandbox);
        }
        jvs.ok("network", "connect", run + "n1", a);
        jvs.ok("network", "connect", run + "n1", b);
        final String addressOfB = addressOf(b);
        assertEquals(List.of(addressOfB), nslookup(a, b));

        daemon.close();
        assertEquals(List.of(), nslookup(a, b), "nobody answers while the daemon is down");
        daemon = Daemon.start(Daemon.Config.embedded(dir.resolve("jvs.sock"), dir.resolve("state"))
            .withDns(SandboxDns.Config.upstreams("127.0.0.1:" + upstream.getLocalPort())));
        assertEquals(List.of(addressOfB), nslookup(a, b), "answered again after the restart");
    }

    @Test
    void badUpstreamsAreRefused()
    {
        for (final String bad : List.of("1.2.3", "1.2.3.4:0", "1.2.3.4:x", "host.example"))
        {
            final String message = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> SandboxDns.Config.upstreams(bad)).getMessage();
            assertTrue(message.contains(bad.split(":")[0]) || message.contains("port"), bad + ": " + message);
        }
        assertEquals(List.of(new InetSocketAddress("10.0.0.1", 53), new InetSocketAddress("10.0.0.2", 5353)),
            SandboxDns.Config.upstreams("10.0.0.1, 10.0.0.2:5353").upstreams());
    }

    // --------------------------------------------------------------------------------------------------- helpers

    /** What {@code getent hosts NAME} prints in the sandbox (glibc: its hosts file, then 127.0.0.11); "" if none. */
    private static String getentHosts(final String sandbox, final String name)
    {
        return Command.exec(TIMEOUT, "ip", "netns", "exec", sandbox, "getent", "hosts", name).stdout().strip();
    }

    private static String read(final Path file)
    {
        try
        {
            return Files.readString(file);
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private String addressOf(final String sandbox)
    {
        final String out = Command.run("ip", "netns", "exec", sandbox, "ip", "-4", "-o", "addr", "show", "dev",
            "eth0");
        final Matcher m = Pattern.compile("inet (\\d+\\.\\d+\\.\\d+\\.\\d+)/").matcher(out);
        assertTrue(m.find(), out);
        return m.group(1);
    }

    /** The IPv4 addresses busybox nslookup prints for {@code name}, asking 127.0.0.11 in the sandbox. */
    private List<String> nslookup(final String sandbox, final String name)
    {
        final List<String> addresses = new ArrayList<>();
        final String out = nslookupRaw(sandbox, name);
        final String answers = out.contains("Name:") ? out.substring(out.indexOf("Name:")) : "";
        final Matcher m = Pattern.compile("Address:\\s*(\\d+\\.\\d+\\.\\d+\\.\\d+)").matcher(answers);
        while (m.find())
        {
            addresses.add(m.group(1));
        }
        return addresses;
    }

    private String nslookupRaw(final String sandbox, final String name)
    {
        return nslookupRaw(sandbox, name, name.endsWith(".in-addr.arpa") ? "ptr" : "a");
    }

    private String nslookupRaw(final String sandbox, final String name, final String type)
    {
        final Command.Result result = Command.exec(TIMEOUT, "ip", "netns", "exec", sandbox, "timeout", "5",
            "busybox", "nslookup", "-type=" + type, name, "127.0.0.11");
        return result.stdout() + result.stderr();
    }

    /** Answers A and AAAA for OUTSIDE_NAME, NOERROR without answers for its other types, NXDOMAIN for any other name. */
    private void serveUpstream()
    {
        final byte[] in = new byte[1500];
        for (int i = 0; i < 10_000 && !upstream.isClosed(); i++)
        {
            try
            {
                final DatagramPacket packet = new DatagramPacket(in, in.length);
                upstream.receive(packet);
                upstreamQueries++;
                final ByteBuffer query = ByteBuffer.wrap(in, 0, packet.getLength());
                final StringBuilder name = new StringBuilder();
                int at = 12;
                for (int length; (length = in[at] & 0xFF) != 0; at += length + 1)
                {
                    name.append(name.length() == 0 ? "" : ".")
                        .append(new String(in, at + 1, length, StandardCharsets.US_ASCII));
                }
                final int questionEnd = at + 1 + 4;
                final int type = query.getShort(at + 1) & 0xFFFF;
                final boolean known = OUTSIDE_NAME.equalsIgnoreCase(name.toString());
                final ByteBuffer reply = ByteBuffer.allocate(questionEnd + 28); // room for one AAAA answer
                reply.put(in, 0, questionEnd);
                reply.putShort(2, (short)(0x8180 | (known ? 0 : 3))); // QR RD RA, NOERROR or NXDOMAIN
                reply.putShort(4, (short)1).putShort(6, (short)0).putShort(8, (short)0).putShort(10, (short)0);
                if (known && type == 1)
                {
                    reply.putShort(6, (short)1);
                    reply.putShort((short)0xC00C).putShort((short)1).putShort((short)1).putInt(60).putShort((short)4)
                        .put(OUTSIDE_ADDRESS);
                }
                if (known && type == 28)
                {
                    reply.putShort(6, (short)1);
                    reply.putShort((short)0xC00C).putShort((short)28).putShort((short)1).putInt(60)
                        .putShort((short)16).put(OUTSIDE_ADDRESS_6);
                }
                upstream.send(new DatagramPacket(reply.array(), reply.position(), packet.getSocketAddress()));
            }
            catch (final IOException | RuntimeException ex)
            {
                if (upstream.isClosed())
                {
                    return;
                }
            }
        }
    }
}
