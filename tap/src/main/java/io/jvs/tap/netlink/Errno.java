package io.jvs.tap.netlink;

/**
 * Names and texts (glibc's strerror wording) of the errno values rtnetlink answers with, so a failure reads
 * "File exists (EEXIST)" without depending on the process locale.
 */
public final class Errno
{
    private static final String[] NAMES = new String[134];
    private static final String[] TEXTS = new String[134];

    static
    {
        add(1, "EPERM", "Operation not permitted");
        add(2, "ENOENT", "No such file or directory");
        add(3, "ESRCH", "No such process");
        add(4, "EINTR", "Interrupted system call");
        add(7, "E2BIG", "Argument list too long");
        add(9, "EBADF", "Bad file descriptor");
        add(11, "EAGAIN", "Resource temporarily unavailable");
        add(12, "ENOMEM", "Cannot allocate memory");
        add(13, "EACCES", "Permission denied");
        add(16, "EBUSY", "Device or resource busy");
        add(17, "EEXIST", "File exists");
        add(19, "ENODEV", "No such device");
        add(22, "EINVAL", "Invalid argument");
        add(23, "ENFILE", "Too many open files in system");
        add(24, "EMFILE", "Too many open files");
        add(28, "ENOSPC", "No space left on device");
        add(34, "ERANGE", "Numerical result out of range");
        add(36, "ENAMETOOLONG", "File name too long");
        add(90, "EMSGSIZE", "Message too long");
        add(93, "EPROTONOSUPPORT", "Protocol not supported");
        add(95, "EOPNOTSUPP", "Operation not supported");
        add(97, "EAFNOSUPPORT", "Address family not supported by protocol");
        add(98, "EADDRINUSE", "Address already in use");
        add(99, "EADDRNOTAVAIL", "Cannot assign requested address");
        add(100, "ENETDOWN", "Network is down");
        add(101, "ENETUNREACH", "Network is unreachable");
        add(105, "ENOBUFS", "No buffer space available");
        add(110, "ETIMEDOUT", "Connection timed out");
        add(113, "EHOSTUNREACH", "No route to host");
        add(133, "EHWPOISON", "Memory page has hardware error");
    }

    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int ESRCH = 3;

    private Errno()
    {
    }

    /** e.g. "EEXIST", or "errno 200" for one not in the table. */
    public static String name(final int errno)
    {
        final String name = errno > 0 && errno < NAMES.length ? NAMES[errno] : null;
        return name != null ? name : "errno " + errno;
    }

    /** e.g. "File exists (EEXIST)". */
    public static String describe(final int errno)
    {
        final String text = errno > 0 && errno < TEXTS.length ? TEXTS[errno] : null;
        return text != null ? text + " (" + NAMES[errno] + ")" : "errno " + errno;
    }

    private static void add(final int errno, final String name, final String text)
    {
        NAMES[errno] = name;
        TEXTS[errno] = text;
    }
}
