package io.jvs.control.testing;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real single-member etcd (the distribution's etcd-server) on loopback with free ports and its data under a test
 * directory: plain http, or TLS requiring client certificates. Ready when {@link #start} returns; stopped by PID.
 */
public final class EtcdServer implements AutoCloseable
{
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Process process;
    private final String endpoint;

    private EtcdServer(final Process process, final String endpoint)
    {
        this.process = process;
        this.endpoint = endpoint;
    }

    /**
     * @param dir   data directory and log (etcd.log) go under it.
     * @param certs null: plain http; else https with the server certificate and {@code --client-cert-auth}.
     */
    public static EtcdServer start(final String name, final Path dir, final TestCertificates certs) throws Exception
    {
        final int client = freePort();
        final int peer = freePort();
        final String endpoint = (certs == null ? "http" : "https") + "://127.0.0.1:" + client;
        final List<String> argv = new ArrayList<>(List.of("etcd", "--name", name,
            "--data-dir", dir.resolve("etcd").toString(),
            "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
            "--listen-peer-urls", "http://127.0.0.1:" + peer, "--initial-advertise-peer-urls",
            "http://127.0.0.1:" + peer, "--initial-cluster", name + "=http://127.0.0.1:" + peer));
        if (certs != null)
        {
            argv.addAll(List.of("--cert-file", certs.serverCert().toString(), "--key-file",
                certs.serverKey().toString(), "--trusted-ca-file", certs.ca().toString(), "--client-cert-auth"));
        }
        final Path log = dir.resolve("etcd.log");
        final Process process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile())
            .start();
        final EtcdServer server = new EtcdServer(process, endpoint);
        try
        {
            // "serving client requests on" (TLS) or "serving insecure client requests on"
            Wait.until(() -> !process.isAlive() || Files.readString(log).contains("client requests on"),
                START_TIMEOUT, "etcd ready: " + log);
            if (!process.isAlive())
            {
                throw new AssertionError("etcd died: " + Files.readString(log));
            }
        }
        catch (final Exception | AssertionError ex)
        {
            server.close();
            throw ex;
        }
        return server;
    }

    /** The client URL, e.g. {@code http://127.0.0.1:PORT}. */
    public String endpoint()
    {
        return endpoint;
    }

    @Override
    public void close() throws InterruptedException
    {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS))
        {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws Exception
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }
}
