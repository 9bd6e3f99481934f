package io.jvs.control.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.docker.PluginClient;
import io.jvs.control.testing.InProcessCli;
import io.jvs.control.testing.TempDirs;
import io.jvs.control.testing.Wait;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A daemon started with {@code --log-format json}: stderr is JSON lines only; API refusals and the Docker plugin's
 * requests (debug) and refusals (warn) are logged; {@code jvs log set debug} takes effect without a restart.
 */
class DaemonLoggingTest
{
    private static final Duration LOGGED = Duration.ofSeconds(10);

    private final String run = "obs" + HexFormat.of().toHexDigits((short)new SecureRandom().nextInt());
    private final ObjectMapper json = new ObjectMapper();
    private Path dir;
    private DaemonProcess daemon;

    @AfterEach
    void cleanUp() throws Exception
    {
        if (daemon != null)
        {
            daemon.stop();
        }
        if (dir != null)
        {
            TempDirs.deleteTree(dir);
        }
    }

    @Test
    void jsonLinesWithApiAndDockerEventsAndARuntimeLevelChange() throws Exception
    {
        dir = Files.createTempDirectory(Path.of("/tmp"), run + "-");
        final Path socket = dir.resolve("jvs.sock");
        final Path plugin = dir.resolve("plugin.sock");
        daemon = new DaemonProcess(dir, socket, plugin);
        daemon.networkArgs(List.of("--no-host-port", "--no-dns", "--log-format", "json"));
        daemon.start();
        final InProcessCli jvs = InProcessCli.socketBeforeCommand(socket);
        Wait.until(() -> logged("INFO", "DaemonCommand", "listening on " + socket), LOGGED,
            "the start line as a JSON event:\n" + daemon.log());

        // An API refusal: info, with the request and the status.
        final InProcessCli.Result refused = jvs.run("network", "connect", run + "-none", run + "-none");
        assertEquals(1, refused.exit(), refused.err());
        Wait.until(() -> logged("INFO", "JvsApi", "api: POST /networks/" + run + "-none/connect -> 404"), LOGGED,
            "the refusal logged:\n" + daemon.log());

        // Debug is off at info: the plugin's requests are not logged until `jvs log set debug`.
        final PluginClient docker = new PluginClient(plugin);
        docker.ok("Plugin.Activate", "{}");
        assertEquals("io.jvs: info -> debug\n", jvs.ok("log", "set", "debug").out());
        assertTrue(jvs.ok("log").out().matches("(?s)LOGGER +LEVEL\n.*io\\.jvs +debug\n.*"), jvs.ok("log").out());
        docker.ok("NetworkDriver.GetCapabilities", "{}");
        Wait.until(() -> logged("DEBUG", "DockerPluginApi", "docker: NetworkDriver.GetCapabilities {}"), LOGGED,
            "the plugin's request at debug:\n" + daemon.log());
        assertTrue(!daemon.log().contains("Plugin.Activate"), "logged before debug was on:\n" + daemon.log());

        // A refusal Docker would show: warn, with what was refused.
        assertEquals(400, docker.call("NetworkDriver.CreateEndpoint", "{}").status());
        Wait.until(() -> logged("WARN", "DockerPluginApi", "docker: NetworkDriver.CreateEndpoint refused: "), LOGGED,
            "the plugin's refusal at warn:\n" + daemon.log());

        final InProcessCli.Result bad = jvs.run("log", "set", "verbose");
        assertEquals(1, bad.exit());
        assertEquals("jvs: log level \"verbose\" is not one of error, warn, info, debug, trace\n", bad.err());
        for (final JsonNode line : lines())
        {
            assertTrue(line.has("level") && line.has("loggerName") && line.has("timestamp"), line.toString());
        }
    }

    /** Whether a JSON event of that level, from a logger whose name ends with {@code logger}, contains text. */
    private boolean logged(final String level, final String logger, final String text) throws Exception
    {
        for (final JsonNode line : lines())
        {
            if (level.equals(line.path("level").asText()) && line.path("loggerName").asText().endsWith(logger) &&
                line.path("formattedMessage").asText().contains(text))
            {
                return true;
            }
        }
        return false;
    }

    /** Every line of the daemon's stderr, each of which must be a JSON object. */
    private List<JsonNode> lines() throws Exception
    {
        final List<JsonNode> lines = new ArrayList<>();
        for (final String line : daemon.log().split("\n"))
        {
            if (!line.isBlank())
            {
                final JsonNode node;
                try
                {
                    node = json.readTree(line);
                }
                catch (final Exception ex)
                {
                    throw new AssertionError("not a JSON line: " + line, ex);
                }
                lines.add(node);
            }
        }
        return lines;
    }
}
