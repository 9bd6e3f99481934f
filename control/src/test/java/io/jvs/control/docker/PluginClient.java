package io.jvs.control.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.api.ApiResponse;
import io.jvs.control.api.UnixHttpClient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/** Speaks Docker's plugin protocol to a socket, as Docker does: POST /Method with a JSON body. */
public final class PluginClient
{
    /** One answer: HTTP status, content type and the body as JSON (or as text when it is not JSON). */
    public record Reply(int status, String contentType, JsonNode json, String text)
    {
        public String err()
        {
            return json == null ? null : json.path("Err").asText(null);
        }
    }

    private final UnixHttpClient http;
    private final ObjectMapper mapper = new ObjectMapper();

    public PluginClient(final Path socket)
    {
        http = new UnixHttpClient(socket, Duration.ofSeconds(30));
    }

    public Reply call(final String method, final String body) throws IOException
    {
        final ApiResponse response = http.send("POST", "/" + method,
            body == null ? null : body.getBytes(StandardCharsets.UTF_8));
        JsonNode json;
        try
        {
            json = mapper.readTree(response.body());
        }
        catch (final IOException ex)
        {
            json = null;
        }
        return new Reply(response.status(), response.contentType(), json, response.bodyText());
    }

    /** A call that must succeed (200, no Err). */
    public JsonNode ok(final String method, final String body) throws IOException
    {
        final Reply reply = call(method, body);
        if (reply.status() != 200 || reply.json() == null || reply.err() != null)
        {
            throw new AssertionError(method + " " + body + " -> " + reply.status() + " " + reply.text());
        }
        return reply.json();
    }
}
