package io.jvs.control.cli;

import io.jvs.control.daemon.Daemon;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --socket PATH}, defaulting to $JVS_SOCKET or /run/jvs/jvs.sock. */
public final class SocketOption
{
    @Option(names = "--socket", paramLabel = "PATH",
        description = "Daemon API socket (default: $JVS_SOCKET or /run/jvs/jvs.sock).")
    Path socket;

    public Path path()
    {
        return socket != null ? socket : defaultSocket();
    }

    /** This option if given, else {@code jvs --socket} given before the command, else the default. */
    Path resolve(final picocli.CommandLine.Model.CommandSpec spec)
    {
        if (socket != null)
        {
            return socket;
        }
        if (spec.root().userObject() instanceof Main main && main.socket != null)
        {
            return main.socket;
        }
        return defaultSocket();
    }

    static Path defaultSocket()
    {
        final String env = System.getenv("JVS_SOCKET");
        return env != null && !env.isEmpty() ? Path.of(env) : Daemon.Config.DEFAULT_SOCKET;
    }
}
