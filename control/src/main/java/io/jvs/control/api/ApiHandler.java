package io.jvs.control.api;

/**
 * Answers requests; the HTTP server hands every request to one of these. Implementations turn their own failures
 * into error responses; an exception escaping here becomes a 500 with its message.
 */
@FunctionalInterface
public interface ApiHandler
{
    ApiResponse handle(ApiRequest request);
}
