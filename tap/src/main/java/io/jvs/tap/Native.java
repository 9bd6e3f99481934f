package io.jvs.tap;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Platform;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The one loaded {@link LibC} of the process, errno access, and Linux constants shared by the ports. Other modules
 * with native calls of their own (vxlan's control-path sockets) use the same binding through the public methods.
 */
public final class Native
{
    static final LibC LIBC = LibraryLoader.create(LibC.class)
        .load(Platform.getNativePlatform().getStandardCLibraryName());
    static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    // errno values (asm-generic/errno-base.h, errno.h).
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EINVAL = 22;
    static final int ENOBUFS = 105;

    // fcntl.h
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;

    // sys/mman.h
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final long MAP_FAILED = -1L;

    // sys/socket.h
    static final int MSG_TRUNC = 0x20;
    static final int MSG_DONTWAIT = 0x40;
    static final int SOL_SOCKET = 1;

    private Native()
    {
    }

    /** errno saved by the last call on this thread that was not marked @IgnoreError. */
    public static int errno()
    {
        return RUNTIME.getLastError();
    }

    /** The process's one libc binding. */
    public static LibC libc()
    {
        return LIBC;
    }

    /** Zeroed native memory; the returned Pointer frees it when collected, so keep it in a field. */
    public static Pointer allocate(final int size)
    {
        return Memory.allocateDirect(RUNTIME, size, true);
    }

    /** The failed call's errno, with what it was about. */
    public static NativeException failure(final String call, final String subject)
    {
        return new NativeException(call, errno(), subject);
    }
}
