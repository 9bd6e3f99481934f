package io.jvs.tap;

/**
 * Layout of {@code struct pollfd} (poll.h), one per watched descriptor, in a contiguous array.
 * <pre>
 *  +------------------+--------------+---------------+
 *  | fd @0 (s32)      | events @4    | revents @6    |
 *  +------------------+--------------+---------------+
 * </pre>
 */
final class PollFdDescriptor
{
    static final int LENGTH = 8;
    static final int FD_OFFSET = 0;
    static final int EVENTS_OFFSET = 4;
    static final int REVENTS_OFFSET = 6;

    static final short POLLIN = 1;

    private PollFdDescriptor()
    {
    }
}
