package io.jvs.control.api;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP layer alone: Jetty on a unix socket, our client, and curl as an independent client. */
class UnixSocketHttpTest
{
    @TempDir
    Path dir;

    private UnixSocketHttpServer server;
    private Path socket;

    @BeforeEach
    void start()
    {
        socket = dir.resolve("api.sock");
        server = UnixSocketHttpServer.start(socket, request -> ApiResponse.json(
            request.path().equals("/fail") ? 409 : 200,
            ("{\"method\":\"" + request.method() + "\",\"path\":\"" + request.path() + "\",\"q\":\"" +
            request.query().getOrDefault("q", "") + "\",\"length\":" + request.body().length + "}")
                .getBytes(StandardCharsets.UTF_8)), "test-api");
    }

    @AfterEach
    void stop()
    {
        server.close();
        assertFalse(Files.exists(socket), "socket file removed on close");
    }

    @Test
    void roundTripsRequestAndResponse() throws IOException
    {
        final UnixHttpClient client = new UnixHttpClient(socket, Duration.ofSeconds(5));
        final byte[] body = "x".repeat(100_000).getBytes(StandardCharsets.UTF_8);
        final ApiResponse response = client.send("POST", "/networks/create?q=yes", body);
        assertEquals(200, response.status());
        assertEquals("{\"method\":\"POST\",\"path\":\"/networks/create\",\"q\":\"yes\",\"length\":100000}",
            response.bodyText());
        assertEquals(409, client.send("DELETE", "/fail", null).status());
    }

    @Test
    void curlCanTalkToIt() throws Exception
    {
        final Process curl = new ProcessBuilder("curl", "-s", "--unix-socket", socket.toString(),
            "http://jvs/networks").redirectErrorStream(true).start();
        assertTrue(curl.waitFor(10, TimeUnit.SECONDS));
        assertEquals("{\"method\":\"GET\",\"path\":\"/networks\",\"q\":\"\",\"length\":0}",
            new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** curl over the socket: the status, then the body. */
    private String curl(final String... args) throws Exception
    {
        final List<String> argv = new ArrayList<>(List.of("curl", "-s", "-w", "\n%{http_code}", "--unix-socket",
            socket.toString()));
        argv.addAll(List.of(args));
        final Process curl = new ProcessBuilder(argv).redirectErrorStream(true).start();
        final String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(curl.waitFor(30, TimeUnit.SECONDS));
        return out;
    }

    @Test
    void aChunkedBodyOverTheLimitIsRefusedWhileReadingAndOneWithinItPasses() throws Exception
    {
        final Path big = dir.resolve("big");
        Files.write(big, new byte[10 * 1024 * 1024]);
        final String refused = curl("-H", "Transfer-Encoding: chunked", "--data-binary", "@" + big,
            "http://jvs/networks/create");
        assertTrue(refused.endsWith("\n413"), refused);
        assertTrue(refused.contains("request body too large"), refused);

        final Path small = dir.resolve("small");
        Files.write(small, new byte[100_000]);
        final String passed = curl("-H", "Transfer-Encoding: chunked", "--data-binary", "@" + small,
            "http://jvs/networks/create");
        assertTrue(passed.endsWith("\"length\":100000}\n200"), passed);

        final Path limit = dir.resolve("limit");
        Files.write(limit, new byte[1 << 20]);
        assertTrue(curl("-H", "Transfer-Encoding: chunked", "--data-binary", "@" + limit, "http://jvs/x")
            .endsWith("\n200"), "exactly the limit passes");
        Files.write(limit, new byte[(1 << 20) + 1]);
        assertTrue(curl("--data-binary", "@" + limit, "http://jvs/x").endsWith("\n413"), "one more with a length");
    }

    @Test
    void unreachableSocketIsReportedAsSuch()
    {
        final UnixHttpClient client = new UnixHttpClient(dir.resolve("nobody.sock"), Duration.ofSeconds(1));
        assertThrows(UnixHttpClient.UnreachableException.class, () -> client.send("GET", "/_ping", null));
    }

    @Test
    void parsesChunkedAndPartialResponses() throws IOException
    {
        final byte[] chunked = ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n" +
            "0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        assertEquals("Wikipedia", UnixHttpClient.tryParse(chunked, false).bodyText());
        final byte[] partial = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345".getBytes(StandardCharsets.US_ASCII);
        assertNull(UnixHttpClient.tryParse(partial, false));
        final byte[] untilEof = "HTTP/1.1 500 Oops\r\n\r\nbody".getBytes(StandardCharsets.US_ASCII);
        assertNull(UnixHttpClient.tryParse(untilEof, false));
        assertEquals("body", UnixHttpClient.tryParse(untilEof, true).bodyText());
        assertThrows(IOException.class, () -> UnixHttpClient.tryParse("SSH-2.0\r\n\r\n".getBytes(
            StandardCharsets.US_ASCII), true));
    }
}
