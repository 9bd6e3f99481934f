package io.jvs.control.metrics;

import io.jvs.control.common.JvsException;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code jvs daemon --metrics ADDR:PORT}: the Prometheus Java client's HTTP server on one thread of its own
 * ({@code jvs-metrics}), serving {@code /metrics} from a {@link JvsCollector} (Prometheus text or OpenMetrics, as the
 * scraper asks). A scrape reads counters; it sends no command to the switch threads.
 */
public final class MetricsEndpoint implements AutoCloseable
{
    private final HTTPServer server;
    private final ExecutorService executor;

    private MetricsEndpoint(final HTTPServer server, final ExecutorService executor)
    {
        this.server = server;
        this.executor = executor;
    }

    /** Serves {@code source}'s metrics on {@code address}. */
    public static MetricsEndpoint start(final InetSocketAddress address, final MetricsSource source)
    {
        final PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new JvsCollector(source));
        final ExecutorService executor = Executors.newSingleThreadExecutor(r ->
        {
            final Thread thread = new Thread(r, "jvs-metrics");
            thread.setDaemon(true);
            return thread;
        });
        try
        {
            return new MetricsEndpoint(HTTPServer.builder().inetAddress(address.getAddress()).port(address.getPort())
                .registry(registry).executorService(executor).buildAndStart(), executor);
        }
        catch (final IOException ex)
        {
            executor.shutdownNow();
            throw JvsException.conflict("cannot serve metrics on " + format(address) + ": " + ex.getMessage());
        }
    }

    /**
     * {@code PORT} (on 127.0.0.1) or {@code ADDR:PORT} ({@code [v6]:PORT} for IPv6). The address must be literal:
     * no name lookups at start.
     */
    public static InetSocketAddress parse(final String spec)
    {
        final int colon = spec.lastIndexOf(':');
        final String host = colon < 0 ? "127.0.0.1" : spec.substring(0, colon).replace("[", "").replace("]", "");
        final int port;
        try
        {
            port = Integer.parseInt(spec.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("expected [ADDR:]PORT, got \"" + spec + "\"");
        }
        if (port < 0 || port > 65535)
        {
            throw new IllegalArgumentException("port " + port + " is out of range");
        }
        if (host.isEmpty() || !host.matches("[0-9.]+|[0-9a-fA-F:]+"))
        {
            throw new IllegalArgumentException("\"" + host + "\" is not an IP address");
        }
        try
        {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("\"" + host + "\" is not an IP address");
        }
    }

    /** Where it listens (the actual port when 0 was asked). */
    public InetSocketAddress address(final InetSocketAddress asked)
    {
        return new InetSocketAddress(asked.getAddress(), server.getPort());
    }

    public static String format(final InetSocketAddress address)
    {
        final String host = address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    @Override
    public void close()
    {
        server.close();
        executor.shutdownNow();
    }
}
