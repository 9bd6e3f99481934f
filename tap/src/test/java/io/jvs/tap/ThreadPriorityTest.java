package io.jvs.tap;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ThreadPriorityTest
{
    /** Field 19 of /proc/thread-self/stat is the nice value; the comm field (2) may hold spaces, so count after ')'. */
    private static int niceOfCurrentThread() throws Exception
    {
        return statField(19);
    }

    private static int statField(final int field) throws Exception
    {
        final String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        final String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(rest[field - 3]);
    }

    @Test
    void putsTheCallingThreadInSchedFifo() throws Exception
    {
        final AtomicReference<Object> seen = new AtomicReference<>();
        final Thread thread = new Thread(() ->
        {
            try
            {
                ThreadPriority.setCurrentThreadFifo(3);
                seen.set(statField(41) + "/" + statField(40)); // policy / rt_priority
            }
            catch (final Throwable ex)
            {
                seen.set(ex);
            }
        });
        thread.start();
        thread.join(5_000);
        assertEquals(ThreadPriority.SCHED_FIFO + "/3", seen.get());
        assertEquals(0, statField(41), "other threads stay SCHED_OTHER");
        assertThrows(IllegalArgumentException.class, () -> ThreadPriority.setCurrentThreadFifo(0));
    }

    @Test
    void setsTheNiceValueOfTheCallingThreadOnly() throws Exception
    {
        final int before = niceOfCurrentThread();
        final AtomicReference<Object> seen = new AtomicReference<>();
        final Thread thread = new Thread(() ->
        {
            try
            {
                ThreadPriority.setCurrentThreadNice(-5);
                seen.set(niceOfCurrentThread());
            }
            catch (final Throwable ex)
            {
                seen.set(ex);
            }
        });
        thread.start();
        thread.join(5_000);
        assertEquals(-5, seen.get());
        assertEquals(before, niceOfCurrentThread(), "other threads keep their nice value");
    }

    @Test
    void rejectsValuesOutsideTheKernelRange()
    {
        assertThrows(IllegalArgumentException.class, () -> ThreadPriority.setCurrentThreadNice(-21));
        assertThrows(IllegalArgumentException.class, () -> ThreadPriority.setCurrentThreadNice(20));
    }
}
