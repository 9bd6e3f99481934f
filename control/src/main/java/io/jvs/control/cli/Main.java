package io.jvs.control.cli;

import io.jvs.control.common.JvsException;
import io.jvs.control.common.JvsVersion;
import io.jvs.control.api.UnixHttpClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** {@code jvs}: the daemon and a CLI mirroring {@code docker network}. */
@Command(
    name = "jvs",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "A userspace virtual switch for container networking.")
public final class Main
{
    /**
     * The subcommands by name. picocli builds a command's whole model by reflection when it is added, ~160 ms for all
     * of them on C1: a command line that names one gets only that one (help and errors get all of them).
     */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

    static
    {
        SUBCOMMANDS.put("daemon", DaemonCommand::new);
        SUBCOMMANDS.put("network", NetworkCommand::new);
        SUBCOMMANDS.put("sandbox", SandboxCommand::new);
        SUBCOMMANDS.put("stats", StatsCommand::new);
        SUBCOMMANDS.put("mac", MacCommand::new);
        SUBCOMMANDS.put("overlay", OverlayCommand::new);
        SUBCOMMANDS.put("nat", NatCommand::new);
        SUBCOMMANDS.put("log", LogCommand::new);
        SUBCOMMANDS.put("demo", DemoCommand::new);
        SUBCOMMANDS.put("help", CommandLine.HelpCommand::new);
    }

    /** {@code jvs --socket PATH COMMAND}, like {@code docker -H}; a --socket after the command wins. */
    @picocli.CommandLine.Option(names = "--socket", paramLabel = "PATH",
        description = "Daemon API socket (default: $JVS_SOCKET or /run/jvs/jvs.sock).")
    java.nio.file.Path socket;

    /** {@code jvs --version}: the pom's version, as GET /version and the package report it. */
    static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            return new String[] {"jvs " + JvsVersion.version()};
        }
    }

    public static void main(final String[] args)
    {
        System.exit(run(args));
    }

    /** Runs one command line; @return the exit code. */
    public static int run(final String... args)
    {
        final CommandLine cli = commandLine(args);
        cli.setExecutionExceptionHandler(Main::handleError);
        return cli.execute(args);
    }

    /** Runs one command line with its output going to the given writers (for tests and embedding). */
    public static int run(final PrintWriter out, final PrintWriter err, final String... args)
    {
        final CommandLine cli = commandLine(args);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(Main::handleError);
        return cli.execute(args);
    }

    /** The top-level command with the subcommand {@code args} names, or with all of them when it names none. */
    static CommandLine commandLine(final String... args)
    {
        final CommandLine cli = new CommandLine(new Main());
        final String named = subcommandName(args);
        if (named != null && !"help".equals(named))
        {
            cli.addSubcommand(named, SUBCOMMANDS.get(named).get());
            if ("daemon".equals(named))
            {
                DaemonCommand.useConfigFile(cli.getSubcommands().get(named), args);
            }
        }
        else
        {
            SUBCOMMANDS.forEach((name, command) -> cli.addSubcommand(name, command.get()));
        }
        return cli;
    }

    /** The first argument that is not a top-level option (or its value), if it names a subcommand; else null. */
    private static String subcommandName(final String... args)
    {
        for (int i = 0; i < args.length; i++)
        {
            final String arg = args[i];
            if ("--socket".equals(arg))
            {
                i++; // its value
            }
            else if (!arg.startsWith("-"))
            {
                return SUBCOMMANDS.containsKey(arg) ? arg : null;
            }
        }
        return null;
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
