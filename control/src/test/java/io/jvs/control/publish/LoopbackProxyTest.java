package io.jvs.control.publish;

import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Ipv4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The localhost proxy on loopback only: echo servers on 127.0.0.1 stand in for the container, real sockets are the
 * host's clients. What crosses is judged by what the clients read back and what the servers saw as the source.
 */
final class LoopbackProxyTest
{
    private static final int LOOPBACK = Ipv4.parse("127.0.0.1");
    private static final int TIMEOUT_MS = 3_000;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private LoopbackProxy proxy;

    @BeforeEach
    void start()
    {
        proxy = LoopbackProxy.start();
    }

    @AfterEach
    void stop() throws Exception
    {
        proxy.close();
        for (final AutoCloseable closeable : closeables)
        {
            closeable.close();
        }
    }

    @Test
    void udpDatagramsReachTheTargetAndRepliesFindTheirClient() throws Exception
    {
        final DatagramSocket server = udpEchoServer();
        final int hostPort = freeUdpPort();
        proxy.openUdp(7, hostPort, hostPort, LOOPBACK, server.getLocalPort());

        final DatagramSocket first = udpClient();
        final DatagramSocket second = udpClient();
        assertEquals("echo:a1", exchange(first, hostPort, "a1"));
        assertEquals("echo:b1", exchange(second, hostPort, "b1"));
        assertEquals("echo:a2", exchange(first, hostPort, "a2"));
        assertEquals(2, proxy.udpFlows(), "one flow per client address and port");

        proxy.close(7);
        assertEquals(0, proxy.udpFlows());
        assertEquals(0, proxy.listeningPorts());
        assertEquals("", exchange(first, hostPort, "gone"), "nothing answers after the rule is closed");
        try (DatagramSocket rebound = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(),
            hostPort)))
        {
            assertTrue(rebound.isBound(), "the port is free again");
        }
    }

    @Test
    void twoUdpRulesEachReachTheirOwnTarget() throws Exception
    {
        final DatagramSocket serverA = udpEchoServer();
        final DatagramSocket serverB = udpEchoServer();
        final int hostPort = freeUdpPort();
        proxy.openUdp(1, hostPort, hostPort, LOOPBACK, serverA.getLocalPort());
        final int otherPort = freeUdpPort();
        proxy.openUdp(2, otherPort, otherPort, LOOPBACK, serverB.getLocalPort());
        final DatagramSocket client = udpClient();
        assertEquals("echo:x", exchange(client, hostPort, "x"));
        assertEquals("echo:y", exchange(client, otherPort, "y"));
        assertEquals(2, proxy.listeningPorts());
    }

    @Test
    void aTakenPortIsRefusedAndNothingIsLeftOpen() throws Exception
    {
        final DatagramSocket taken = udpEchoServer();
        final JvsException ex = assertThrows(JvsException.class,
            () -> proxy.openUdp(3, taken.getLocalPort(), taken.getLocalPort(), LOOPBACK, 9));
        assertTrue(ex.getMessage().contains("/udp"), ex.getMessage());
        assertEquals(0, proxy.listeningPorts());
    }

    @Test
    void tcpConnectionsAreSplicedBothWays() throws Exception
    {
        final ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        closeables.add(server);
        final Thread echo = new Thread(() ->
        {
            try (Socket accepted = server.accept())
            {
                final byte[] request = accepted.getInputStream().readAllBytes(); // until the client's half-close
                accepted.getOutputStream().write(("echo:" + new String(request, StandardCharsets.US_ASCII))
                    .getBytes(StandardCharsets.US_ASCII));
            }
            catch (final IOException ignored)
            {
                // the test's assertion on the reply tells
            }
        });
        echo.start();
        final int hostPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            hostPort = probe.getLocalPort();
        }
        proxy.openTcp(4, hostPort, hostPort, LOOPBACK, server.getLocalPort());
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), hostPort))
        {
            client.setSoTimeout(TIMEOUT_MS);
            final OutputStream out = client.getOutputStream();
            out.write("hello".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            final InputStream in = client.getInputStream();
            assertEquals("echo:hello", new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        }
        echo.join(TIMEOUT_MS);
        proxy.close(4);
        assertEquals(0, proxy.listeningPorts());
    }

    /** Published on 127.0.0.1 and [::1] (as docker-proxy listens on [::] too): both reach the IPv4 container. */
    @Test
    void tcpOnIpv6LoopbackReachesTheIpv4Container() throws Exception
    {
        final NioEchoServer server = new NioEchoServer();
        closeables.add(server);
        final int hostPort = freePort();
        proxy.openTcp(7, PublishScope.ALL.loopbackAddresses(), hostPort, hostPort, LOOPBACK, server.port());
        assertEquals(2, proxy.listeningPorts(), "127.0.0.1 and [::1]");
        for (final String host : List.of("127.0.0.1", "::1"))
        {
            try (SocketChannel client = SocketChannel.open(new InetSocketAddress(InetAddress.getByName(host),
                hostPort)))
            {
                assertEquals("via " + host, echo(client, "via " + host));
            }
        }
        proxy.close(7);
        assertEquals(0, proxy.listeningPorts());
    }

    /**
     * Issue 17 item 9: 3,000 idle clients (the proxy used to close everything past 1,024 and a new request got an
     * empty reply) stay open through the proxy, a new client is still served, and old idle ones still work.
     */
    @Test
    void thousandsOfIdleConnectionsAreHeldAndANewOneIsStillServed() throws Exception
    {
        final int idle = Integer.getInteger("jvs.test.proxyIdle", 3_000); // 10,000 needs ~40k open files
        final long openStart = System.nanoTime();
        final NioEchoServer server = new NioEchoServer();
        closeables.add(server);
        final int hostPort = freePort();
        proxy.openTcp(5, hostPort, hostPort, LOOPBACK, server.port());
        final List<SocketChannel> clients = new ArrayList<>();
        try
        {
            for (int i = 0; i < idle; i++)
            {
                clients.add(SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), hostPort)));
            }
            final long deadline = System.currentTimeMillis() + 30_000;
            while (server.accepted() < idle && System.currentTimeMillis() < deadline)
            {
                Thread.sleep(20);
            }
            assertEquals(idle, server.accepted(), "every idle client reached the container side");
            System.out.printf("loopback proxy: %d idle connections open in %.2f s%n", idle,
                (System.nanoTime() - openStart) / 1e9);
            try (SocketChannel fresh = SocketChannel.open(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), hostPort)))
            {
                assertEquals("new", echo(fresh, "new"), "a new client is served with thousands open");
            }
            for (final int i : new int[] {0, idle / 2, idle - 1})
            {
                assertEquals("old" + i, echo(clients.get(i), "old" + i), "idle client " + i + " still works");
            }
        }
        finally
        {
            for (final SocketChannel client : clients)
            {
                client.close();
            }
        }
    }

    /** A client sends faster than the container reads: held back, nothing lost or reordered (SHA-256 of 16 MB). */
    @Test
    void aLargeTransferToASlowReaderArrivesWhole() throws Exception
    {
        final ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        closeables.add(server);
        final byte[] data = new byte[16 << 20];
        new java.util.Random(7).nextBytes(data);
        final Thread sink = new Thread(() ->
        {
            try (Socket accepted = server.accept())
            {
                final MessageDigest digest = MessageDigest.getInstance("SHA-256");
                final InputStream in = accepted.getInputStream();
                final byte[] buffer = new byte[16 * 1024];
                int reads = 0;
                for (int n; (n = in.read(buffer)) >= 0; )
                {
                    digest.update(buffer, 0, n);
                    if (++reads % 64 == 0)
                    {
                        Thread.sleep(1); // a slow reader: the proxy must hold back, not drop
                    }
                }
                accepted.getOutputStream().write(HexFormat.of().formatHex(digest.digest())
                    .getBytes(StandardCharsets.US_ASCII));
            }
            catch (final Exception ignored)
            {
                // the test's assertion on the digest tells
            }
        });
        sink.start();
        final int hostPort = freePort();
        proxy.openTcp(6, hostPort, hostPort, LOOPBACK, server.getLocalPort());
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), hostPort))
        {
            client.setSoTimeout(30_000);
            client.getOutputStream().write(data);
            client.shutdownOutput();
            assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)),
                new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
        }
        sink.join(TIMEOUT_MS);
    }

    // --------------------------------------------------------------------------------------------------- helpers

    private static int freePort() throws IOException
    {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return probe.getLocalPort();
        }
    }

    /** Writes {@code message}, reads the same number of bytes back (blocking, bounded by the server's echo). */
    private static String echo(final SocketChannel client, final String message) throws IOException
    {
        final byte[] bytes = message.getBytes(StandardCharsets.US_ASCII);
        client.write(ByteBuffer.wrap(bytes));
        client.socket().setSoTimeout(TIMEOUT_MS);
        final InputStream in = client.socket().getInputStream();
        final byte[] got = in.readNBytes(bytes.length);
        return new String(got, StandardCharsets.US_ASCII);
    }

    /** The container side for many connections: one selector thread accepting everything and echoing what it reads. */
    private static final class NioEchoServer implements AutoCloseable
    {
        private final ServerSocketChannel channel;
        private final Selector selector;
        private final Thread thread;
        private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
        private volatile boolean running = true;

        NioEchoServer() throws IOException
        {
            channel = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_ACCEPT);
            thread = new Thread(this::run, "test-echo");
            thread.setDaemon(true);
            thread.start();
        }

        int port()
        {
            return channel.socket().getLocalPort();
        }

        int accepted()
        {
            return accepted.get();
        }

        private void run()
        {
            final ByteBuffer buffer = ByteBuffer.allocate(4096);
            try
            {
                while (running)
                {
                    selector.select(100);
                    for (final SelectionKey key : selector.selectedKeys())
                    {
                        if (key.isAcceptable())
                        {
                            for (SocketChannel c; (c = channel.accept()) != null; )
                            {
                                c.configureBlocking(false);
                                c.register(selector, SelectionKey.OP_READ);
                                accepted.incrementAndGet();
                            }
                        }
                        else if (key.isReadable())
                        {
                            final SocketChannel c = (SocketChannel)key.channel();
                            buffer.clear();
                            if (c.read(buffer) < 0)
                            {
                                key.cancel();
                                c.close();
                                continue;
                            }
                            buffer.flip();
                            c.write(buffer); // small messages: a loopback socket takes them at once
                        }
                    }
                    selector.selectedKeys().clear();
                }
            }
            catch (final IOException ex)
            {
                // closed by the test
            }
        }

        @Override
        public void close() throws Exception
        {
            running = false;
            selector.wakeup();
            thread.join(TIMEOUT_MS);
            for (final SelectionKey key : selector.keys())
            {
                key.channel().close();
            }
            selector.close();
        }
    }


    /** Answers each datagram with "echo:" + its payload, from its own port, until closed. */
    private DatagramSocket udpEchoServer() throws IOException
    {
        final DatagramSocket server = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        closeables.add(server);
        final Thread thread = new Thread(() ->
        {
            final byte[] buffer = new byte[2048];
            for (int i = 0; i < 1000 && !server.isClosed(); i++)
            {
                try
                {
                    final DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                    server.receive(packet);
                    final byte[] reply = ("echo:" + new String(buffer, 0, packet.getLength(),
                        StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII);
                    server.send(new DatagramPacket(reply, reply.length, packet.getSocketAddress()));
                }
                catch (final IOException ex)
                {
                    return; // closed by the test
                }
            }
        });
        thread.setDaemon(true);
        thread.start();
        return server;
    }

    private DatagramSocket udpClient() throws IOException
    {
        final DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client.setSoTimeout(TIMEOUT_MS);
        closeables.add(client);
        return client;
    }

    /** Sends {@code message} to 127.0.0.1:port and returns the reply, or "" when none comes in time. */
    private static String exchange(final DatagramSocket client, final int port, final String message)
        throws IOException
    {
        final byte[] bytes = message.getBytes(StandardCharsets.US_ASCII);
        client.send(new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(), port));
        final byte[] buffer = new byte[2048];
        final DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
        try
        {
            client.receive(reply);
        }
        catch (final SocketTimeoutException ex)
        {
            return "";
        }
        assertNotEquals(0, reply.getPort());
        assertEquals(port, reply.getPort(), "the reply comes from 127.0.0.1:HOSTPORT");
        return new String(buffer, 0, reply.getLength(), StandardCharsets.US_ASCII);
    }

    private static int freeUdpPort() throws IOException
    {
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
        {
            return probe.getLocalPort();
        }
    }
}
