package io.jvs.control.cli;

import io.jvs.control.api.ApiClient;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** A CLI command that talks to the daemon. */
abstract class ClientCommand implements Callable<Integer>
{
    @Mixin
    SocketOption socket;

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() throws Exception
    {
        return run(new ApiClient(socketPath()));
    }

    /** --socket given after the command, else before it (on {@code jvs} itself), else the default. */
    java.nio.file.Path socketPath()
    {
        return socket.resolve(spec);
    }

    abstract int run(ApiClient api) throws Exception;

    PrintWriter out()
    {
        return spec.commandLine().getOut();
    }

    PrintWriter err()
    {
        return spec.commandLine().getErr();
    }
}
