package io.jvs.control.testing;

import io.jvs.control.netns.Command;

import java.time.Duration;
import java.util.List;

/**
 * {@code nc -k -l PORT} in a network namespace, accepting any number of connections until closed: the far end of a
 * TCP reachability probe. Returns once the port is listening, so a refused or silent probe means the path, not a
 * listener still starting.
 */
public final class TcpListener implements AutoCloseable
{
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Process process;

    public TcpListener(final String ns, final int port) throws Exception
    {
        process = new ProcessBuilder("ip", "netns", "exec", ns, "nc", "-4", "-k", "-l", String.valueOf(port))
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try
        {
            Wait.until(() -> !process.isAlive() || !Command.exec(TIMEOUT, "ip", "netns", "exec", ns, "ss", "-Hltn",
                "sport = :" + port).stdout().isBlank(), TIMEOUT, "nc listening on " + port + " in " + ns);
            if (!process.isAlive())
            {
                throw new AssertionError("nc -l " + port + " in " + ns + " exited: " + process.exitValue());
            }
        }
        catch (final Exception | AssertionError ex)
        {
            close();
            throw ex;
        }
    }

    /** Still listening (a probe that failed did not fail for want of a listener). */
    public boolean alive()
    {
        return process.isAlive();
    }

    @Override
    public void close()
    {
        BackgroundProcesses.destroyWithDescendants(List.of(process));
    }
}
