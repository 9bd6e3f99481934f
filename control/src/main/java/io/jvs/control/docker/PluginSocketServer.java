package io.jvs.control.docker;

import io.jvs.control.api.ApiHandler;
import io.jvs.control.api.ApiRequest;
import io.jvs.control.api.ApiResponse;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The little HTTP/1.1 Docker's plugin protocol uses, served on a unix socket: POST requests with a body (length or
 * chunked), answered with a length, on kept-alive connections; a thread per connection, at most
 * {@value #MAX_CONNECTIONS} at once.
 * <p>
 * Why not Jetty like the jvs API: Docker's plugin client sends {@code Host:} with an empty value (a unix socket has
 * no authority) and Jetty 12 refuses every such request with "400 Blank Host", with no setting to allow it.
 */
public final class PluginSocketServer implements AutoCloseable
{
    static final int MAX_CONNECTIONS = 64;
    static final int MAX_HEADER_BYTES = 64 * 1024;
    static final int MAX_BODY_BYTES = 1 << 20;
    private static final byte[] CRLF = {'\r', '\n'};

    private final Path socket;
    private final ServerSocketChannel server;
    private final ApiHandler handler;
    private final Thread acceptor;
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger threadIds = new AtomicInteger();
    private volatile boolean closed;

    private PluginSocketServer(final Path socket, final ServerSocketChannel server, final ApiHandler handler,
        final String threadName)
    {
        this.socket = socket;
        this.server = server;
        this.handler = handler;
        this.acceptor = new Thread(this::acceptLoop, threadName + "-accept");
        acceptor.setDaemon(true);
    }

    /** Binds (replacing a stale socket file; the caller made sure no live server owns it) and starts serving. */
    public static PluginSocketServer start(final Path socket, final ApiHandler handler, final String threadName)
    {
        try
        {
            Files.createDirectories(socket.toAbsolutePath().getParent());
            Files.deleteIfExists(socket);
            final ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            try
            {
                channel.bind(UnixDomainSocketAddress.of(socket));
                Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
            }
            catch (final IOException ex)
            {
                channel.close();
                throw ex;
            }
            final PluginSocketServer server = new PluginSocketServer(socket, channel, handler, threadName);
            server.acceptor.start();
            return server;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot serve on " + socket + ": " + ex.getMessage(), ex);
        }
    }

    public Path socket()
    {
        return socket;
    }

