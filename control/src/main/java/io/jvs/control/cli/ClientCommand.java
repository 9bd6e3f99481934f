package io.jvs.control.cli;

import io.jvs.control.common.JvsException;
import io.jvs.control.api.ApiClient;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
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

    /** One removal by name (network, sandbox) through the API. */
    @FunctionalInterface
    interface Removal
    {
        void remove(String name) throws java.io.IOException;
    }

    /**
     * Removes each name in turn like {@code docker network rm}: prints each removed name, reports each refusal as
     * one "jvs: ..." line and goes on; exit status 1 if any was refused.
     */
    int removeEach(final List<String> names, final Removal removal) throws java.io.IOException
    {
        int status = 0;
        for (final String name : names)
        {
            try
            {
                removal.remove(name);
                out().println(name);
            }
            catch (final JvsException ex)
            {
                err().println("jvs: " + ex.getMessage());
                status = 1;
            }
        }
        out().flush();
        err().flush();
        return status;
    }

    PrintWriter out()
    {
        return spec.commandLine().getOut();
    }

    PrintWriter err()
    {
        return spec.commandLine().getErr();
    }
}
