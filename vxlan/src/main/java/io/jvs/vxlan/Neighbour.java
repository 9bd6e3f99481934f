package io.jvs.vxlan;

import io.jvs.dataplane.l3.Ipv4Addresses;

/**
 * An underlay next hop (the peer VTEP itself when on-link, else the gateway) and its MAC as learned from ARP.
 * <p>
 * The MAC and confirmation time are written by the thread that polls the underlay (ARP replies) and read by the
 * TX thread: volatile. {@link #requestedNanos} and {@link #requestedBackNanos} are only touched under the VTEP's ARP
 * frame lock.
 */
public final class Neighbour
{
    /** No MAC yet. A real MAC is never 0 (zero is not a valid unicast source). */
    public static final long UNRESOLVED = 0;

    final int ip;
    volatile long mac = UNRESOLVED;
    volatile long confirmedNanos;
    long requestedNanos;
    boolean requestedOnce;
    /** When a request of this neighbour for our address was last answered with one of ours. */
    long requestedBackNanos;
    boolean requestedBackOnce;

    Neighbour(final int ip)
    {
        this.ip = ip;
    }

    public int ip()
    {
        return ip;
    }

    /** 48-bit MAC, or {@link #UNRESOLVED}. */
    public long mac()
    {
        return mac;
    }

    public String toString()
    {
        return "Neighbour{" + Ipv4Addresses.format(ip) + " mac=" + (mac == UNRESOLVED ? "?" :
            io.jvs.dataplane.parse.MacAddress.toString(mac)) + '}';
    }
}
