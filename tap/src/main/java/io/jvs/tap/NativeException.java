package io.jvs.tap;

/** A native call failed: names the call, the errno and what it was working on. */
public final class NativeException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int errno;

    public NativeException(final String call, final int errno, final String subject)
    {
        super(call + " failed for " + subject + ": errno " + errno);
        this.errno = errno;
    }

    public int errno()
    {
        return errno;
    }
}
