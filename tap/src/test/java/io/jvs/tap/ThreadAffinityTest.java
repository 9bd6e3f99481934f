package io.jvs.tap;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadAffinityTest
{
    /** The kernel's own view of the calling thread's CPUs, e.g. "0-1" or "1". */
    private static String cpusAllowedListOfCurrentThread() throws Exception
    {
        for (final String line : Files.readAllLines(Path.of("/proc/thread-self/status")))
        {
            if (line.startsWith("Cpus_allowed_list:"))
            {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        throw new AssertionError("no Cpus_allowed_list in /proc/thread-self/status");
    }

    @Test
    void allowedCpusAreTheKernelsListForThisThread() throws Exception
    {
        final int[] cpus = ThreadAffinity.allowedCpus();
        assertTrue(cpus.length >= 1);
        final StringBuilder expected = new StringBuilder();
        for (final String item : cpusAllowedListOfCurrentThread().split(","))
        {
            final String[] range = item.split("-");
            for (int cpu = Integer.parseInt(range[0]); cpu <= Integer.parseInt(range[range.length - 1]); cpu++)
            {
                expected.append(cpu).append(' ');
            }
        }
        final StringBuilder actual = new StringBuilder();
        for (final int cpu : cpus)
        {
            actual.append(cpu).append(' ');
        }
        assertEquals(expected.toString(), actual.toString());
    }

    @Test
    void bindsTheCallingThreadOnly() throws Exception
    {
        final int[] before = ThreadAffinity.allowedCpus();
        final int last = before[before.length - 1];
        final Object seen = OnNewThread.call(() ->
        {
            ThreadAffinity.setCurrentThreadCpu(last);
            return cpusAllowedListOfCurrentThread() + " " + ThreadAffinity.allowedCpus().length;
        });
        assertEquals(last + " 1", seen);
        assertArrayEquals(before, ThreadAffinity.allowedCpus(), "other threads keep their CPUs");
    }

    @Test
    void aCpuTheMachineDoesNotHaveIsRefusedWithEinval() throws Exception
    {
        final Object seen = OnNewThread.call(() ->
        {
            ThreadAffinity.setCurrentThreadCpu(8000);
            return "bound";
        });
        final NativeException ex = assertInstanceOf(NativeException.class, seen);
        assertTrue(ex.getMessage().contains("sched_setaffinity"), ex.getMessage());
        assertEquals(Native.EINVAL, ex.errno());
    }
}
