package io.jvs.dataplane.nat;

import io.jvs.dataplane.parse.Ipv4Header;

/**
 * Picks the NAT port (or ICMP identifier) for a new translated connection, so that the reply tuple
 * (remote, NAT address:port) is unique in the {@link ConnTable}: the same port may serve many remote endpoints,
 * never two connections to one. Ports published for DNAT are never handed out. A round-robin cursor per protocol
 * walks the range; at most {@link #MAX_TRIES} candidates are probed, after which the allocation fails (the caller
 * counts "ports exhausted" and drops).
 */
public final class PortAllocator
{
    public static final int MAX_TRIES = 4096;

    private final int min;
    private final int size;
    private final int[] cursor = new int[3];

    public PortAllocator(final int min, final int max)
    {
        if (min < 1 || max > 65535 || min > max)
        {
            throw new IllegalArgumentException("port range " + min + "-" + max);
        }
        this.min = min;
        this.size = max - min + 1;
    }

    /**
     * @param protocol     TCP, UDP or ICMP.
     * @param remoteIp     source of the replies.
     * @param remotePort   their source port (0 for ICMP echo replies).
     * @param natIp        destination of the replies.
     * @return a free port, or -1 when none was found.
     */
    public int allocate(final ConnTable table, final PublishedPorts published, final int protocol,
        final int remoteIp, final int remotePort, final int natIp)
    {
        final int which = protocol == Ipv4Header.PROTOCOL_TCP ? 0 : protocol == Ipv4Header.PROTOCOL_UDP ? 1 : 2;
        final int publishedIndex = which < 2 ? which : -1;
        final long a = ConnTable.keyA(remoteIp, natIp);
        final int tries = Math.min(size, MAX_TRIES);
        int c = cursor[which];
        for (int n = 0; n < tries; n++)
        {
            final int port = min + c;
            c = c + 1 == size ? 0 : c + 1;
            if (publishedIndex >= 0 && published.isPublished(publishedIndex, port))
            {
                continue;
            }
            if (table.find(a, ConnTable.keyB(protocol, remotePort, port)) == ConnTable.NOT_FOUND)
            {
                cursor[which] = c;
                return port;
            }
        }
        cursor[which] = c;
        return -1;
    }
}
