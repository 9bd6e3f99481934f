package io.jvs.control.publish;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.jvs.control.common.JvsException;
import io.jvs.control.common.SelectorThreads;
import io.jvs.control.ipam.Ipv4;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.net.SocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * localhost:HOSTPORT for published TCP and UDP ports, as docker-proxy does it: the kernel sends the host's own
 * traffic to 127.0.0.1 through loopback, never through jvs's router, and without iptables nothing rewrites it; so the
 * daemon listens on 127.0.0.1:HOSTPORT itself and relays to CONTAINER:PORT, which the host reaches through its route
 * to the network (via the host port TAP and the router).
 * <p>
 * Control-plane code, not the packet path: one selector thread for every listener, connection and UDP flow,
 * non-blocking channels. TCP: what one side sends is read into one shared buffer and written to the other at once;
 * only what the other side cannot take yet is kept, in a buffer of the connection's own until it is out (reading
 * from that side waits meanwhile), so an idle connection holds no buffer and tens of thousands can stay open
 * (docker-proxy holds 2,000 idle clients; the limit here is {@link #MAX_CONNECTIONS} and the process's open files,
 * two per connection). Listeners have a normal server's backlog and accept in batches. A half-close on one side is
 * passed on as a half-close ({@code shutdownOutput}) once its data is written; the pair closes when both directions
 * are done or either side fails. UDP: one upstream socket per client address and port (so replies find their client, as
 * docker-proxy does), closed after {@link #UDP_IDLE_TIMEOUT_MS} without traffic; a datagram that cannot be sent at
 * once is dropped, as the network would. Bounded: at most {@link #MAX_LISTENERS} listening ports,
 * {@link #MAX_CONNECTIONS} spliced connections and {@link #MAX_UDP_FLOWS} UDP flows (more are refused: closed, or
 * the datagram dropped). The source address the container sees is the host's address on the host port.
 * <p>
 * Over 800 lines (854): one selector thread owns TCP splices and UDP flows, and their shared loop, commands and
 * clean-up read best in one place. Where it would split: the UDP relay (listeners, flows, their expiry) into a class
 * the selector thread calls, as the TCP side's buffers already are.
 */
public final class LoopbackProxy implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(LoopbackProxy.class);

    static final int MAX_LISTENERS = 4096;
    /** Far above what Docker's users hold through docker-proxy; each takes two open files and ~1 KB when idle. */
    static final int MAX_CONNECTIONS = 65_536;
    /** The listen backlog (the kernel caps it at net.core.somaxconn); Java's default of 50 made bursts wait. */
    static final int LISTEN_BACKLOG = 4096;
    /** Connections accepted per listener per wake-up. */
    private static final int ACCEPT_BATCH = 256;
    /** How long a listener stops accepting after the process ran out of open files. */
    private static final long ACCEPT_PAUSE_MS = 100;
    /** Buffers of data a side could not take yet kept for reuse (each {@link #BUFFER_BYTES}). */
    private static final int POOLED_BUFFERS = 64;
    static final int MAX_UDP_FLOWS = 1024;
    /** docker-proxy's UDP flow timeout. */
    static final long UDP_IDLE_TIMEOUT_MS = 90_000;
    private static final int MAX_DATAGRAM_BYTES = 65_535;
    /** Datagrams relayed per channel per wake-up, so one busy flow cannot hold the selector thread. */
    private static final int UDP_BATCH = 64;
    /** How often idle UDP flows are looked for while any exist. */
    private static final long UDP_SWEEP_MS = 1_000;
    private static final int BUFFER_BYTES = 256 * 1024;
    private static final long COMMAND_TIMEOUT_MS = 5_000;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** One direction's end: data read from {@code channel} that the peer has not taken yet waits in {@code pending}. */
    private static final class Side
    {
        final SocketChannel channel;
        /** Null when nothing waits: an idle side holds no buffer. Between a read and {@link #keep} it may be scratch. */
        ByteBuffer pending;
        Side peer;
        Splice splice;
        SelectionKey key;
        boolean eof;
        boolean outputShut;

        Side(final SocketChannel channel)
        {
            this.channel = channel;
        }
    }

    /** A client connection and its upstream to the container. */
    private static final class Splice
    {
        final int rule;
        final Side client;
        final Side upstream;

        Splice(final int rule, final SocketChannel client, final SocketChannel upstream)
        {
            this.rule = rule;
            this.client = new Side(client);
            this.upstream = new Side(upstream);
            this.client.peer = this.upstream;
            this.upstream.peer = this.client;
            this.client.splice = this;
            this.upstream.splice = this;
        }
    }

    /** A listening port and where its connections go. */
    private record Listener(int rule, ServerSocketChannel channel, InetSocketAddress target)
    {
    }

    /** A UDP port on loopback, where its datagrams go, and its flows by client address. */
    private record UdpListener(int rule, DatagramChannel channel, InetSocketAddress target,
        Map<SocketAddress, UdpFlow> flows)
    {
    }

    /** One client's datagrams: relayed through {@code upstream}, connected to the container. */
    private static final class UdpFlow
    {
        final UdpListener listener;
        final SocketAddress client;
        final DatagramChannel upstream;
        long lastActiveMs;

        UdpFlow(final UdpListener listener, final SocketAddress client, final DatagramChannel upstream)
        {
            this.listener = listener;
            this.client = client;
            this.upstream = upstream;
        }
    }

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    /** Selector thread only. */
    private final Map<Integer, List<Listener>> listeners = new HashMap<>();
    private final Map<Integer, List<UdpListener>> udpListeners = new HashMap<>();
    private final Set<Splice> splices = new HashSet<>();
    private final ByteBuffer datagram = ByteBuffer.allocate(MAX_DATAGRAM_BYTES);
    /** Every TCP read lands here first; most of it goes straight out to the other side. */
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private final ArrayDeque<ByteBuffer> pool = new ArrayDeque<>();
    /** Listeners not accepting until their time (the process ran out of open files), by key. */
    private final Map<SelectionKey, Long> pausedListeners = new HashMap<>();
    private int udpFlowCount;
    private int listenerCount;
    private volatile boolean running = true;
    private volatile Throwable failure;

    private LoopbackProxy(final Selector selector)
    {
        this.selector = selector;
        this.thread = new Thread(this::run, "jvs-loopback-proxy");
        this.thread.setDaemon(true);
    }

    public static LoopbackProxy start()
    {
        try
        {
            final LoopbackProxy proxy = new LoopbackProxy(Selector.open());
            proxy.thread.start();
            return proxy;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open the loopback proxy's selector", ex);
        }
    }

    /**
     * Listens on 127.0.0.1:hostFirst..hostLast for TCP rule {@code rule}, each port spliced to {@code target} at
     * targetFirst + (port - hostFirst). Refused (conflict) if a port is taken on the host's loopback.
     */
    public void openTcp(final int rule, final int hostFirst, final int hostLast, final int target,
        final int targetFirst)
    {
        open(rule, false, List.of(LOOPBACK), hostFirst, hostLast, target, targetFirst);
    }

    /** As {@link #openTcp}, on each of {@code loopbacks} (127.0.0.1 and/or [::1]), to the container's IPv4 address. */
    public void openTcp(final int rule, final List<InetAddress> loopbacks, final int hostFirst, final int hostLast,
        final int target, final int targetFirst)
    {
        open(rule, false, loopbacks, hostFirst, hostLast, target, targetFirst);
    }

    /** As {@link #openTcp}, for UDP rule {@code rule}: datagrams relayed per client address and port. */
    public void openUdp(final int rule, final int hostFirst, final int hostLast, final int target,
        final int targetFirst)
    {
        open(rule, true, List.of(LOOPBACK), hostFirst, hostLast, target, targetFirst);
    }

    /** As {@link #openUdp}, on each of {@code loopbacks}. */
    public void openUdp(final int rule, final List<InetAddress> loopbacks, final int hostFirst, final int hostLast,
        final int target, final int targetFirst)
    {
        open(rule, true, loopbacks, hostFirst, hostLast, target, targetFirst);
    }

    private void open(final int rule, final boolean udp, final List<InetAddress> loopbacks, final int hostFirst,
        final int hostLast, final int target, final int targetFirst)
    {
        final List<AbstractSelectableChannel> bound = new ArrayList<>();
        final List<Integer> targetPorts = new ArrayList<>();
        try
        {
            for (int port = hostFirst; port <= hostLast; port++)
            {
                for (final InetAddress loopback : loopbacks)
                {
                    final StandardProtocolFamily family = loopback instanceof java.net.Inet6Address ?
                        StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
                    final AbstractSelectableChannel channel = udp ? DatagramChannel.open(family) :
                        ServerSocketChannel.open(family);
                    bound.add(channel);
                    targetPorts.add(targetFirst + (port - hostFirst));
                    final NetworkChannel socket = (NetworkChannel)channel;
                    socket.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                    try
                    {
                        if (udp)
                        {
                            socket.bind(new InetSocketAddress(loopback, port));
                        }
                        else
                        {
                            ((ServerSocketChannel)channel).bind(new InetSocketAddress(loopback, port), LISTEN_BACKLOG);
                        }
                    }
                    catch (final IOException ex)
                    {
                        final String host = family == StandardProtocolFamily.INET6 ?
                            "[" + loopback.getHostAddress() + "]" : loopback.getHostAddress();
                        throw JvsException.conflict("cannot listen on " + host + ":" + port + (udp ? "/udp" : "") +
                            " for the published port: " + ex.getMessage());
                    }
                    channel.configureBlocking(false);
                }
            }
        }
        catch (final IOException ex)
        {
            bound.forEach(LoopbackProxy::closeQuietly);
            throw new UncheckedIOException(ex);
        }
        catch (final RuntimeException ex)
        {
            bound.forEach(LoopbackProxy::closeQuietly);
            throw ex;
        }
        final String targetIp = Ipv4.format(target);
        try
        {
            call(() ->
            {
                if (listenerCount + bound.size() > MAX_LISTENERS)
                {
                    throw JvsException.conflict("the loopback proxy listens on " + MAX_LISTENERS + " ports at most");
                }
                for (int i = 0; i < bound.size(); i++)
                {
                    final InetSocketAddress to = new InetSocketAddress(targetIp, targetPorts.get(i));
                    if (udp)
                    {
                        final UdpListener listener = new UdpListener(rule, (DatagramChannel)bound.get(i), to,
                            new HashMap<>());
                        register(listener.channel(), SelectionKey.OP_READ, listener);
                        udpListeners.computeIfAbsent(rule, r -> new ArrayList<>()).add(listener);
                    }
                    else
                    {
                        final Listener listener = new Listener(rule, (ServerSocketChannel)bound.get(i), to);
                        register(listener.channel(), SelectionKey.OP_ACCEPT, listener);
                        listeners.computeIfAbsent(rule, r -> new ArrayList<>()).add(listener);
                    }
                    listenerCount++;
                }
            });
        }
        catch (final RuntimeException ex)
        {
            bound.forEach(LoopbackProxy::closeQuietly);
            throw ex;
        }
    }

    /** Stops listening for {@code rule} and closes its connections; quiet if it has none. */
    public void close(final int rule)
    {
        call(() -> closeRule(rule));
    }

    /** Ports listened on now, for tests and inspection. */
    public int listeningPorts()
    {
        final int[] count = new int[1];
        call(() -> count[0] = listenerCount);
        return count[0];
    }

    /** UDP flows (client address and port) relayed now. */
    public int udpFlows()
    {
        final int[] count = new int[1];
        call(() -> count[0] = udpFlowCount);
        return count[0];
    }

    /** Spliced connections open now. */
    public int connections()
    {
        final int[] count = new int[1];
        call(() -> count[0] = splices.size());
        return count[0];
    }

    @Override
    public void close()
    {
        if (!running)
        {
            return;
        }
        running = false;
        SelectorThreads.wakeAndJoin(selector, thread, COMMAND_TIMEOUT_MS);
    }

    // ----------------------------------------------------------------------------------------- selector thread

    private void run()
    {
        try
        {
            while (running)
            {
                selector.select(udpFlowCount > 0 ? UDP_SWEEP_MS : pausedListeners.isEmpty() ? 0 : ACCEPT_PAUSE_MS);
                for (Runnable command; (command = commands.poll()) != null; )
                {
                    command.run();
                }
                for (final SelectionKey key : selector.selectedKeys())
                {
                    if (key.isValid())
                    {
                        handle(key);
                    }
                }
                selector.selectedKeys().clear();
                if (udpFlowCount > 0)
                {
                    expireUdpFlows(System.currentTimeMillis());
                }
                if (!pausedListeners.isEmpty())
                {
                    resumeListeners(System.currentTimeMillis());
                }
            }
        }
        catch (final Throwable ex)
        {
            failure = ex;
            LOG.error("loopback proxy stopped", ex);
        }
        finally
        {
            for (final Integer rule : List.copyOf(listeners.keySet()))
            {
                closeRule(rule);
            }
            for (final Integer rule : List.copyOf(udpListeners.keySet()))
            {
                closeRule(rule);
            }
            List.copyOf(splices).forEach(this::closeSplice);
            closeQuietly(selector);
            for (Runnable command; (command = commands.poll()) != null; )
            {
                command.run(); // their futures fail: the proxy is stopped
            }
        }
    }

    private void handle(final SelectionKey key)
    {
        if (key.attachment() instanceof Listener listener)
        {
            accept(key, listener);
            return;
        }
        if (key.attachment() instanceof UdpListener listener)
        {
            fromClients(listener);
            return;
        }
        if (key.attachment() instanceof UdpFlow flow)
        {
            fromContainer(flow);
            return;
        }
        final Side side = (Side)key.attachment();
        final Splice splice = side.splice;
        try
        {
            if (key.isConnectable())
            {
                if (!side.channel.finishConnect())
                {
                    return;
                }
                // Only now does the client's data have somewhere to go.
                splice.client.key = register(splice.client.channel, 0, splice.client);
            }
            if (key.isReadable() && side.pending == null)
            {
                scratch.clear();
                final int n = side.channel.read(scratch);
                if (n < 0)
                {
                    side.eof = true;
                }
                else if (n > 0)
                {
                    side.pending = scratch.flip();
                }
            }
            transfer(splice.client, splice.upstream);
            transfer(splice.upstream, splice.client);
            keep(splice.client);
            keep(splice.upstream);
            if (splice.client.outputShut && splice.upstream.outputShut)
            {
                closeSplice(splice);
                return;
            }
            interest(splice.client);
            interest(splice.upstream);
        }
        catch (final IOException ex)
        {
            closeSplice(splice); // a reset or refused connection ends the pair, nothing else
        }
    }

    private void accept(final SelectionKey key, final Listener listener)
    {
        for (int i = 0; i < ACCEPT_BATCH; i++)
        {
            final SocketChannel client;
            try
            {
                client = listener.channel().accept();
            }
            catch (final IOException ex)
            {
                // Out of open files (EMFILE/ENFILE): the connection waits in the backlog; stop asking for a moment
                // rather than spin on a listener that stays ready. Else the client went away before the accept.
                if (ex.getMessage() != null && ex.getMessage().contains("open files"))
                {
                    key.interestOps(0);
                    pausedListeners.put(key, System.currentTimeMillis() + ACCEPT_PAUSE_MS);
                    return;
                }
                continue;
            }
            if (client == null)
            {
                return;
            }
            if (splices.size() >= MAX_CONNECTIONS)
            {
                closeQuietly(client);
                continue;
            }
            splice(listener, client);
        }
    }

    private void splice(final Listener listener, final SocketChannel client)
    {
        SocketChannel upstream = null;
        try
        {
            client.configureBlocking(false);
            upstream = SocketChannel.open(StandardProtocolFamily.INET);
            upstream.configureBlocking(false);
            final Splice splice = new Splice(listener.rule(), client, upstream);
            splices.add(splice);
            if (upstream.connect(listener.target()))
            {
                splice.upstream.key = register(upstream, SelectionKey.OP_READ, splice.upstream);
                splice.client.key = register(client, SelectionKey.OP_READ, splice.client);
            }
            else
            {
                splice.upstream.key = register(upstream, SelectionKey.OP_CONNECT, splice.upstream);
            }
        }
        catch (final IOException ex)
        {
            closeQuietly(client);
            closeQuietly(upstream);
            splices.removeIf(s -> s.client.channel == client);
        }
    }

    private void resumeListeners(final long nowMs)
    {
        pausedListeners.entrySet().removeIf(paused ->
        {
            if (paused.getValue() > nowMs)
            {
                return false;
            }
            if (paused.getKey().isValid())
            {
                paused.getKey().interestOps(SelectionKey.OP_ACCEPT);
            }
            return true;
        });
    }

    /** Relays what clients sent to 127.0.0.1:HOSTPORT, each through its own flow; bounded per wake-up. */
    private void fromClients(final UdpListener listener)
    {
        final long nowMs = System.currentTimeMillis();
        for (int i = 0; i < UDP_BATCH; i++)
        {
            datagram.clear();
            final SocketAddress client;
            try
            {
                client = listener.channel().receive(datagram);
            }
            catch (final IOException ex)
            {
                return; // e.g. an ICMP error for an earlier reply; the listener stays open
            }
            if (client == null)
            {
                return;
            }
            final UdpFlow flow = flowFor(listener, client);
            if (flow == null)
            {
                continue; // too many flows: dropped, as an overloaded network would
            }
            flow.lastActiveMs = nowMs;
            datagram.flip();
            try
            {
                flow.upstream.write(datagram);
            }
            catch (final IOException ex)
            {
                closeFlow(flow); // e.g. the container answered port-unreachable; the next datagram opens a new one
            }
        }
    }

    /** Relays the container's replies back to the flow's client. */
    private void fromContainer(final UdpFlow flow)
    {
        for (int i = 0; i < UDP_BATCH; i++)
        {
            datagram.clear();
            try
            {
                if (flow.upstream.read(datagram) <= 0)
                {
                    return;
                }
                datagram.flip();
                flow.listener.channel().send(datagram, flow.client);
                flow.lastActiveMs = System.currentTimeMillis();
            }
            catch (final IOException ex)
            {
                closeFlow(flow);
                return;
            }
        }
    }

    private UdpFlow flowFor(final UdpListener listener, final SocketAddress client)
    {
        final UdpFlow existing = listener.flows().get(client);
        if (existing != null)
        {
            return existing;
        }
        if (udpFlowCount >= MAX_UDP_FLOWS)
        {
            return null;
        }
        DatagramChannel upstream = null;
        try
        {
            upstream = DatagramChannel.open(StandardProtocolFamily.INET);
            upstream.configureBlocking(false);
            upstream.connect(listener.target());
            final UdpFlow flow = new UdpFlow(listener, client, upstream);
            register(upstream, SelectionKey.OP_READ, flow);
            listener.flows().put(client, flow);
            udpFlowCount++;
            return flow;
        }
        catch (final IOException ex)
        {
            closeQuietly(upstream);
            return null;
        }
    }

    private void expireUdpFlows(final long nowMs)
    {
        for (final List<UdpListener> list : udpListeners.values())
        {
            for (final UdpListener listener : list)
            {
                for (final UdpFlow flow : List.copyOf(listener.flows().values()))
                {
                    if (nowMs - flow.lastActiveMs >= UDP_IDLE_TIMEOUT_MS)
                    {
                        closeFlow(flow);
                    }
                }
            }
        }
    }

    private void closeFlow(final UdpFlow flow)
    {
        if (flow.listener.flows().remove(flow.client, flow))
        {
            udpFlowCount--;
        }
        closeQuietly(flow.upstream);
    }

    /** Writes what {@code from} read to {@code to}; passes an end of stream on once everything before it is out. */
    private void transfer(final Side from, final Side to) throws IOException
    {
        if (to.key == null || !to.channel.isConnected())
        {
            return;
        }
        if (from.pending != null)
        {
            to.channel.write(from.pending);
            if (!from.pending.hasRemaining())
            {
                release(from);
            }
        }
        if (from.eof && from.pending == null && !to.outputShut)
        {
            to.channel.shutdownOutput();
            to.outputShut = true;
        }
    }

    /** What the peer did not take of a read moves from the shared scratch buffer into one of the side's own. */
    private void keep(final Side side)
    {
        if (side.pending != scratch)
        {
            return;
        }
        final ByteBuffer own = pool.isEmpty() ? ByteBuffer.allocate(BUFFER_BYTES) : pool.pop();
        own.clear();
        own.put(scratch).flip();
        side.pending = own;
    }

    private void release(final Side side)
    {
        if (side.pending != scratch && pool.size() < POOLED_BUFFERS)
        {
            pool.push(side.pending);
        }
        side.pending = null;
    }

    private static void interest(final Side side)
    {
        if (side.key == null || !side.key.isValid())
        {
            return;
        }
        int ops = 0;
        if (!side.eof && side.pending == null)
        {
            ops |= SelectionKey.OP_READ;
        }
        if (side.peer.pending != null)
        {
            ops |= SelectionKey.OP_WRITE;
        }
        side.key.interestOps(ops);
    }

    private void closeRule(final int rule)
    {
        final List<Listener> list = listeners.remove(rule);
        if (list != null)
        {
            for (final Listener listener : list)
            {
                closeQuietly(listener.channel());
                listenerCount--;
            }
        }
        final List<UdpListener> udpList = udpListeners.remove(rule);
        if (udpList != null)
        {
            for (final UdpListener listener : udpList)
            {
                List.copyOf(listener.flows().values()).forEach(this::closeFlow);
                closeQuietly(listener.channel());
                listenerCount--;
            }
        }
        for (final Splice splice : List.copyOf(splices))
        {
            if (splice.rule == rule)
            {
                closeSplice(splice);
            }
        }
        if (list != null || udpList != null)
        {
            try
            {
                selector.selectNow(); // deregisters the closed listeners, so their ports are free when we return
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
    }

    private void closeSplice(final Splice splice)
    {
        splices.remove(splice);
        for (final Side side : List.of(splice.client, splice.upstream))
        {
            if (side.pending != null)
            {
                release(side);
            }
        }
        closeQuietly(splice.client.channel);
        closeQuietly(splice.upstream.channel);
    }

    private SelectionKey register(final java.nio.channels.SelectableChannel channel, final int ops,
        final Object attachment) throws java.nio.channels.ClosedChannelException
    {
        return channel.register(selector, ops, attachment);
    }

    /** Runs {@code command} on the selector thread and waits for it; its exception is rethrown here. */
    private void call(final ThrowingRunnable command)
    {
        if (!running || failure != null)
        {
            throw new JvsException(JvsException.Kind.INTERNAL, "the loopback proxy is stopped");
        }
        final CompletableFuture<Void> done = new CompletableFuture<>();
        commands.add(() ->
        {
            if (!running)
            {
                done.completeExceptionally(new JvsException(JvsException.Kind.INTERNAL, "the loopback proxy stopped"));
                return;
            }
            try
            {
                command.run();
                done.complete(null);
            }
            catch (final Exception ex)
            {
                done.completeExceptionally(ex);
            }
        });
        selector.wakeup();
        try
        {
            done.get(COMMAND_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof RuntimeException runtime)
            {
                throw runtime;
            }
            throw new JvsException(JvsException.Kind.INTERNAL, "loopback proxy: " + ex.getCause(), ex.getCause());
        }
        catch (final TimeoutException ex)
        {
            throw new JvsException(JvsException.Kind.INTERNAL, "the loopback proxy did not answer in " +
                COMMAND_TIMEOUT_MS + " ms");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new JvsException(JvsException.Kind.INTERNAL, "interrupted waiting for the loopback proxy");
        }
    }

    private interface ThrowingRunnable
    {
        void run() throws Exception;
    }

    private static void closeQuietly(final AutoCloseable closeable)
    {
        if (closeable == null)
        {
            return;
        }
        try
        {
            closeable.close();
        }
        catch (final Exception ex)
        {
            // closing is the last thing done with it; nothing depends on the outcome
        }
    }
}
