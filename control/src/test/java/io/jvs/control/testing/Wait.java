package io.jvs.control.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

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

    /** As {@link #until}, for a condition that throws nothing; usable where checked exceptions are not. */
    public static void waitFor(final BooleanSupplier condition, final Duration timeout, final String what)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for: " + what);
            }
            try
            {
                Thread.sleep(100);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new AssertionError(ex);
            }
        }
    }

    /**
     * Asks {@code probe} every 100 ms until it answers something not blank or {@code timeout} passes (a probe that
     * runs over the deadline finishes first). @return its last answer, blank if it never answered: the caller's
     * assertion says what was expected.
     */
    public static String firstAnswer(final Supplier<String> probe, final Duration timeout)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        String answer = probe.get();
        while (answer.isBlank() && System.nanoTime() - deadline < 0)
        {
            try
            {
                Thread.sleep(100);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return answer;
            }
            answer = probe.get();
        }
        return answer;
    }
}
