package io.jvs.vxlan;

import io.jvs.dataplane.l3.Ipv4Addresses;

/**
 * A peer VTEP: its underlay IPv4 address, the next hop that reaches it, and a small id (1..65535) that the
 * remote MAC tables store instead of the address. Immutable; shared by every VNI that has this peer.
 */
public final class RemoteVtep
{
    public static final int MIN_ID = 1;
    public static final int MAX_ID = 0xFFFF;

    final int id;
    final int ip;
    final Neighbour nextHop;

    RemoteVtep(final int id, final int ip, final Neighbour nextHop)
    {
        if (id < MIN_ID || id > MAX_ID)
        {
            throw new IllegalArgumentException("id=" + id);
        }
        this.id = id;
        this.ip = ip;
        this.nextHop = nextHop;
    }

    public int id()
    {
        return id;
    }

    public int ip()
    {
        return ip;
    }

    public Neighbour nextHop()
    {
        return nextHop;
    }

    public String toString()
    {
        return "RemoteVtep{" + id + ' ' + Ipv4Addresses.format(ip) + " via " + Ipv4Addresses.format(nextHop.ip) + '}';
    }
}
