package io.jvs.control.cli;

import io.jvs.control.common.JvsException;
import io.jvs.control.api.UnixHttpClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code jvs}: the daemon and a CLI mirroring {@code docker network}. */
@Command(
    name = "jvs",
    mixinStandardHelpOptions = true,
    version = "jvs 0.1.0",
    description = "A userspace virtual switch for container networking.",
    subcommands = {
        DaemonCommand.class,
        NetworkCommand.class,
        SandboxCommand.class,
        StatsCommand.class,
        MacCommand.class,
        OverlayCommand.class,
        NatCommand.class,
        DemoCommand.class,
        CommandLine.HelpCommand.class
    })
public final class Main
{
    /** {@code jvs --socket PATH COMMAND}, like {@code docker -H}; a --socket after the command wins. */
    @picocli.CommandLine.Option(names = "--socket", paramLabel = "PATH",
        description = "Daemon API socket (default: $JVS_SOCKET or /run/jvs/jvs.sock).")
    java.nio.file.Path socket;

    public static void main(final String[] args)
    {
        System.exit(run(args));
    }

    /** Runs one command line; @return the exit code. */
    public static int run(final String... args)
    {
        final CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(Main::handleError);
        return cli.execute(args);
    }

    /** Runs one command line with its output going to the given writers (for tests and embedding). */
    public static int run(final PrintWriter out, final PrintWriter err, final String... args)
    {
        final CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(Main::handleError);
        return cli.execute(args);
    }

    /** Every refusal is one line on stderr and exit code 1; programming errors keep their stack trace. */
    private static int handleError(final Exception ex, final CommandLine cli, final CommandLine.ParseResult parsed)
    {
        final PrintWriter err = cli.getErr();
        if (ex instanceof UnixHttpClient.UnreachableException)
        {
            final String socket = findSocket(cli);
            err.println("jvs: cannot reach the daemon at " + socket + " (is `jvs daemon` running?)");
        }
        else if (ex instanceof JvsException || ex instanceof java.io.IOException)
        {
            err.println("jvs: " + ex.getMessage());
        }
        else
        {
            err.println("jvs: internal error: " + ex);
            ex.printStackTrace(err);
        }
        err.flush();
        return 1;
    }

    private static String findSocket(final CommandLine cli)
    {
        final Object command = cli.getCommand();
        if (command instanceof ClientCommand client)
        {
            return client.socketPath().toString();
        }
        return SocketOption.defaultSocket().toString();
    }
}
