package io.jvs.tap;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

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
        final Object seen = OnNewThread.call(() ->
        {
            ThreadPriority.setCurrentThreadFifo(3);
            return statField(41) + "/" + statField(40); // policy / rt_priority
        });
        assertEquals(ThreadPriority.SCHED_FIFO + "/3", seen);
        assertEquals(0, statField(41), "other threads stay SCHED_OTHER");
        assertThrows(IllegalArgumentException.class, () -> ThreadPriority.setCurrentThreadFifo(0));
    }

    @Test
    void setsTheNiceValueOfTheCallingThreadOnly() throws Exception
    {
        final int before = niceOfCurrentThread();
        final Object seen = OnNewThread.call(() ->
        {
            ThreadPriority.setCurrentThreadNice(-5);
            return niceOfCurrentThread();
        });
        assertEquals(-5, seen);
        assertEquals(before, niceOfCurrentThread(), "other threads keep their nice value");
    }

    @Test
    void rejectsValuesOutsideTheKernelRange()
    {
        assertThrows(IllegalArgumentException.class, () -> ThreadPriority.setCurrentThreadNice(-21));
        assertThrows(IllegalArgumentException.class, () -> ThreadPriority.setCurrentThreadNice(20));
    }
}
