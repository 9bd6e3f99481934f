package io.jvs.control.cli;

import io.jvs.control.common.JvsException;
import io.jvs.control.logging.Logs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** {@code jvs daemon --log-level LEVEL --log-format text|json}, applied before anything else starts. */
final class DaemonLogging
{
    private static final Logger LOG = LoggerFactory.getLogger(DaemonCommand.class);
    private static final String PREFIX = "jvs: ";

    private DaemonLogging()
    {
    }

    /**
     * A line for the daemon's user (listening, restored, shutting down): plain on stderr as before, or a log event
     * with {@code --log-format json}, so stderr stays one JSON object per line.
     */
    static void say(final Logs.Format format, final String line)
    {
        if (format == Logs.Format.json)
        {
            LOG.info(line.startsWith(PREFIX) ? line.substring(PREFIX.length()) : line);
        }
        else
        {
            System.err.println(line);
        }
    }

    static void configure(final CommandLine.Model.CommandSpec spec, final String level, final Logs.Format format)
    {
        try
        {
            Logs.configure(level, format);
        }
        catch (final JvsException ex)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "bad --log-level: " + ex.getMessage());
        }
    }
}
