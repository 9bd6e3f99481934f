package io.jvs.dataplane.parse;

/**
 * Result codes of the header flyweights' {@code wrap} and of {@link FrameParser#parse}: parsing never throws,
 * a malformed header is reported by a code and the flyweight then reads as all zeros.
 */
public final class ParseResult
{
    /** The header fits in the bytes given and its fields are consistent. */
    public static final int OK = 0;
    /** Fewer bytes than the fixed header (or than the header's own length field) says. */
    public static final int TRUNCATED = 1;
    /** Version field is not the one this flyweight reads (IPv4 4, IPv6 6). */
    public static final int BAD_VERSION = 2;
    /** A header length field is below its minimum (IPv4 IHL < 5, TCP data offset < 5, UDP length < 8). */
    public static final int BAD_HEADER_LENGTH = 3;
    /** A total/payload length field points past the bytes given. */
    public static final int BAD_TOTAL_LENGTH = 4;
    /** Well formed but not a variant jvs reads (ARP for non-Ethernet/IPv4, more than two VLAN tags). */
    public static final int UNSUPPORTED = 5;

    private ParseResult()
    {
    }

    public static boolean isOk(final int result)
    {
        return OK == result;
    }

    /** For logs and test messages; not for the hot path. */
    public static String describe(final int result)
    {
        switch (result)
        {
            case OK: return "ok";
            case TRUNCATED: return "truncated";
            case BAD_VERSION: return "bad_version";
            case BAD_HEADER_LENGTH: return "bad_header_length";
            case BAD_TOTAL_LENGTH: return "bad_total_length";
            case UNSUPPORTED: return "unsupported";
            default: return "unknown(" + result + ")";
        }
    }
}
