package io.jvs.tap;

/**
 * Layout of {@code struct ifreq} (include/uapi/linux/if.h) as TUNSETIFF uses it: the interface name
 * (NUL terminated, at most 15 characters) and the short flags; the rest of the 40 bytes is a union jvs
 * does not use.
 * <pre>
 *  +--------------------------------+----------------+----------------------------+
 *  | ifr_name[16] @0                | ifr_flags @16  | (union, unused) ... @40    |
 *  +--------------------------------+----------------+----------------------------+
 * </pre>
 */
final class IfreqDescriptor
{
    static final int LENGTH = 40;
    static final int NAME_OFFSET = 0;
    static final int NAME_LENGTH = 16;
    static final int FLAGS_OFFSET = 16;

    /** Longest interface name the kernel accepts (IFNAMSIZ - 1). */
    static final int MAX_NAME_LENGTH = NAME_LENGTH - 1;

    private IfreqDescriptor()
    {
    }
}
