package io.jvs.tap;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc calls jvs packet I/O needs, bound by jnr-ffi (see {@link Native#LIBC}).
 * <p>
 * Raw addresses are passed as {@code long} so a caller can hand over an mmap'd ring or an Agrona buffer's
 * address without wrapping it in a {@link Pointer}. {@code mmap} declares {@code addr} as a {@link Pointer}
 * because jnr-ffi corrupts the sixth argument of a function whose six parameters are all primitives.
 * <p>
 * errno is saved after every call except those marked {@link IgnoreError}: the TX kick, where the result
 * alone decides what happens next. Read it with {@link Native#errno()}.
 */
public interface LibC
{
    @Variadic(fixedCount = 2)
    int open(String path, int flags);

    int close(int fd);

    /** Moves the calling thread into the namespace {@code fd} refers to (nstype e.g. CLONE_NEWNET). */
    int setns(int fd, int nstype);

    @ssize_t long read(int fd, @intptr_t long buf, @size_t long count);

    @ssize_t long write(int fd, @intptr_t long buf, @size_t long count);

    /** ioctl whose argument is a pointer to a struct or an int. */
    @Variadic(fixedCount = 2)
    int ioctl(int fd, long request, Pointer arg);

    /** ioctl whose argument is passed by value (e.g. TUNSETOFFLOAD). */
    @Variadic(fixedCount = 2)
    int ioctl(int fd, long request, long arg);

    int socket(int domain, int type, int protocol);

    int bind(int fd, Pointer addr, int addrLen);

    int setsockopt(int fd, int level, int optName, Pointer optVal, int optLen);

    int getsockopt(int fd, int level, int optName, Pointer optVal, Pointer optLen);

    @intptr_t long mmap(Pointer addr, @size_t long length, int prot, int flags, int fd, @off_t long offset);

    int munmap(@intptr_t long addr, @size_t long length);

    int poll(Pointer fds, long nfds, int timeoutMillis);

    int epoll_create1(int flags);

    /** event: a struct epoll_event ({@link EpollEventDescriptor}); ignored for EPOLL_CTL_DEL. */
    int epoll_ctl(int epfd, int op, int fd, Pointer event);

    /** events: an array of maxEvents struct epoll_event ({@link EpollEventDescriptor}). */
    int epoll_wait(int epfd, Pointer events, int maxEvents, int timeoutMillis);

    int eventfd(int initval, int flags);

    @IgnoreError
    @ssize_t long recv(int fd, @intptr_t long buf, @size_t long len, int flags);

    @IgnoreError
    @ssize_t long send(int fd, Pointer buf, @size_t long len, int flags);

    int if_nametoindex(String name);

    int getpagesize();

    /** The calling thread's kernel id (glibc 2.30+). */
    int gettid();

    /** which = PRIO_PROCESS (0) with a thread id sets that thread's nice value (Linux: per thread). */
    int setpriority(int which, int who, int prio);

    /** param points to a struct sched_param (one int: sched_priority); pid = a thread id sets that thread. */
    int sched_setscheduler(int pid, int policy, Pointer param);

    /** mask: a cpu_set_t of cpusetsize bytes; pid 0 = the calling thread. */
    int sched_getaffinity(int pid, @size_t long cpusetsize, Pointer mask);

    /** mask: a cpu_set_t of cpusetsize bytes; pid 0 = the calling thread (Linux: per thread). */
    int sched_setaffinity(int pid, @size_t long cpusetsize, Pointer mask);
}
