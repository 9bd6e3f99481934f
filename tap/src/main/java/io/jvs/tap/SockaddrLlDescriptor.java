package io.jvs.tap;

/**
 * Layout of {@code struct sockaddr_ll} (include/uapi/linux/if_packet.h), used to bind an AF_PACKET socket.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+  0
 *  |     sll_family (native)       |  sll_protocol (network order) |
 *  +-------------------------------+-------------------------------+  4
 *  |                          sll_ifindex                          |
 *  +-------------------------------+---------------+---------------+  8
 *  |          sll_hatype           |  sll_pkttype  |   sll_halen   |
 *  +-------------------------------+---------------+---------------+ 12
 *  |                      sll_addr (8 bytes)                       |
 *  +---------------------------------------------------------------+ 20
 * </pre>
 */
final class SockaddrLlDescriptor
{
    static final int LENGTH = 20;
    static final int FAMILY_OFFSET = 0;
    static final int PROTOCOL_OFFSET = 2;
    static final int IFINDEX_OFFSET = 4;

    private SockaddrLlDescriptor()
    {
    }
}
