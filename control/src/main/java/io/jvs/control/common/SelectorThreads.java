package io.jvs.control.common;

import java.nio.channels.Selector;

/** Stopping the control plane's selector threads (the loopback proxy, the sandboxes' DNS) the same way. */
public final class SelectorThreads
{
    private SelectorThreads()
    {
    }

    /**
     * Wakes {@code selector} so its thread sees its stop flag (already cleared by the caller), then waits for the
     * thread to finish closing its channels, at most {@code timeoutMs}.
     */
    public static void wakeAndJoin(final Selector selector, final Thread thread, final long timeoutMs)
    {
        selector.wakeup();
        try
        {
            thread.join(timeoutMs);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
