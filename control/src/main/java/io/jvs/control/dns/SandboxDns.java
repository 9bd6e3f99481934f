package io.jvs.control.dns;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.jvs.control.common.SelectorThreads;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.ipam.Ipv6Address;
import io.jvs.control.netns.HostsFiles;
import io.jvs.tap.NetworkNamespace;
import io.jvs.tap.counters.CounterTable;
import io.jvs.tap.counters.CountersRegistry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sandboxes' resolver at 127.0.0.11:53 (where Docker's embedded DNS listens, and where jvs's resolv.conf points):
 * one UDP socket inside each sandbox's namespace, all served by one selector thread in the daemon.
 * <p>
 * Names of the sandbox itself and of the peers it shares a network with ({@link SandboxNames}, kept per network so
 * an attach costs O(1); the sandbox's hosts file holds only its own name, as Docker's on user-defined networks) are
 * answered at once: A, AAAA (a peer's IPv6 address on a dual-stack network both are on), PTR for their IPv4
 * addresses, and an empty NOERROR for other types. Every other query (AAAA included) is forwarded from the daemon's own
 * namespace to the upstream servers (by default the host's resolv.conf, loopback ones included: the daemon can
 * reach them where the sandbox cannot) under a fresh ID, and the answer is passed back. Without upstreams, such
 * queries get SERVFAIL at once. Malformed queries are counted and answered FORMERR when their header can carry it.
 * <p>
 * Control-plane code, not the packet path. Bounded: {@link #MAX_PENDING} forwarded queries in flight (more get
 * SERVFAIL), each forgotten after {@link #FORWARD_TIMEOUT_MS}. UDP only (a truncated upstream answer is passed on
 * as it is; TCP retries from the sandbox are not served).
 */
public final class SandboxDns implements HostsFiles.Observer, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(SandboxDns.class);

    public static final String LISTEN_ADDRESS = "127.0.0.11";
    public static final int DNS_PORT = 53;
    static final int MAX_PENDING = 4096;
    static final long FORWARD_TIMEOUT_MS = 5_000;
    private static final int MAX_MESSAGE_BYTES = 65_535;
    private static final int BATCH = 64;
    private static final long SWEEP_MS = 1_000;

    /**
     * @param enabled   whether sandboxes get a resolver at all.
     * @param upstreams where other names are asked; empty answers them SERVFAIL.
     */
    public record Config(boolean enabled, List<InetSocketAddress> upstreams)
    {
        public static final Path HOST_RESOLV_CONF = Path.of("/etc/resolv.conf");

        public static Config disabled()
        {
            return new Config(false, List.of());
        }

        /** On, forwarding to the IPv4 nameservers of the host's resolv.conf. */
        public static Config hostResolvers()
        {
            return new Config(true, nameservers(HOST_RESOLV_CONF));
        }

        /** IP or IP:PORT, comma separated. */
        public static Config upstreams(final String spec)
        {
            final List<InetSocketAddress> list = new ArrayList<>();
            for (final String item : spec.split(","))
            {
                final String trimmed = item.trim();
                if (trimmed.isEmpty())
                {
                    continue;
                }
                final int colon = trimmed.indexOf(':');
                final String ip = colon < 0 ? trimmed : trimmed.substring(0, colon);
                final int port = colon < 0 ? DNS_PORT : parsePort(trimmed.substring(colon + 1), trimmed);
                list.add(new InetSocketAddress(Ipv4.format(Ipv4.parse(ip)), port));
            }
            return new Config(true, List.copyOf(list));
        }

        /** The IPv4 {@code nameserver} lines of a resolv.conf; none if it cannot be read. */
        static List<InetSocketAddress> nameservers(final Path resolvConf)
        {
            final List<InetSocketAddress> list = new ArrayList<>();
            final List<String> lines;
            try
            {
                lines = Files.readAllLines(resolvConf);
            }
            catch (final IOException ex)
            {
                return List.of();
            }
            for (final String line : lines)
            {
                final String[] words = line.trim().split("\\s+");
                if (words.length >= 2 && words[0].equals("nameserver") && words[1].matches("\\d+\\.\\d+\\.\\d+\\.\\d+"))
                {
                    list.add(new InetSocketAddress(words[1], DNS_PORT));
                }
            }
            return List.copyOf(list);
        }

        private static int parsePort(final String text, final String item)
        {
            try
            {
                final int port = Integer.parseInt(text);
                if (port > 0 && port < 65536)
                {
                    return port;
                }
            }
            catch (final NumberFormatException ignored)
            {
                // reported below
            }
            throw new IllegalArgumentException("bad DNS upstream " + item + ": the port must be 1-65535");
        }
    }

    /** One sandbox's socket. */
    private static final class Listener
    {
        final String sandbox;
        final DatagramChannel channel;

        Listener(final String sandbox, final DatagramChannel channel)
        {
            this.sandbox = sandbox;
            this.channel = channel;
        }
    }

    /** A forwarded query waiting for its answer. */
    private record Pending(Listener listener, SocketAddress client, int clientId, long deadlineMs)
    {
    }

    private final Config config;
    private final SandboxNames names;
    private final Selector selector;
    private final DatagramChannel upstream;
    private final Thread thread;
    private final Map<String, Listener> listeners = new ConcurrentHashMap<>();
    /** One {@link DnsCounter} record in the instance's registry. */
    private final CounterTable counters;
    /** Selector thread only. */
    private final Map<Integer, Pending> pending = new HashMap<>();
    private final ByteBuffer buffer = ByteBuffer.allocate(MAX_MESSAGE_BYTES);
    private int nextId;
    private int nextUpstream;
    private volatile boolean running = true;

    private SandboxDns(final Config config, final SandboxNames names, final Selector selector,
        final DatagramChannel upstream, final CountersRegistry registry)
    {
        this.config = config;
        this.names = names;
        this.counters = registry.newRecord(DnsCounter.class, "sandbox dns", 0, 0);
        this.selector = selector;
        this.upstream = upstream;
        this.thread = new Thread(this::run, "jvs-dns");
        this.thread.setDaemon(true);
        this.nextId = (int)(System.nanoTime() & 0xFFFF);
    }

    /**
     * @param names    what each sandbox resolves (the control plane keeps it).
     * @param registry where the resolver's counters are registered (the switch's, so stats read one place).
     */
    public static SandboxDns start(final Config config, final SandboxNames names, final CountersRegistry registry)
    {
        try
        {
            final Selector selector = Selector.open();
            final DatagramChannel upstream = DatagramChannel.open(StandardProtocolFamily.INET);
            upstream.configureBlocking(false);
            upstream.bind(null);
            upstream.register(selector, SelectionKey.OP_READ);
            final SandboxDns dns = new SandboxDns(config, names, selector, upstream, registry);
            dns.thread.start();
            return dns;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot start the sandboxes' DNS", ex);
        }
    }

    public List<InetSocketAddress> upstreams()
    {
        return config.upstreams();
    }

    /** Any thread: the counter's latest value. */
    public long counter(final DnsCounter counter)
    {
        return counters.get(0, counter);
    }

    /** Sandboxes served now. */
    public int sandboxes()
    {
        return listeners.size();
    }

    // ---------------------------------------------------------------------------------- HostsFiles.Observer

    /**
     * The sandbox's files were written (it was just created, connected or disconnected, or the daemon restarted):
     * listen in its namespace if not yet; its names come from {@link SandboxNames}. A namespace that does not exist
     * under /run/netns is not a jvs sandbox this resolver can serve, and is left alone.
     */
    @Override
    public void written(final String sandbox)
    {
        if (listeners.containsKey(sandbox) || !running || !Files.exists(NetworkNamespace.named(sandbox)))
        {
            return;
        }
        Listener listener = null;
        try
        {
            listener = new Listener(sandbox, listenIn(sandbox));
            listener.channel.register(selector, SelectionKey.OP_READ, listener);
        }
        catch (final IOException | RuntimeException ex)
        {
            // The sandbox still resolves itself through its hosts file; peers' and other names fail. Said, not hidden.
            count(DnsCounter.LISTEN_FAILED);
            LOG.warn("no DNS at {} in sandbox {}", LISTEN_ADDRESS, sandbox, ex);
            if (listener != null)
            {
                closeQuietly(listener.channel);
            }
            return;
        }
        listeners.put(sandbox, listener);
        selector.wakeup();
    }

    @Override
    public void removed(final String sandbox)
    {
        final Listener listener = listeners.remove(sandbox);
        if (listener != null)
        {
            closeQuietly(listener.channel);
            selector.wakeup();
        }
    }

    @Override
    public void close()
    {
        if (!running)
        {
            return;
        }
        running = false;
        SelectorThreads.wakeAndJoin(selector, thread, FORWARD_TIMEOUT_MS);
    }

    private static DatagramChannel listenIn(final String sandbox)
    {
        return NetworkNamespace.call(NetworkNamespace.named(sandbox), () ->
        {
            final DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
            try
            {
                channel.configureBlocking(false);
                channel.bind(new InetSocketAddress(InetAddress.getByName(LISTEN_ADDRESS), DNS_PORT));
                return channel;
            }
            catch (final IOException ex)
            {
                closeQuietly(channel);
                throw new UncheckedIOException("cannot listen on " + LISTEN_ADDRESS + ":" + DNS_PORT +
                    " in sandbox " + sandbox + ": " + ex.getMessage(), ex);
            }
        });
    }

    // ------------------------------------------------------------------------------------------ selector thread

    private void run()
    {
        try
        {
            while (running)
            {
                selector.select(pending.isEmpty() ? 0 : SWEEP_MS);
                for (final SelectionKey key : selector.selectedKeys())
                {
                    if (!key.isValid() || !key.isReadable())
                    {
                        continue;
                    }
                    if (key.attachment() instanceof Listener listener)
                    {
                        fromSandbox(listener);
                    }
                    else
                    {
                        fromUpstream();
                    }
                }
                selector.selectedKeys().clear();
                if (!pending.isEmpty())
                {
                    forgetExpired(System.currentTimeMillis());
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.error("the sandboxes' DNS stopped", ex);
        }
        finally
        {
            listeners.values().forEach(l -> closeQuietly(l.channel));
            listeners.clear();
            closeQuietly(upstream);
            closeQuietly(selector);
        }
    }

    private void fromSandbox(final Listener listener)
    {
        for (int i = 0; i < BATCH; i++)
        {
            buffer.clear();
            final SocketAddress client;
            try
            {
                client = listener.channel.receive(buffer);
            }
            catch (final IOException ex)
            {
                return; // the sandbox went away; its removal closes the channel
            }
            if (client == null)
            {
                return;
            }
            count(DnsCounter.QUERIES);
            final int length = buffer.position();
            buffer.limit(length);
            buffer.position(0);
            answer(listener, client, length);
        }
    }

    private void answer(final Listener listener, final SocketAddress client, final int length)
    {
        if (length < DnsWire.HEADER_LENGTH || (DnsWire.flags(buffer) & DnsWire.FLAG_QR) != 0)
        {
            count(DnsCounter.MALFORMED); // too short to answer, or an answer sent to a server: dropped
            return;
        }
        if ((DnsWire.flags(buffer) & DnsWire.OPCODE_MASK) != 0)
        {
            reply(listener, client, DnsWire.HEADER_LENGTH, DnsWire.RCODE_NOTIMP);
            return;
        }
        final DnsWire.Question question = DnsWire.questionCount(buffer) == 1 ? DnsWire.question(buffer, length) : null;
        if (question == null)
        {
            count(DnsCounter.MALFORMED);
            reply(listener, client, DnsWire.HEADER_LENGTH, DnsWire.RCODE_FORMERR);
            return;
        }
        if (question.questionClass() == DnsWire.CLASS_IN && answerLocally(listener, client, question))
        {
            return;
        }
        forward(listener, client, length);
    }

    /** Answers names of the sandbox's own networks; false when the name is not one of them. */
    private boolean answerLocally(final Listener listener, final SocketAddress client,
        final DnsWire.Question question)
    {
        final String name = question.name();
        final Integer address = names.address(listener.sandbox, name);
        final Ipv6Address address6 = names.address6(listener.sandbox, name);
        if (address != null || address6 != null)
        {
            // a peer without one of the families (IPv4-only, IPv6-only networks): NOERROR without that record
            DnsWire.startResponse(buffer, question.end(), DnsWire.RCODE_NOERROR);
            if (address != null && (question.type() == DnsWire.TYPE_A || question.type() == DnsWire.TYPE_ANY))
            {
                DnsWire.appendA(buffer, address);
            }
            if (address6 != null && (question.type() == DnsWire.TYPE_AAAA || question.type() == DnsWire.TYPE_ANY))
            {
                DnsWire.appendAaaa(buffer, address6.toBytes());
            }
            send(listener, client);
            return true;
        }
        if (question.type() == DnsWire.TYPE_PTR)
        {
            final Integer reverse = DnsWire.reverseAddress(name);
            final String owner = reverse == null ? null : names.owner(listener.sandbox, reverse);
            if (owner != null)
            {
                DnsWire.startResponse(buffer, question.end(), DnsWire.RCODE_NOERROR);
                DnsWire.appendPtr(buffer, owner);
                send(listener, client);
                return true;
            }
        }
        return false;
    }

    private void forward(final Listener listener, final SocketAddress client, final int length)
    {
        final List<InetSocketAddress> upstreams = config.upstreams();
        if (upstreams.isEmpty() || pending.size() >= MAX_PENDING)
        {
            reply(listener, client, DnsWire.question(buffer, length).end(), DnsWire.RCODE_SERVFAIL);
            return;
        }
        int id = nextId;
        for (int tries = 0; pending.containsKey(id) && tries < 0x10000; tries++)
        {
            id = (id + 1) & 0xFFFF;
        }
        nextId = (id + 1) & 0xFFFF;
        pending.put(id, new Pending(listener, client, DnsWire.id(buffer), System.currentTimeMillis() +
            FORWARD_TIMEOUT_MS));
        DnsWire.id(buffer, id);
        final InetSocketAddress to = upstreams.get(Math.floorMod(nextUpstream++, upstreams.size()));
        try
        {
            upstream.send(buffer, to);
            count(DnsCounter.FORWARDED);
        }
        catch (final IOException ex)
        {
            pending.remove(id);
            count(DnsCounter.FAILED);
        }
    }

    private void fromUpstream()
    {
        for (int i = 0; i < BATCH; i++)
        {
            buffer.clear();
            final SocketAddress from;
            try
            {
                from = upstream.receive(buffer);
            }
            catch (final IOException ex)
            {
                count(DnsCounter.FAILED); // e.g. an ICMP error from an unreachable upstream
                return;
            }
            if (from == null)
            {
                return;
            }
            buffer.flip();
            if (buffer.remaining() < DnsWire.HEADER_LENGTH || !config.upstreams().contains(from))
            {
                count(DnsCounter.MALFORMED);
                continue;
            }
            final Pending query = pending.remove(DnsWire.id(buffer));
            if (query == null)
            {
                continue; // late, after its timeout
            }
            DnsWire.id(buffer, query.clientId());
            count(DnsCounter.UPSTREAM_ANSWERS);
            try
            {
                query.listener().channel.send(buffer, query.client());
            }
            catch (final IOException ex)
            {
                count(DnsCounter.FAILED);
            }
        }
    }

    private void forgetExpired(final long nowMs)
    {
        pending.values().removeIf(p -> p.deadlineMs() <= nowMs);
    }

    private void reply(final Listener listener, final SocketAddress client, final int questionEnd, final int rcode)
    {
        DnsWire.startResponse(buffer, questionEnd, rcode);
        send(listener, client);
    }

    private void send(final Listener listener, final SocketAddress client)
    {
        buffer.flip();
        try
        {
            listener.channel.send(buffer, client);
            count(DnsCounter.ANSWERED);
        }
        catch (final IOException ex)
        {
            count(DnsCounter.FAILED);
        }
    }

    /** Each counter is written by one thread (see {@link DnsCounter}): a plain read and a release write. */
    private void count(final DnsCounter counter)
    {
        counters.increment(counters.offset(0, counter));
    }

    private static void closeQuietly(final AutoCloseable closeable)
    {
        try
        {
            closeable.close();
        }
        catch (final Exception ignored)
        {
            // closing is the last thing done with it
        }
    }
}
