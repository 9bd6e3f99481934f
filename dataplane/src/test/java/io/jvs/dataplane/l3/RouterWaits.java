package io.jvs.dataplane.l3;

import io.jvs.dataplane.Routing;
import io.jvs.dataplane.testing.MemoryPort;

import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Bounded waits of the router tests: for a frame a port sent, a counter, a tool's "ready" line. */
final class RouterWaits
{
    static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private RouterWaits()
    {
    }

    /** Waits for the first sent frame matching; frames before it are discarded. */
    static byte[] next(final MemoryPort port, final Predicate<byte[]> match)
    {
        final long deadline = System.nanoTime() + WAIT_NANOS;
        while (System.nanoTime() < deadline)
        {
            final byte[] f = port.sent().poll();
            if (null == f)
            {
                Thread.onSpinWait();
                continue;
            }
            if (match.test(f))
            {
                return f;
            }
        }
        fail("no matching frame on " + port.name());
        return null;
    }

    static void awaitCounter(final Routing routing, final RouterCounter counter, final long atLeast)
    {
        final long deadline = System.nanoTime() + WAIT_NANOS;
        while (routing.routerCounters().get(counter) < atLeast)
        {
            if (System.nanoTime() > deadline)
            {
                fail(counter.label() + " = " + routing.routerCounters().get(counter) + ", expected >= " + atLeast +
                    "; all: " + routing.counters());
            }
            Thread.onSpinWait();
        }
    }

    /** Waits (bounded) until the process has printed {@code text}: tcpdump takes a while to start capturing. */
    static void awaitOutput(final Process process, final String text, final int seconds) throws Exception
    {
        final StringBuilder seen = new StringBuilder();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (seen.indexOf(text) < 0)
        {
            assertTrue(process.isAlive() && System.nanoTime() < deadline, "no '" + text + "' yet: " + seen);
            final int available = process.getInputStream().available();
            if (available > 0)
            {
                seen.append(new String(process.getInputStream().readNBytes(available)));
            }
            else
            {
                Thread.sleep(50);
            }
        }
    }
}
