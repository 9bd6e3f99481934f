package io.jvs.vxlan;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs commands for tests: bounded in time, output captured, failures named. */
final class Sh
{
    private static final long DEFAULT_TIMEOUT_SECONDS = 30;

    private Sh()
    {
    }

    /** Runs and returns stdout+stderr; throws if the exit code is not 0. */
    static String run(final String... command)
    {
        final Result result = exec(DEFAULT_TIMEOUT_SECONDS, command);
        if (result.exitCode != 0)
        {
            throw new IllegalStateException(String.join(" ", command) + " -> exit " + result.exitCode +
                "\n" + result.output);
        }
        return result.output;
    }

    /** Runs and returns the result whatever the exit code (cleanup, expected failures). */
    static Result exec(final long timeoutSeconds, final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final byte[][] out = new byte[1][];
            final Thread reader = new Thread(() -> out[0] = readAll(process.getInputStream()));
            reader.start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                reader.join(5000);
                return new Result(-1, "timed out after " + timeoutSeconds + " s: " + String.join(" ", command));
            }
            reader.join(5000);
            return new Result(process.exitValue(), out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(String.join(" ", command), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", command), ex);
        }
    }

    /** Starts a background process; the caller stops it by its PID ({@link #stop}). */
    static Process start(final List<String> command)
    {
        try
        {
            return new ProcessBuilder(command).redirectErrorStream(true).start();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(String.join(" ", command), ex);
        }
    }

    /** Kills exactly this process and the children it started (by PID), and waits for it. */
    static void stop(final Process process)
    {
        if (process == null)
        {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try
        {
            if (!process.waitFor(5, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    static String output(final Process process)
    {
        return new String(readAll(process.getInputStream()), StandardCharsets.UTF_8);
    }

    private static byte[] readAll(final InputStream in)
    {
        try
        {
            return in.readAllBytes();
        }
        catch (final IOException ex)
        {
            return ("<read failed: " + ex + ">").getBytes(StandardCharsets.UTF_8);
        }
    }

    record Result(int exitCode, String output)
    {
    }
}
