package io.jvs.control.common;

import java.util.List;

/**
 * Runs clean-up and undo steps so that one failing step neither hides the failure that caused the clean-up nor stops
 * the steps after it (the shape of Agrona's {@code CloseHelper}): failures are kept as suppressed exceptions.
 */
public final class Failures
{
    private Failures()
    {
    }

    /**
     * Runs {@code undo}; if it throws, the exception is added to {@code primary} as suppressed (dropped when
     * {@code primary} is null: the caller has nothing to report it with).
     */
    public static void runQuietly(final Runnable undo, final RuntimeException primary)
    {
        try
        {
            undo.run();
        }
        catch (final RuntimeException ex)
        {
            if (primary != null)
            {
                primary.addSuppressed(ex);
            }
        }
    }

    /** Runs every step, in order, whatever the others do; throws the first failure with the rest suppressed. */
    public static void runAll(final List<Runnable> steps)
    {
        RuntimeException failure = null;
        for (final Runnable step : steps)
        {
            try
            {
                step.run();
            }
            catch (final RuntimeException ex)
            {
                failure = collect(failure, ex);
            }
        }
        if (failure != null)
        {
            throw failure;
        }
    }

    /** {@code failure} with {@code ex} added as suppressed, or {@code ex} when there was no failure yet. */
    public static RuntimeException collect(final RuntimeException failure, final RuntimeException ex)
    {
        if (failure == null)
        {
            return ex;
        }
        failure.addSuppressed(ex);
        return failure;
    }
}
