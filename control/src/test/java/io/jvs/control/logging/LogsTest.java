package io.jvs.control.logging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.common.JvsException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon's logging: levels, runtime changes, JSON lines, and the libraries' loggers routed into it. */
class LogsTest
{
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final PrintStream stderr = System.err;

    @AfterEach
    void restore()
    {
        System.setErr(stderr);
        Logs.configure("info", Logs.Format.text);
    }

    @Test
    void jsonLinesCarryLevelLoggerMessageAndTheCause() throws Exception
    {
        configure("info", Logs.Format.json);
        LoggerFactory.getLogger("io.jvs.test").warn("refused {}", "x", new IllegalStateException("root cause"));
        LoggerFactory.getLogger("io.jvs.test").debug("not at info");
        final List<JsonNode> lines = jsonLines();
        assertEquals(1, lines.size(), captured.toString(StandardCharsets.UTF_8));
        final JsonNode line = lines.get(0);
        assertEquals("WARN", line.path("level").asText());
        assertEquals("io.jvs.test", line.path("loggerName").asText());
        assertEquals("refused x", line.path("formattedMessage").asText());
        assertTrue(line.toString().contains("root cause"), "the throwable is in the event: " + line);
    }

    @Test
    void aRuntimeChangeTakesEffectAndIsReportedWithThePreviousLevel()
    {
        configure("info", Logs.Format.text);
        final org.slf4j.Logger log = LoggerFactory.getLogger("io.jvs.control.api.JvsApi");
        log.debug("before");
        assertEquals("info", Logs.set(null, "debug"));
        log.debug("after");
        assertEquals("debug", Logs.levels().get(Logs.JVS));
        final String text = captured.toString(StandardCharsets.UTF_8);
        assertFalse(text.contains("before"), text);
        assertTrue(text.contains("DEBUG [") && text.contains("io.jvs.control.api.JvsApi: after"), text);
    }

    @Test
    void librariesLogAtWarnAndTheirJulAndSystemLoggersArriveHere()
    {
        configure("debug", Logs.Format.text);
        java.util.logging.Logger.getLogger("io.grpc.obs").info("grpc info: below warn");
        java.util.logging.Logger.getLogger("io.grpc.obs").warning("grpc warning through JUL");
        System.getLogger("io.jvs.dataplane.Switch").log(System.Logger.Level.ERROR, "agent error through System.Logger");
        LoggerFactory.getLogger("org.eclipse.jetty.obs").info("jetty info: below warn");
        final String text = captured.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("WARN  [") && text.contains("grpc warning through JUL"), text);
        assertTrue(text.contains("ERROR [") && text.contains("agent error through System.Logger"), text);
        assertFalse(text.contains("below warn"), text);
    }

    @Test
    void anUnknownLevelIsRefusedWithTheChoices()
    {
        final JvsException ex = assertThrows(JvsException.class, () -> Logs.set(null, "verbose"));
        assertEquals("log level \"verbose\" is not one of error, warn, info, debug, trace", ex.getMessage());
        assertEquals(JvsException.Kind.INVALID, ex.kind());
    }

    private void configure(final String level, final Logs.Format format)
    {
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        Logs.configure(level, format);
    }

    private List<JsonNode> jsonLines() throws Exception
    {
        final List<JsonNode> lines = new ArrayList<>();
        for (final String line : captured.toString(StandardCharsets.UTF_8).split("\n"))
        {
            if (!line.isBlank())
            {
                lines.add(new ObjectMapper().readTree(line));
            }
        }
        return lines;
    }
}
