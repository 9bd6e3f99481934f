package io.jvs.control.testing;

import io.jvs.control.cli.Main;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jvs CLI run in-process against one daemon socket, its output and exit status captured. {@code --socket} goes
 * before or after the command, as the caller chooses: Main parses the two positions on different paths.
 */
public final class InProcessCli
{
    /** What one CLI invocation printed and returned. */
    public record Result(int exit, String out, String err)
    {
    }

    private final Path socket;
    private final boolean socketFirst;

    private InProcessCli(final Path socket, final boolean socketFirst)
    {
        this.socket = socket;
        this.socketFirst = socketFirst;
    }

    /** {@code jvs --socket PATH COMMAND...}. */
    public static InProcessCli socketBeforeCommand(final Path socket)
    {
        return new InProcessCli(socket, true);
    }

    /** {@code jvs COMMAND... --socket PATH}. */
    public static InProcessCli socketAfterCommand(final Path socket)
    {
        return new InProcessCli(socket, false);
    }

    public Result run(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final List<String> argv = new ArrayList<>();
        if (socketFirst)
        {
            argv.addAll(List.of("--socket", socket.toString()));
        }
        argv.addAll(List.of(args));
        if (!socketFirst)
        {
            argv.addAll(List.of("--socket", socket.toString()));
        }
        final int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), argv.toArray(new String[0]));
        return new Result(exit, out.toString(), err.toString());
    }

    /** Runs and asserts exit status 0. */
    public Result ok(final String... args)
    {
        final Result result = run(args);
        assertEquals(0, result.exit(), "jvs " + String.join(" ", args) + " failed: " + result.err());
        return result;
    }

    /** Runs and asserts a refusal: non-zero exit and exactly one "jvs: " error line containing {@code message}. */
    public void refuse(final String message, final String... args)
    {
        final Result result = run(args);
        assertNotEquals(0, result.exit(), "jvs " + String.join(" ", args) + " was accepted");
        assertTrue(result.err().startsWith("jvs: ") && result.err().contains(message),
            "jvs " + String.join(" ", args) + ": " + result.err());
        assertEquals(1, result.err().lines().count(), "one line: " + result.err());
    }
}
