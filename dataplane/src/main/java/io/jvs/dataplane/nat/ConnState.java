package io.jvs.dataplane.nat;

/** Tracking states kept in a connection's state byte, and its flag bits. */
public final class ConnState
{
    public static final int TCP_SYN_SENT = 1;
    public static final int TCP_SYN_RECV = 2;
    public static final int TCP_ESTABLISHED = 3;
    public static final int TCP_FIN_WAIT = 4;
    public static final int TCP_TIME_WAIT = 5;
    public static final int TCP_CLOSE = 6;
    public static final int UDP_UNREPLIED = 7;
    public static final int UDP_REPLIED = 8;
    public static final int ICMP_ECHO = 9;

    /** Source translated to the uplink (masquerade). */
    public static final int FLAG_SNAT = 1;
    /** Destination translated to a container (published port). */
    public static final int FLAG_DNAT = 2;
    public static final int FLAG_FIN_ORIGINAL = 4;
    public static final int FLAG_FIN_REPLY = 8;

    private static final String[] NAMES = {
        "NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "TIME_WAIT", "CLOSE", "UNREPLIED", "REPLIED",
        "ECHO"};

    private ConnState()
    {
    }

    public static String name(final int state)
    {
        return state >= 0 && state < NAMES.length ? NAMES[state] : "?" + state;
    }
}
