package io.jvs.tap;

/**
 * Layout of {@code struct packet_mreq} (include/uapi/linux/if_packet.h), the PACKET_ADD_MEMBERSHIP argument.
 * <pre>
 *  +------------------+-------------+-------------+--------------------+
 *  | mr_ifindex @0 s32| mr_type @4  | mr_alen @6  | mr_address[8] @8   |
 *  +------------------+-------------+-------------+--------------------+
 * </pre>
 */
final class PacketMreqDescriptor
{
    static final int LENGTH = 16;
    static final int IFINDEX_OFFSET = 0;
    static final int TYPE_OFFSET = 4;

    static final int PACKET_MR_PROMISC = 1;

    private PacketMreqDescriptor()
    {
    }
}
