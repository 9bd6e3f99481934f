package io.jvs.dataplane.engine;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdleStrategiesTest
{
    @Test
    void pollTakesAnOptionalSpinWindow()
    {
        assertEquals(PollIdleStrategy.DEFAULT_SPIN_NANOS,
            ((PollIdleStrategy)IdleStrategies.create("poll", true)).spinNanos());
        assertEquals(TimeUnit.MICROSECONDS.toNanos(200),
            ((PollIdleStrategy)IdleStrategies.create("poll:200", true)).spinNanos());
        assertEquals(0, ((PollIdleStrategy)IdleStrategies.create("poll:0", true)).spinNanos());
        assertInstanceOf(BackoffIdleStrategy.class, IdleStrategies.create("poll:200", false));
    }

    @Test
    void badNamesAreRefusedWithTheName()
    {
        for (final String bad : new String[]{"poll:", "poll:-1", "poll:x", "poll:2000000", "spin", "POLL"})
        {
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> IdleStrategies.validate(bad), bad);
            assertTrue(ex.getMessage().contains(bad), ex.getMessage());
        }
    }

    @Test
    void spinsForTheWindowThenStopsSpinning()
    {
        final PollIdleStrategy idle = new PollIdleStrategy(TimeUnit.MILLISECONDS.toNanos(20));
        final long start = System.nanoTime();
        idle.idle(0);
        // Within the window no poll happens however often idle() is called.
        for (int i = 0; i < 1000; i++)
        {
            idle.idle(0);
        }
        if (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(15))
        {
            assertEquals(0, idle.polls());
        }
        idle.close();
    }
}
