package io.jvs.tap;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

import static io.jvs.tap.Native.LIBC;

/**
 * Runs a task inside a network namespace: on a fresh thread that setns(2)s into it, runs the task and ends. Sockets
 * belong to the namespace they were created in, so a socket opened by the task keeps serving that namespace from
 * any thread afterwards. The thread is thrown away rather than returned to a pool, since it can no longer be trusted
 * to be in the host's namespace.
 */
public final class NetworkNamespace
{
    /** sched.h: the network namespace type for setns(2). */
    static final int CLONE_NEWNET = 0x4000_0000;
    /** fcntl.h */
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x8_0000;
    private static final long JOIN_TIMEOUT_MS = 10_000;

    private NetworkNamespace()
    {
    }

    /** {@code ip netns}'s file for a named namespace. */
    public static Path named(final String name)
    {
        return Path.of("/run/netns", name);
    }

    /**
     * Calls {@code task} inside the namespace of {@code namespaceFile} (e.g. /run/netns/NAME or /proc/PID/ns/net).
     *
     * @throws NativeException when the namespace cannot be entered; the task's own exception is rethrown as it is
     *                         (checked ones wrapped in a RuntimeException).
     */
    public static <T> T call(final Path namespaceFile, final Callable<T> task)
    {
        final AtomicReference<T> result = new AtomicReference<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread = new Thread(() ->
        {
            final int fd = LIBC.open(namespaceFile.toString(), O_RDONLY | O_CLOEXEC);
            if (fd < 0)
            {
                failure.set(Native.failure("open", namespaceFile.toString()));
                return;
            }
            try
            {
                if (LIBC.setns(fd, CLONE_NEWNET) != 0)
                {
                    failure.set(Native.failure("setns", namespaceFile.toString()));
                    return;
                }
                result.set(task.call());
            }
            catch (final Throwable ex)
            {
                failure.set(ex);
            }
            finally
            {
                LIBC.close(fd);
            }
        }, "jvs-netns-" + namespaceFile.getFileName());
        thread.setDaemon(true);
        thread.start();
        try
        {
            thread.join(JOIN_TIMEOUT_MS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while working in " + namespaceFile, ex);
        }
        if (thread.isAlive())
        {
            throw new IllegalStateException("no answer in " + JOIN_TIMEOUT_MS + " ms from a task in " + namespaceFile);
        }
        final Throwable ex = failure.get();
        if (ex instanceof RuntimeException runtime)
        {
            throw runtime;
        }
        if (ex instanceof Error error)
        {
            throw error;
        }
        if (ex != null)
        {
            throw new RuntimeException(ex);
        }
        return result.get();
    }
}
