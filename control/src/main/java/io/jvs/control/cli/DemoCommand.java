package io.jvs.control.cli;

import io.jvs.control.demo.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code jvs demo}. */
@Command(name = "demo", description = "A guided tour: sandboxes pinging by name, iperf3 TCP through jvs, isolation, " +
    "counters. Runs its own daemon on a private socket and cleans up after itself.", mixinStandardHelpOptions = true)
final class DemoCommand implements Callable<Integer>
{
    @Option(names = "--seconds", paramLabel = "N", defaultValue = "3",
        description = "Length of the iperf3 run (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception
    {
        return new Demo(spec.commandLine().getOut(), seconds).run();
    }
}
