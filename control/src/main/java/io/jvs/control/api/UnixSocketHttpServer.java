package io.jvs.control.api;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * HTTP/1.1 on a unix domain socket (Jetty's unix-domain connector), handing each request to an {@link ApiHandler}.
 * Knows nothing of jvs's routes. (Docker's plugin socket cannot use it: Docker sends an empty Host header, which
 * Jetty 12 always refuses; see {@code io.jvs.control.docker.PluginSocketServer}.)
 */
public final class UnixSocketHttpServer implements AutoCloseable
{
    private static final int MAX_THREADS = 16;
    private static final int MIN_THREADS = 2;
    private static final int MAX_BODY_BYTES = 1 << 20;

    private final Path socket;
    private final Server server;

    private UnixSocketHttpServer(final Path socket, final Server server)
    {
        this.socket = socket;
        this.server = server;
    }

    /**
     * Binds and starts serving. The caller has made sure no live server owns the path; a stale socket file is
     * replaced.
     */
    public static UnixSocketHttpServer start(final Path socket, final ApiHandler handler, final String threadName)
    {
        final QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, MIN_THREADS);
        threads.setName(threadName);
        threads.setDaemon(true);
        final Server server = new Server(threads);
        final UnixDomainServerConnector connector = new UnixDomainServerConnector(server);
        connector.setUnixDomainPath(socket);
        server.addConnector(connector);
        server.setHandler(new Adapter(handler));
        try
        {
            Files.createDirectories(socket.toAbsolutePath().getParent());
            Files.deleteIfExists(socket);
            server.start();
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        }
        catch (final Exception ex)
        {
            try
            {
                server.stop();
            }
            catch (final Exception suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw new IllegalStateException("cannot serve on " + socket + ": " + ex.getMessage(), ex);
        }
        return new UnixSocketHttpServer(socket, server);
    }

    public Path socket()
    {
        return socket;
    }

    @Override
    public void close()
    {
        try
        {
            server.stop();
            Files.deleteIfExists(socket);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("stopping the server on " + socket + ": " + ex.getMessage(), ex);
        }
    }

    /** Jetty's request/response to ours and back; blocking is fine on this slow path. */
    private static final class Adapter extends Handler.Abstract
    {
        private final ApiHandler handler;

        Adapter(final ApiHandler handler)
        {
            this.handler = handler;
        }

        @Override
        public boolean handle(final Request request, final Response response, final Callback callback) throws Exception
        {
            ApiResponse answer;
            try
            {
                // Read at most one byte past the limit, whatever the transfer encoding: a chunked body has no length
                // to check up front.
                final byte[] bytes = request.getLength() > MAX_BODY_BYTES ? null :
                    Content.Source.asInputStream(request).readNBytes(MAX_BODY_BYTES + 1);
                if (null == bytes || bytes.length > MAX_BODY_BYTES)
                {
                    answer = ApiResponse.json(413, ("{\"message\":\"request body too large (more than " +
                        MAX_BODY_BYTES + " bytes)\"}").getBytes(StandardCharsets.UTF_8));
                }
                else
                {
                    final Map<String, String> query = new LinkedHashMap<>();
                    final Fields fields = Request.extractQueryParameters(request);
                    fields.forEach(field -> query.put(field.getName(), field.getValue()));
                    answer = handler.handle(new ApiRequest(request.getMethod(), request.getHttpURI().getDecodedPath(),
                        query, bytes));
                }
            }
            catch (final RuntimeException | LinkageError ex)
            {
                final String message = String.valueOf(ex.getMessage()).replace("\\", "\\\\").replace("\"", "\\\"");
                answer = ApiResponse.json(500, ("{\"message\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8));
            }
            response.setStatus(answer.status());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, answer.contentType());
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.body().length);
            response.write(true, ByteBuffer.wrap(answer.body()), callback);
            return true;
        }
    }
}
