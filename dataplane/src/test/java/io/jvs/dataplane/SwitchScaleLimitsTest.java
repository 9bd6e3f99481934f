package io.jvs.dataplane;

import io.jvs.dataplane.engine.SwitchCounters;
import io.jvs.dataplane.testing.FdPort;
import io.jvs.dataplane.testing.MemoryPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A switch at its port limit, and an idle switch's answer to commands (default config: one shared thread). */
class SwitchScaleLimitsTest
{
    private final Switch sw = Switch.start(SwitchConfig.defaults());
    private final List<AutoCloseable> owned = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception
    {
        sw.close();
        for (final AutoCloseable c : owned)
        {
            c.close();
        }
    }

    @Test
    void onePortMoreThanTheMaximumIsAClearErrorAndChangesNothing()
    {
        final int bd = sw.createBridgeDomain("full");
        final int max = SwitchCounters.MAX_PORTS - 1; // ids 1..MAX_PORTS-1
        int lastId = 0;
        for (int i = 0; i < max; i++)
        {
            lastId = sw.addPort(new MemoryPort("m" + i), bd);
        }
        assertEquals(max, sw.portStats().size());

        final MemoryPort extra = new MemoryPort("extra");
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> sw.addPort(extra, bd));
        assertTrue(ex.getMessage().contains("at most " + max + " ports"), ex.getMessage());
        assertEquals(max, sw.portStats().size(), "nothing half-made");
        assertFalse(extra.isClosed(), "a refused port stays the caller's");

        sw.removePort(lastId);
        final int id = sw.addPort(extra, bd);
        assertTrue(id > 0 && id < SwitchCounters.MAX_PORTS);
        assertEquals(max, sw.portStats().size());
    }

    @Test
    void anIdleSwitchServesReceiveAndForwardingCommandsAtOnce() throws Exception
    {
        final int bd = sw.createBridgeDomain("idle");
        final FdPort port = new FdPort("fd1");
        sw.addPort(port, bd);

        final int calls = 9;
        final long[] micros = new long[calls];
        for (int i = 0; i < calls; i++)
        {
            // Longer than the idle sleep's timeout: the thread is asleep in epoll_wait when the commands come.
            Thread.sleep(150);
            final FdPort other = new FdPort("fd-" + i);
            owned.add(other);
            final long start = System.nanoTime();
            final int id = sw.addPort(other, bd); // a forwarding command, then a receive command
            sw.removePort(id);                    // a receive command, then a forwarding command
            micros[i] = (System.nanoTime() - start) / 1000;
        }
        Arrays.sort(micros);
        assertTrue(micros[calls / 2] < TimeUnit.MILLISECONDS.toMicros(20),
            "add + remove port on an idle switch, median " + micros[calls / 2] + " us: " + Arrays.toString(micros));
    }
}
