package io.jvs.tap;

import jnr.ffi.Pointer;

import java.util.Arrays;

import static io.jvs.tap.Native.LIBC;

/**
 * Reads and sets which CPUs the calling thread may run on (sched_getaffinity / sched_setaffinity with pid 0,
 * which on Linux means the calling thread only, not its process).
 */
public final class ThreadAffinity
{
    /** Bytes of the cpu_set_t passed to the kernel: room for 8192 CPUs, more than the kernel's NR_CPUS here. */
    static final int CPU_SET_BYTES = 1024;
    /** pid argument meaning the calling thread. */
    static final int CALLING_THREAD = 0;

    private ThreadAffinity()
    {
    }

    /** The CPUs the calling thread may run on, ascending. */
    public static int[] allowedCpus()
    {
        final Pointer mask = Native.allocate(CPU_SET_BYTES); // configuration path
        if (LIBC.sched_getaffinity(CALLING_THREAD, CPU_SET_BYTES, mask) != 0)
        {
            throw Native.failure("sched_getaffinity", "calling thread");
        }
        final int[] cpus = new int[CPU_SET_BYTES * Byte.SIZE];
        int count = 0;
        for (int i = 0; i < CPU_SET_BYTES; i++)
        {
            final int bits = mask.getByte(i) & 0xFF;
            for (int bit = 0; bit < Byte.SIZE; bit++)
            {
                if ((bits & (1 << bit)) != 0)
                {
                    cpus[count++] = i * Byte.SIZE + bit;
                }
            }
        }
        return Arrays.copyOf(cpus, count);
    }

    /** Binds the calling thread to {@code cpu}; throws {@link NativeException} (e.g. EINVAL: not allowed). */
    public static void setCurrentThreadCpu(final int cpu)
    {
        if (cpu < 0 || cpu >= CPU_SET_BYTES * Byte.SIZE)
        {
            throw new IllegalArgumentException("cpu=" + cpu);
        }
        final Pointer mask = Native.allocate(CPU_SET_BYTES); // configuration path; zeroed
        mask.putByte(cpu / Byte.SIZE, (byte)(1 << (cpu % Byte.SIZE)));
        if (LIBC.sched_setaffinity(CALLING_THREAD, CPU_SET_BYTES, mask) != 0)
        {
            throw Native.failure("sched_setaffinity", "thread " + LIBC.gettid() + " CPU " + cpu);
        }
    }
}
