package io.jvs.tap;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

import static io.jvs.tap.Native.LIBC;

/**
 * Sets the calling thread's nice value or real-time priority. On Linux setpriority(PRIO_PROCESS, tid, nice) applies to one thread,
 * not the whole process, so a switch thread can be favoured over the JVM's other threads and the host's
 * other work, the way the kernel's own packet processing (softirq) is. Lowering nice below 0 needs
 * CAP_SYS_NICE.
 */
public final class ThreadPriority
{
    /** setpriority(2) {@code which} for a process (on Linux: a thread, given its tid). */
    static final int PRIO_PROCESS = 0;
    /** sched_setscheduler(2) policy: first in, first out real-time. */
    static final int SCHED_FIFO = 1;
    public static final int MIN_RT_PRIORITY = 1;
    public static final int MAX_RT_PRIORITY = 99;
    public static final int MIN_NICE = -20;
    public static final int MAX_NICE = 19;

    private ThreadPriority()
    {
    }

    /** Sets the calling thread's nice value; throws {@link NativeException} (e.g. EPERM) on failure. */
    public static void setCurrentThreadNice(final int nice)
    {
        if (nice < MIN_NICE || nice > MAX_NICE)
        {
            throw new IllegalArgumentException("nice=" + nice + " not in [" + MIN_NICE + ", " + MAX_NICE + "]");
        }
        final int tid = LIBC.gettid();
        if (LIBC.setpriority(PRIO_PROCESS, tid, nice) != 0)
        {
            throw Native.failure("setpriority", "thread " + tid + " nice " + nice);
        }
    }

    /**
     * Puts the calling thread in SCHED_FIFO at {@code priority}: no normal task preempts it, it runs until it
     * blocks (the kernel's RT throttling still leaves normal tasks 5 % of each CPU). Needs CAP_SYS_NICE.
     */
    public static void setCurrentThreadFifo(final int priority)
    {
        if (priority < MIN_RT_PRIORITY || priority > MAX_RT_PRIORITY)
        {
            throw new IllegalArgumentException(
                "priority=" + priority + " not in [" + MIN_RT_PRIORITY + ", " + MAX_RT_PRIORITY + "]");
        }
        final Pointer param = Memory.allocateDirect(Native.RUNTIME, Integer.BYTES); // configuration path
        param.putInt(0, priority);
        final int tid = LIBC.gettid();
        if (LIBC.sched_setscheduler(tid, SCHED_FIFO, param) != 0)
        {
            throw Native.failure("sched_setscheduler", "thread " + tid + " SCHED_FIFO " + priority);
        }
    }
}
