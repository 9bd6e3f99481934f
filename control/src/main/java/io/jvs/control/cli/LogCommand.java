package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvs.control.api.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.Iterator;
import java.util.Map;

/** {@code jvs log}: the daemon's log levels; {@code jvs log set LEVEL [LOGGER]} changes one while it runs. */
@Command(name = "log", description = "Show the daemon's log levels (loggers with a level of their own).",
    mixinStandardHelpOptions = true, subcommands = LogCommand.Set.class)
final class LogCommand extends ClientCommand
{
    int run(final ApiClient api) throws Exception
    {
        final Table table = new Table("LOGGER", "LEVEL");
        final Iterator<Map.Entry<String, JsonNode>> levels = api.logLevels().path("Levels").fields();
        while (levels.hasNext())
        {
            final Map.Entry<String, JsonNode> level = levels.next();
            table.row(level.getKey(), level.getValue().asText());
        }
        table.print(out());
        return 0;
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
        description = "Set a log level of the running daemon: jvs's own loggers (io.jvs), or LOGGER " +
            "(a logger or package name, ROOT for every logger without its own level).")
    static final class Set extends ClientCommand
    {
        @Parameters(index = "0", paramLabel = "LEVEL", description = "error, warn, info, debug or trace.")
        String level;

        @Parameters(index = "1", arity = "0..1", paramLabel = "LOGGER", description = "Default: io.jvs.")
        String logger;

        int run(final ApiClient api) throws Exception
        {
            final JsonNode set = api.setLogLevel(level, logger);
            out().println(set.path("Logger").asText() + ": " + set.path("Previous").asText() + " -> " +
                set.path("Level").asText());
            out().flush();
            return 0;
        }
    }
}
