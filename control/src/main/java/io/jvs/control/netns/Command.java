package io.jvs.control.netns;

import io.jvs.control.common.JvsException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one external program (an argument array, never a shell line) with a time limit and captures its output.
 * A non-zero exit becomes a {@link JvsException} naming the command and quoting its stderr.
 */
public final class Command
{
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** What a finished program left behind. */
    public record Result(int exitCode, String stdout, String stderr)
    {
        public boolean ok()
        {
            return exitCode == 0;
        }
    }

    private Command()
    {
    }

    /** Runs and insists on exit code 0. @return stdout. */
    public static String run(final String... argv)
    {
        final Result result = exec(DEFAULT_TIMEOUT, argv);
        if (!result.ok())
        {
            throw failure(argv, result);
        }
        return result.stdout();
    }

    /** Runs and returns whatever happened; only a failure to start or a timeout throws. */
    public static Result exec(final Duration timeout, final String... argv)
    {
        final Process process;
        try
        {
            process = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        }
        catch (final IOException ex)
        {
            throw new JvsException(JvsException.Kind.INTERNAL, "cannot run " + argv[0] + ": " + ex.getMessage(), ex);
        }
        try
        {
            process.getOutputStream().close();
            final CompletableFuture<String> stdout = drain(process.getInputStream());
            final CompletableFuture<String> stderr = drain(process.getErrorStream());
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly();
                process.waitFor(1, TimeUnit.SECONDS);
                throw new JvsException(JvsException.Kind.INTERNAL,
                    String.join(" ", argv) + " timed out after " + timeout.toMillis() + " ms");
            }
            return new Result(process.exitValue(), stdout.get(1, TimeUnit.SECONDS), stderr.get(1, TimeUnit.SECONDS));
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new JvsException(JvsException.Kind.INTERNAL, "interrupted while running " + argv[0], ex);
        }
        catch (final IOException | ExecutionException | TimeoutException ex)
        {
            process.destroyForcibly();
            throw new JvsException(JvsException.Kind.INTERNAL, "reading output of " + argv[0] + ": " + ex, ex);
        }
    }

    public static JvsException failure(final String[] argv, final Result result)
    {
        final String detail = result.stderr().isBlank() ? "exit code " + result.exitCode() :
            result.stderr().strip().replace('\n', ' ');
        return new JvsException(JvsException.Kind.INTERNAL, String.join(" ", argv) + ": " + detail);
    }

    public static String[] argv(final List<String> args)
    {
        return args.toArray(new String[0]);
    }

    private static CompletableFuture<String> drain(final InputStream in)
    {
        // A daemon thread per stream keeps a chatty program from blocking on a full pipe.
        final CompletableFuture<String> future = new CompletableFuture<>();
        final Thread thread = new Thread(() ->
        {
            try (in)
            {
                future.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            catch (final IOException ex)
            {
                future.completeExceptionally(new UncheckedIOException(ex));
            }
        }, "jvs-cmd-output");
        thread.setDaemon(true);
        thread.start();
        return future;
    }
}
