package io.jvs.dataplane.l3;

import io.jvs.dataplane.nat.ConnTable;

/**
 * Flyweight: the addresses and ports a packet of a tracked connection leaves with. Filled in place, read right
 * after, so nothing allocates per packet. Forwarding thread only.
 */
final class NatTuple
{
    private int src;
    private int dst;
    private int sport;
    private int dport;

    /**
     * A packet in direction d of a connection leaves with the other direction's tuple reversed: its source becomes
     * that tuple's destination and its destination that tuple's source.
     */
    void loadReversed(final ConnTable conns, final int handle)
    {
        final int record = handle >>> 1;
        final int other = (handle & 1) ^ 1;
        final long a = conns.tupleA(record, other);
        final long b = conns.tupleB(record, other);
        src = ConnTable.destinationIp(a);
        dst = ConnTable.sourceIp(a);
        sport = ConnTable.destinationPort(b);
        dport = ConnTable.sourcePort(b);
    }

    int src()
    {
        return src;
    }

    int dst()
    {
        return dst;
    }

    int sport()
    {
        return sport;
    }

    int dport()
    {
        return dport;
    }
}
