package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.IcmpHeader;

/**
 * ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861) message types and layouts, offsets from the start of the
 * ICMPv6 header. Every message starts with type, code and checksum ({@link IcmpHeader}).
 * <pre>
 *   Neighbor Solicitation (135) / Advertisement (136):
 *     0      8      16            32
 *     | type | code | checksum    |
 *     | R S O reserved (NA flags) |      flags: first byte, NA only
 *     | target address (16)       |
 *     | options ...               |      NS: source link-layer (1), NA: target link-layer (2)
 *
 *   Router Solicitation (133):  type code checksum | reserved (4) | options
 *   Router Advertisement (134):
 *     | type | code | checksum    |
 *     | cur hop limit | M O flags | router lifetime (s, 16) |
 *     | reachable time (ms, 32)   |
 *     | retrans timer (ms, 32)    |
 *     | options ...               |      source link-layer (1), MTU (5), prefix information (3)
 *
 *   Option: | type | length (8-byte units, > 0) | data ... |
 *     link-layer address (1, 2): length 1, the 6-byte MAC at offset 2
 *     MTU (5): length 1, reserved (2), MTU (32) at offset 4
 *     prefix information (3): length 4, prefix length at 2, flags (L 0x80, A 0x40) at 3, valid lifetime at 4,
 *       preferred lifetime at 8, reserved (4) at 12, prefix (16) at 16
 *
 *   Errors: | type | code | checksum | MTU (type 2) / pointer (type 4) / unused (32) | as much of the
 *     offending packet as fits in the IPv6 minimum MTU (1280 bytes) |
 * </pre>
 */
public final class Icmpv6
{
    public static final int TYPE_DEST_UNREACHABLE = 1;
    public static final int TYPE_PACKET_TOO_BIG = 2;
    public static final int TYPE_TIME_EXCEEDED = 3;
    public static final int TYPE_PARAMETER_PROBLEM = 4;
    /** Types below this are errors (RFC 4443 2.1). */
    public static final int FIRST_INFORMATIONAL_TYPE = 128;
    public static final int TYPE_ECHO_REQUEST = IcmpHeader.TYPE_V6_ECHO_REQUEST;
    public static final int TYPE_ECHO_REPLY = IcmpHeader.TYPE_V6_ECHO_REPLY;
    public static final int TYPE_ROUTER_SOLICITATION = 133;
    public static final int TYPE_ROUTER_ADVERTISEMENT = 134;
    public static final int TYPE_NEIGHBOR_SOLICITATION = 135;
    public static final int TYPE_NEIGHBOR_ADVERTISEMENT = 136;
    public static final int TYPE_REDIRECT = 137;

    public static final int CODE_NO_ROUTE = 0;
    public static final int CODE_BEYOND_SCOPE = 2;
    public static final int CODE_ADDRESS_UNREACHABLE = 3;
    public static final int CODE_PORT_UNREACHABLE = 4;
    public static final int CODE_HOP_LIMIT_EXCEEDED = 0;

    /** Second word of an error: the MTU of packet too big, else unused. */
    public static final int ERROR_MTU_OFFSET = 4;
    public static final int ERROR_HEADER_LENGTH = 8;

    /** RFC 4861 7.1: NDP messages come with hop limit 255 (so they cannot have crossed a router). */
    public static final int NDP_HOP_LIMIT = 255;
    public static final int ND_FLAGS_OFFSET = 4;
    public static final int ND_TARGET_OFFSET = 8;
    public static final int ND_OPTIONS_OFFSET = 24;
    public static final int NA_FLAG_ROUTER = 0x80;
    public static final int NA_FLAG_SOLICITED = 0x40;
    public static final int NA_FLAG_OVERRIDE = 0x20;

    public static final int RS_OPTIONS_OFFSET = 8;
    public static final int RA_CUR_HOP_LIMIT_OFFSET = 4;
    public static final int RA_FLAGS_OFFSET = 5;
    public static final int RA_ROUTER_LIFETIME_OFFSET = 6;
    public static final int RA_REACHABLE_TIME_OFFSET = 8;
    public static final int RA_RETRANS_TIMER_OFFSET = 12;
    public static final int RA_OPTIONS_OFFSET = 16;

    public static final int OPTION_TYPE_OFFSET = 0;
    public static final int OPTION_LENGTH_OFFSET = 1;
    public static final int OPTION_UNIT = 8;
    public static final int OPTION_SOURCE_LINK_LAYER = 1;
    public static final int OPTION_TARGET_LINK_LAYER = 2;
    public static final int OPTION_PREFIX_INFORMATION = 3;
    public static final int OPTION_MTU = 5;
    public static final int LINK_LAYER_OPTION_LENGTH = 8;
    public static final int LINK_LAYER_OPTION_ADDRESS_OFFSET = 2;
    public static final int MTU_OPTION_LENGTH = 8;
    public static final int MTU_OPTION_VALUE_OFFSET = 4;
    public static final int PREFIX_OPTION_LENGTH = 32;
    public static final int PREFIX_OPTION_PREFIX_LENGTH_OFFSET = 2;
    public static final int PREFIX_OPTION_FLAGS_OFFSET = 3;
    public static final int PREFIX_OPTION_VALID_LIFETIME_OFFSET = 4;
    public static final int PREFIX_OPTION_PREFERRED_LIFETIME_OFFSET = 8;
    public static final int PREFIX_OPTION_PREFIX_OFFSET = 16;
    /** On-link. The autonomous (SLAAC) flag 0x40 is left off: sandbox addresses are static. */
    public static final int PREFIX_FLAG_ON_LINK = 0x80;

    /** RFC 4861 6.2.1 defaults: AdvDefaultLifetime 1800 s, AdvValidLifetime 30 days, AdvPreferredLifetime 7 days. */
    public static final int RA_ROUTER_LIFETIME_SECONDS = 1800;
    public static final int RA_VALID_LIFETIME_SECONDS = 2_592_000;
    public static final int RA_PREFERRED_LIFETIME_SECONDS = 604_800;
    public static final int RA_CUR_HOP_LIMIT = 64;

    /** The IPv6 minimum MTU (RFC 8200 5): an ICMPv6 error never exceeds it. */
    public static final int MIN_MTU = 1280;

    private Icmpv6()
    {
    }

    public static boolean isError(final int type)
    {
        return type < FIRST_INFORMATIONAL_TYPE;
    }
}
