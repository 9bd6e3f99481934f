package io.jvs.dataplane;

import io.jvs.dataplane.engine.ForwardingAgent;
import io.jvs.dataplane.engine.ReceiveAgent;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.tap.ThreadAffinity;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SwitchCpusTest
{
    @Test
    void autoBindsToTheLastCpusAndLeavesTheFirstToTheHost()
    {
        assertArrayEquals(new int[] {1}, SwitchCpus.resolve("auto", 1, new int[] {0, 1}));
        assertArrayEquals(new int[0], SwitchCpus.resolve("auto", 2, new int[] {0, 1}), "no CPU of its own for each");
        assertArrayEquals(new int[] {7, 5}, SwitchCpus.resolve("auto", 2, new int[] {2, 5, 7}));
        assertArrayEquals(new int[] {3, 2}, SwitchCpus.resolve("auto", 2, new int[] {0, 1, 2, 3}));
        assertArrayEquals(new int[0], SwitchCpus.resolve("auto", 1, new int[] {4}), "one CPU: nothing to leave");
        assertArrayEquals(new int[0], SwitchCpus.resolve("none", 2, new int[] {0, 1, 2, 3}));
    }

    @Test
    void aListGivesThreadIItsIthCpuRoundRobin()
    {
        assertArrayEquals(new int[] {2, 3}, SwitchCpus.resolve("3,2", 2, new int[] {0, 1, 2, 3}));
        assertArrayEquals(new int[] {1, 2}, SwitchCpus.resolve("1-3", 2, new int[] {0, 1, 2, 3}));
        assertArrayEquals(new int[] {0, 0}, SwitchCpus.resolve("0", 2, new int[] {0, 1}));
    }

    @Test
    void malformedListsAndCpusOutsideTheAllowedSetAreRefusedWithTheReason()
    {
        for (final String bad : new String[] {"", "x", "1-", "-1", "3-1", "1,,2", "1-2-3", "9999", "+1", "auto,1"})
        {
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> SwitchCpus.validate(bad), bad);
            assertTrue(ex.getMessage().contains("expected auto, none or a CPU list"), ex.getMessage());
        }
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> SwitchCpus.resolve("1,4", 1, new int[] {0, 1, 2, 3}));
        assertEquals("CPU 4 is not one this process may run on (allowed: 0-3)", ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SwitchCpus.validate(null));
    }

    @Test
    void formatsRuns()
    {
        assertEquals("0-3,6,8-9", SwitchCpus.format(new int[] {0, 1, 2, 3, 6, 8, 9}));
        assertEquals("5", SwitchCpus.format(new int[] {5}));
        assertEquals("", SwitchCpus.format(new int[0]));
    }

    @Test
    void startedSwitchThreadsRunWhereTheSpecPutsThem() throws Exception
    {
        final int[] allowed = ThreadAffinity.allowedCpus();
        final int last = allowed[allowed.length - 1];
        final SwitchConfig d = SwitchConfig.defaults();
        for (final SwitchConfig.ThreadingMode mode : SwitchConfig.ThreadingMode.values())
        {
            final SwitchConfig config = new SwitchConfig(mode, d.idleStrategy(), 1 << 20, d.batchSize(), 1024,
                d.macAgingNanos(), 0, 0, d.portRxSlots(), Integer.toString(last), 1);
            try (Switch sw = Switch.start(config, NatConfig.defaults()))
            {
                final int threads = mode == SwitchConfig.ThreadingMode.SHARED ? 1 : 2;
                assertEquals(threads, sw.threadCpus().length);
                final List<String> seen = awaitSwitchThreads(threads);
                for (final String cpus : seen)
                {
                    assertEquals(Integer.toString(last), cpus, mode + ": " + seen);
                }
            }
        }
        try (Switch sw = Switch.start(SwitchConfig.defaults(), NatConfig.defaults()))
        {
            assertArrayEquals(SwitchCpus.resolve("auto", 1, allowed), sw.threadCpus(), "the default is auto");
        }
    }

    /** Thread names of the switch agents (shared, or receive and forwarding). */
    private static final List<String> SWITCH_THREADS =
        List.of(Switch.SHARED_THREAD_NAME, ReceiveAgent.ROLE_NAME, ForwardingAgent.ROLE_NAME);

    /** Cpus_allowed_list of this JVM's switch threads (test classes run one after another in one JVM). */
    private static List<String> awaitSwitchThreads(final int count) throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        List<String> cpus = List.of();
        while (System.nanoTime() < deadline)
        {
            cpus = new ArrayList<>();
            try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task")))
            {
                for (final Path task : tasks.toList())
                {
                    if (SWITCH_THREADS.contains(Files.readString(task.resolve("comm")).trim()))
                    {
                        for (final String line : Files.readAllLines(task.resolve("status")))
                        {
                            if (line.startsWith("Cpus_allowed_list:"))
                            {
                                cpus.add(line.substring(line.indexOf(':') + 1).trim());
                            }
                        }
                    }
                }
            }
            catch (final java.nio.file.NoSuchFileException raced)
            {
                continue; // a thread ended while listed
            }
            if (cpus.size() == count && cpus.stream().noneMatch(c -> c.contains("-") || c.contains(",")))
            {
                return cpus;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("switch threads not bound within 5 s: " + cpus);
    }
}
