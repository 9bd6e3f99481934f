package io.jvs.control.docker;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvs.control.common.JvsException;
import io.jvs.control.api.ApiHandler;
import io.jvs.control.api.ApiRequest;
import io.jvs.control.api.ApiResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Function;

/**
 * Docker's plugin protocol (v1, HTTP POST + JSON on a unix socket under /run/docker/plugins): {@code Plugin.Activate}
 * and the {@code NetworkDriver.*} and {@code IpamDriver.*} methods, answered by the {@link DockerDriver} and the
 * {@link DockerIpam}.
 * <p>
 * A refusal is {@code {"Err": message}} with status 400 (the request was malformed) or 500 (it could not be carried
 * out), which Docker shows to the user; methods jvs does not implement get 404 and Go's "404 page not found", which
 * Docker takes as "optional method not implemented".
 */
public final class DockerPluginApi implements ApiHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(DockerPluginApi.class);

    public static final String CONTENT_TYPE = "application/vnd.docker.plugins.v1+json";
    private static final String NOT_FOUND_TEXT = "404 page not found\n";

    private final ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private final Map<String, Function<JsonNode, ObjectNode>> methods;

    public DockerPluginApi(final DockerDriver driver, final DockerIpam ipam)
    {
        methods = Map.ofEntries(
            Map.entry("Plugin.Activate", r -> activate()),
            Map.entry("NetworkDriver.GetCapabilities", r -> driver.capabilities()),
            Map.entry("NetworkDriver.CreateNetwork", driver::createNetwork),
            Map.entry("NetworkDriver.DeleteNetwork", driver::deleteNetwork),
            Map.entry("NetworkDriver.CreateEndpoint", driver::createEndpoint),
            Map.entry("NetworkDriver.EndpointOperInfo", driver::endpointOperInfo),
            Map.entry("NetworkDriver.DeleteEndpoint", driver::deleteEndpoint),
            Map.entry("NetworkDriver.Join", driver::join),
            Map.entry("NetworkDriver.Leave", driver::leave),
            Map.entry("NetworkDriver.ProgramExternalConnectivity", driver::programExternalConnectivity),
            Map.entry("NetworkDriver.RevokeExternalConnectivity", driver::revokeExternalConnectivity),
            // Node discovery is for multi-host drivers; a local-scope driver has nothing to do with it.
            Map.entry("NetworkDriver.DiscoverNew", r -> json.createObjectNode()),
            Map.entry("NetworkDriver.DiscoverDelete", r -> json.createObjectNode()),
            Map.entry("IpamDriver.GetCapabilities", r -> ipam.capabilities()),
            Map.entry("IpamDriver.GetDefaultAddressSpaces", r -> ipam.defaultAddressSpaces()),
            Map.entry("IpamDriver.RequestPool", ipam::requestPool),
            Map.entry("IpamDriver.ReleasePool", ipam::releasePool),
            Map.entry("IpamDriver.RequestAddress", ipam::requestAddress),
            Map.entry("IpamDriver.ReleaseAddress", ipam::releaseAddress));
    }

    @Override
    public ApiResponse handle(final ApiRequest request)
    {
        final String method = request.path().startsWith("/") ? request.path().substring(1) : request.path();
        final Function<JsonNode, ObjectNode> call = methods.get(method);
        if (call == null || !"POST".equals(request.method()))
        {
            LOG.debug("docker: {} {}: not implemented (404)", request.method(), request.path());
            return new ApiResponse(404, "text/plain; charset=utf-8", NOT_FOUND_TEXT.getBytes(StandardCharsets.UTF_8));
        }
        if (LOG.isDebugEnabled())
        {
            LOG.debug("docker: {} {}", method, new String(request.body(), StandardCharsets.UTF_8));
        }
        try
        {
            return respond(200, call.apply(body(method, request)));
        }
        catch (final JvsException ex)
        {
            // A refusal Docker shows its user; the cause (an ip command's output, etcd's error) only here.
            LOG.warn("docker: {} refused: {}", method, ex.getMessage(), ex.getCause());
            return error(ex.kind() == JvsException.Kind.INVALID ? 400 : 500, ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            LOG.error("docker: {} failed", method, ex);
            return error(500, method + " failed: " + ex.getClass().getSimpleName() + ": " + ex.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------- request parsing

    /** A string field that must be present and not empty. */
    static String requiredText(final JsonNode node, final String field)
    {
        final JsonNode value = node.get(field);
        if (value == null || value.isNull() || !value.isTextual() || value.asText().isEmpty())
        {
            throw JvsException.invalid(field + " is missing" + (value == null || value.isNull() ? "" :
                " or not a non-empty string"));
        }
        return value.asText();
    }

    /** A string field that may be absent (null) or empty; present but not a string is refused. */
    static String optionalText(final JsonNode node, final String field)
    {
        final JsonNode value = node.get(field);
        if (value == null || value.isNull())
        {
            return null;
        }
        if (!value.isTextual())
        {
            throw JvsException.invalid(field + " must be a string");
        }
        return value.asText();
    }

    static boolean hasText(final JsonNode node, final String field)
    {
        final String text = optionalText(node, field);
        return text != null && !text.isEmpty();
    }

    private ObjectNode activate()
    {
        final ObjectNode response = json.createObjectNode();
        response.putArray("Implements").add("NetworkDriver").add("IpamDriver");
        return response;
    }

    private JsonNode body(final String method, final ApiRequest request)
    {
        if (request.body().length == 0)
        {
            return json.createObjectNode();
        }
        final JsonNode node;
        try
        {
            node = json.readTree(request.body());
        }
        catch (final IOException ex)
        {
            throw JvsException.invalid("malformed JSON in " + method + " request: " +
                ex.getMessage().lines().findFirst().orElse(""));
        }
        if (node == null || node.isNull() || node.isMissingNode())
        {
            return json.createObjectNode();
        }
        if (!node.isObject())
        {
            throw JvsException.invalid("the " + method + " request must be a JSON object");
        }
        return node;
    }

    private ApiResponse respond(final int status, final Object body)
    {
        try
        {
            return new ApiResponse(status, CONTENT_TYPE, json.writeValueAsBytes(body));
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private ApiResponse error(final int status, final String message)
    {
        return respond(status, Map.of("Err", message));
    }
}