    @Override
    public void close()
    {
        closed = true;
        try
        {
            server.close();
            for (final SocketChannel connection : connections)
            {
                connection.close(); // wakes its thread out of read()
            }
            acceptor.join(5_000);
            Files.deleteIfExists(socket);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void acceptLoop()
    {
        while (!closed)
        {
            final SocketChannel connection;
            try
            {
                connection = server.accept();
            }
            catch (final IOException ex)
            {
                return; // closed
            }
            if (connections.size() >= MAX_CONNECTIONS)
            {
                closeQuietly(connection);
                continue;
            }
            connections.add(connection);
            final Thread worker = new Thread(() -> serve(connection), acceptor.getName().replace("-accept", "-") +
                threadIds.incrementAndGet());
            worker.setDaemon(true);
            worker.start();
        }
    }

    private void serve(final SocketChannel connection)
    {
        // Closing the connection (finally) closes these streams too.
        final InputStream in = Channels.newInputStream(connection);
        final OutputStream out = Channels.newOutputStream(connection);
        try
        {
            boolean keepAlive = true;
            while (keepAlive && !closed)
            {
                final String requestLine = readLine(in, true);
                if (requestLine == null)
                {
                    return; // the client closed between requests
                }
                final String[] parts = requestLine.split(" ");
                final Map<String, String> headers = readHeaders(in);
                if (parts.length != 3 || !parts[2].startsWith("HTTP/1."))
                {
                    write(out, new ApiResponse(400, "text/plain", "bad request line\n".getBytes(StandardCharsets.UTF_8)),
                        false);
                    return;
                }
                keepAlive = !"close".equalsIgnoreCase(headers.getOrDefault("connection", "")) &&
                    !"HTTP/1.0".equals(parts[2]);
                final byte[] body = readBody(in, headers);
                final String target = parts[1];
                final int query = target.indexOf('?');
                final ApiRequest request = new ApiRequest(parts[0], query < 0 ? target : target.substring(0, query),
                    Map.of(), body);
                ApiResponse response;
                try
                {
                    response = handler.handle(request);
                }
                catch (final RuntimeException ex)
                {
                    response = new ApiResponse(500, DockerPluginApi.CONTENT_TYPE,
                        ("{\"Err\":\"internal error\"}").getBytes(StandardCharsets.UTF_8));
                }
                write(out, response, keepAlive);
            }
        }
        catch (final BadRequest ex)
        {
            try
            {
                write(out, new ApiResponse(400, "text/plain",
                    (ex.getMessage() + "\n").getBytes(StandardCharsets.UTF_8)), false);
            }
            catch (final IOException ignored)
            {
                // the client is gone: nothing to tell it
            }
        }
        catch (final IOException ex)
        {
            // the client went away mid-request, or the server is closing
        }
        finally
        {
            connections.remove(connection);
            closeQuietly(connection);
        }
    }

    private static Map<String, String> readHeaders(final InputStream in) throws IOException
    {
        final Map<String, String> headers = new LinkedHashMap<>();
        int total = 0;
        while (true)
        {
            final String line = readLine(in, false);
            if (line.isEmpty())
            {
                return headers;
            }
            total += line.length();
            if (total > MAX_HEADER_BYTES)
            {
                throw new BadRequest("headers too large");
            }
            final int colon = line.indexOf(':');
            if (colon <= 0)
            {
                throw new BadRequest("malformed header line");
            }
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
    }

    private static byte[] readBody(final InputStream in, final Map<String, String> headers) throws IOException
    {
        if ("chunked".equalsIgnoreCase(headers.getOrDefault("transfer-encoding", "")))
        {
            final ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true)
            {
                final String sizeLine = readLine(in, false);
                final int semicolon = sizeLine.indexOf(';');
                final int size;
                try
                {
                    size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
                }
                catch (final NumberFormatException ex)
                {
                    throw new BadRequest("malformed chunk size");
                }
                if (size < 0 || body.size() + size > MAX_BODY_BYTES)
                {
                    throw new BadRequest("request body too large");
                }
                if (size == 0)
                {
                    readHeaders(in); // trailers
                    return body.toByteArray();
                }
                body.write(in.readNBytes(size));
                readLine(in, false);
            }
        }
        final String length = headers.get("content-length");
        if (length == null)
        {
            return new byte[0];
        }
        final long bytes;
        try
        {
            bytes = Long.parseLong(length);
        }
        catch (final NumberFormatException ex)
        {
            throw new BadRequest("malformed Content-Length");
        }
        if (bytes < 0 || bytes > MAX_BODY_BYTES)
        {
            throw new BadRequest("request body too large");
        }
        final byte[] body = in.readNBytes((int)bytes);
        if (body.length != bytes)
        {
            throw new EOFException("body cut short");
        }
        return body;
    }

    /** One CRLF- (or LF-) terminated line; null at a clean end of stream when {@code eofAllowed}. */
    private static String readLine(final InputStream in, final boolean eofAllowed) throws IOException
    {
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true)
        {
            final int b = in.read();
            if (b < 0)
            {
                if (eofAllowed && line.size() == 0)
                {
                    return null;
                }
                throw new EOFException("connection closed mid-request");
            }
            if (b == '\n')
            {
                final String text = line.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            if (line.size() >= MAX_HEADER_BYTES)
            {
                throw new BadRequest("line too long");
            }
            line.write(b);
        }
    }

    private static void write(final OutputStream out, final ApiResponse response, final boolean keepAlive)
        throws IOException
    {
        final String head = "HTTP/1.1 " + response.status() + " " + reason(response.status()) + "\r\n" +
            "Content-Type: " + response.contentType() + "\r\n" +
            "Content-Length: " + response.body().length + "\r\n" +
            (keepAlive ? "" : "Connection: close\r\n");
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(CRLF);
        out.write(response.body());
        out.flush();
    }

    private static String reason(final int status)
    {
        return switch (status)
        {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 500 -> "Internal Server Error";
            default -> "Status";
        };
    }

    private static void closeQuietly(final SocketChannel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // closing a socket that is already broken: nothing left to do
        }
    }

    /** A request this server cannot parse: answered 400, then the connection is closed. */
    private static final class BadRequest extends IOException
    {
        private static final long serialVersionUID = 1L;

        BadRequest(final String message)
        {
            super(message);
        }
    }
}
