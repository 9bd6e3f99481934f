package io.jvs.tap.netlink;

/**
 * The kernel refused a netlink request, e.g. "RTM_NEWLINK jv1234abcd: File exists (EEXIST)", with the kernel's
 * extended-ack text appended when it gave one. Also thrown for a socket call that failed (then {@link #errno()} is
 * that call's errno).
 */
public final class NetlinkException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int errno;

    public NetlinkException(final String what, final int errno, final String kernelText)
    {
        super(what + ": " + Errno.describe(errno) + (kernelText == null || kernelText.isEmpty() ? "" :
            " - " + kernelText));
        this.errno = errno;
    }

    public int errno()
    {
        return errno;
    }
}
