package io.jvs.control.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client over a unix domain socket: one request per connection ({@code Connection: close}),
 * bodies framed by Content-Length, chunked encoding or end of stream, all within one deadline.
 */
public final class UnixHttpClient
{
    /** The daemon could not be reached at all (no socket, nobody listening). */
    public static final class UnreachableException extends IOException
    {
        private static final long serialVersionUID = 1L;

        UnreachableException(final String message, final Throwable cause)
        {
            super(message, cause);
        }
    }

    private static final int READ_CHUNK = 16 * 1024;

    private final Path socket;
    private final Duration timeout;

    public UnixHttpClient(final Path socket, final Duration timeout)
    {
        this.socket = socket;
        this.timeout = timeout;
    }

    public Path socket()
    {
        return socket;
    }

    public ApiResponse send(final String method, final String path, final byte[] body) throws IOException
    {
        final SocketChannel channel;
        try
        {
            channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        }
        catch (final IOException ex)
        {
            throw new UnreachableException("cannot connect to " + socket + ": " + ex.getMessage(), ex);
        }
        try (channel; Selector selector = Selector.open())
        {
            final long deadline = System.nanoTime() + timeout.toNanos();
            final byte[] payload = body == null ? new byte[0] : body;
            final String head = method + " " + path + " HTTP/1.1\r\n" +
                "Host: jvs\r\n" +
                "User-Agent: jvs-cli\r\n" +
                "Accept: application/json\r\n" +
                "Connection: close\r\n" +
                (payload.length > 0 ? "Content-Type: application/json\r\n" : "") +
                "Content-Length: " + payload.length + "\r\n\r\n";
            final ByteBuffer out = ByteBuffer.allocate(head.length() + payload.length);
            out.put(head.getBytes(StandardCharsets.US_ASCII)).put(payload).flip();
            while (out.hasRemaining())
            {
                channel.write(out);
            }
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            final ByteArrayOutputStream received = new ByteArrayOutputStream();
            final ByteBuffer chunk = ByteBuffer.allocate(READ_CHUNK);
            while (true)
            {
                final ApiResponse response = tryParse(received.toByteArray(), false);
                if (response != null)
                {
                    return response;
                }
                final long left = deadline - System.nanoTime();
                if (left <= 0)
                {
                    throw new IOException("no complete answer from " + socket + " within " + timeout.toMillis() + " ms");
                }
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
                chunk.clear();
                final int read = channel.read(chunk);
                if (read < 0)
                {
                    final ApiResponse last = tryParse(received.toByteArray(), true);
                    if (last == null)
                    {
                        throw new IOException("connection to " + socket + " closed before a complete answer");
                    }
                    return last;
                }
                received.write(chunk.array(), 0, read);
            }
        }
    }

    /** @return the response if {@code data} holds all of it, else null. */
    static ApiResponse tryParse(final byte[] data, final boolean eof) throws IOException
    {
        final int headEnd = indexOf(data, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
        if (headEnd < 0)
        {
            return null;
        }
        final String[] lines = new String(data, 0, headEnd, StandardCharsets.ISO_8859_1).split("\r\n");
        final String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1."))
        {
            throw new IOException("not an HTTP response: " + lines[0]);
        }
        final int status = Integer.parseInt(statusLine[1]);
        long contentLength = -1;
        boolean chunked = false;
        String contentType = "";
        for (int i = 1; i < lines.length; i++)
        {
            final int colon = lines[i].indexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            final String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            final String value = lines[i].substring(colon + 1).trim();
            switch (name)
            {
                case "content-length" -> contentLength = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "content-type" -> contentType = value;
                default -> { }
            }
        }
        final int bodyStart = headEnd + 4;
        if (chunked)
        {
            final byte[] body = dechunk(data, bodyStart);
            return body == null ? null : new ApiResponse(status, contentType, body);
        }
        if (contentLength >= 0)
        {
            if (data.length - bodyStart < contentLength)
            {
                return null;
            }
            final byte[] body = new byte[(int)contentLength];
            System.arraycopy(data, bodyStart, body, 0, body.length);
            return new ApiResponse(status, contentType, body);
        }
        if (!eof)
        {
            return null;
        }
        final byte[] body = new byte[data.length - bodyStart];
        System.arraycopy(data, bodyStart, body, 0, body.length);
        return new ApiResponse(status, contentType, body);
    }

    private static byte[] dechunk(final byte[] data, final int start)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        int position = start;
        while (true)
        {
            final int lineEnd = indexOf(data, new byte[] {'\r', '\n'}, position);
            if (lineEnd < 0)
            {
                return null;
            }
            String sizeText = new String(data, position, lineEnd - position, StandardCharsets.US_ASCII);
            final int semicolon = sizeText.indexOf(';');
            if (semicolon >= 0)
            {
                sizeText = sizeText.substring(0, semicolon);
            }
            final int size = Integer.parseInt(sizeText.trim(), 16);
            if (size == 0)
            {
                return body.toByteArray();
            }
            if (data.length < lineEnd + 2 + size + 2)
            {
                return null;
            }
            body.write(data, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }
    }

    private static int indexOf(final byte[] data, final byte[] pattern, final int from)
    {
        outer:
        for (int i = from; i <= data.length - pattern.length; i++)
        {
            for (int j = 0; j < pattern.length; j++)
            {
                if (data[i + j] != pattern[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
