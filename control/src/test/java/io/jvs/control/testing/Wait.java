package io.jvs.control.testing;

import java.time.Duration;

/** Polls a condition every 100 ms until it holds or a deadline passes. */
public final class Wait
{
    /** A condition that may throw while it is checked. */
    public interface Check
    {
        boolean holds() throws Exception;
    }

    private Wait()
    {
    }

    /** Returns once {@code check} holds; throws {@link AssertionError} naming {@code what} after {@code timeout}. */
    public static void until(final Check check, final Duration timeout, final String what) throws Exception
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.holds())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("timed out: " + what);
            }
            Thread.sleep(100);
        }
    }
}
