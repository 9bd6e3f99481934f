package io.jvs.tap;

import jnr.ffi.Platform;

/**
 * Layout of {@code struct epoll_event} (sys/epoll.h), one per ready descriptor in the array epoll_wait fills.
 * x86-64 packs it (the kernel's EPOLL_PACKED), other 64-bit architectures align the data to 8:
 * <pre>
 *  x86-64:  +------------------+------------------------+
 *           | events @0 (u32)  | data @4 (u64)          |   12 bytes
 *           +------------------+------------------------+
 *  others:  | events @0 (u32)  | pad | data @8 (u64)    |   16 bytes
 * </pre>
 * jvs stores an int of its own in the low half of the data (little-endian on both).
 */
final class EpollEventDescriptor
{
    private static final boolean PACKED = Platform.getNativePlatform().getCPU() == Platform.CPU.X86_64;

    static final int LENGTH = PACKED ? 12 : 16;
    static final int EVENTS_OFFSET = 0;
    static final int DATA_OFFSET = PACKED ? 4 : 8;

    // sys/epoll.h
    static final int EPOLLIN = 0x001;
    static final int EPOLLERR = 0x008;
    static final int EPOLLHUP = 0x010;
    static final int EPOLL_CLOEXEC = 0x80000;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;

    private EpollEventDescriptor()
    {
    }
}
