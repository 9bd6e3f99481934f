package io.jvs.control.api;

import java.nio.charset.StandardCharsets;

/** One HTTP response: status, content type and the whole body. */
public record ApiResponse(int status, String contentType, byte[] body)
{
    public static final String JSON = "application/json";

    public static ApiResponse json(final int status, final byte[] body)
    {
        return new ApiResponse(status, JSON, body);
    }

    public String bodyText()
    {
        return new String(body, StandardCharsets.UTF_8);
    }
}
