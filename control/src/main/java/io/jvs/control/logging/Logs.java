package io.jvs.control.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.jvs.control.common.JvsException;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The daemon's one logging setup (SLF4J + logback, on stderr): jvs's own loggers ({@code io.jvs}) at the level asked,
 * every library at WARN unless set otherwise ({@code jvs log set LEVEL LOGGER}); java.util.logging (grpc under
 * jetcd) is bridged in, with its levels kept in step so a disabled level costs grpc nothing; the JDK's System.Logger
 * (the switch's agent errors) arrives through slf4j-jdk-platform-logging. Nothing on the packet path logs.
 */
public final class Logs
{
    /** jvs's own loggers; {@code --log-level} and {@code jvs log set LEVEL} set this one. */
    public static final String JVS = "io.jvs";
    public static final String ROOT = org.slf4j.Logger.ROOT_LOGGER_NAME;
    public static final String LEVELS = "error|warn|info|debug|trace";
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z',UTC} %-5level [%thread] %logger{36}: %msg%n";

    /** Text lines or JSON lines (logback's JsonEncoder: one object per event, with the throwable and its causes). */
    public enum Format
    {
        text, json
    }

    private Logs()
    {
    }

    /** Replaces the default configuration (logback.xml) with the daemon's. */
    public static void configure(final String level, final Format format)
    {
        final Level jvsLevel = parse(level);
        final LoggerContext context = context();
        context.reset();
        final LevelChangePropagator propagator = new LevelChangePropagator();
        propagator.setContext(context);
        propagator.setResetJUL(true);
        propagator.start();
        context.addListener(propagator);
        final ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName("stderr");
        appender.setTarget("System.err");
        appender.setEncoder(encoder(context, format));
        appender.start();
        final Logger root = context.getLogger(ROOT);
        root.setLevel(Level.WARN);
        root.addAppender(appender);
        context.getLogger(JVS).setLevel(jvsLevel);
        if (!SLF4JBridgeHandler.isInstalled())
        {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    /** Sets {@code logger}'s level at runtime ({@code ROOT} for every logger without its own). @return the old one. */
    public static String set(final String logger, final String level)
    {
        final Level newLevel = parse(level);
        final Logger target = context().getLogger(logger == null || logger.isEmpty() ? JVS : logger);
        final Level old = target.getEffectiveLevel();
        target.setLevel(newLevel);
        return old.toString().toLowerCase(Locale.ROOT);
    }

    /** Loggers with a level of their own, by name. */
    public static Map<String, String> levels()
    {
        final Map<String, String> levels = new TreeMap<>();
        for (final Logger logger : context().getLoggerList())
        {
            if (logger.getLevel() != null)
            {
                levels.put(logger.getName(), logger.getLevel().toString().toLowerCase(Locale.ROOT));
            }
        }
        return levels;
    }

    /** @throws JvsException (invalid) for anything but error, warn, info, debug or trace. */
    static Level parse(final String level)
    {
        if (level == null)
        {
            throw JvsException.invalid("a log level is needed: " + LEVELS.replace("|", ", "));
        }
        final String name = level.toLowerCase(Locale.ROOT);
        if (!name.matches(LEVELS))
        {
            throw JvsException.invalid("log level \"" + level + "\" is not one of " + LEVELS.replace("|", ", "));
        }
        return Level.toLevel(name);
    }

    private static Encoder<ILoggingEvent> encoder(final LoggerContext context, final Format format)
    {
        if (format == Format.json)
        {
            final JsonEncoder json = new JsonEncoder();
            json.setContext(context);
            json.setWithFormattedMessage(true); // the message as text, beside its template and arguments
            json.start();
            return json;
        }
        final PatternLayoutEncoder text = new PatternLayoutEncoder();
        text.setContext(context);
        text.setPattern(PATTERN);
        text.start();
        return text;
    }

    private static LoggerContext context()
    {
        return (LoggerContext)LoggerFactory.getILoggerFactory();
    }
}
