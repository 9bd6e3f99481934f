package io.jvs.tap;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/** Runs a call on a thread of its own (for per-thread settings such as nice or affinity) and waits up to 5 s. */
final class OnNewThread
{
    private OnNewThread()
    {
    }

    /** @return what the call returned, or what it threw (null if it did not end within 5 s). */
    static Object call(final Callable<Object> call) throws InterruptedException
    {
        final AtomicReference<Object> seen = new AtomicReference<>();
        final Thread thread = new Thread(() ->
        {
            try
            {
                seen.set(call.call());
            }
            catch (final Throwable ex)
            {
                seen.set(ex);
            }
        });
        thread.start();
        thread.join(5_000);
        return seen.get();
    }
}
