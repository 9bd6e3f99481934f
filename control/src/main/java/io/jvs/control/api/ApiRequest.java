package io.jvs.control.api;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** One HTTP request as a handler sees it: no transport details. */
public record ApiRequest(String method, String path, Map<String, String> query, byte[] body)
{
    public String bodyText()
    {
        return new String(body, StandardCharsets.UTF_8);
    }
}
