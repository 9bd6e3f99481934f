package io.jvs.dataplane.nat;

import io.jvs.dataplane.parse.Ipv4Header;

/**
 * Destination NAT rules: (protocol, host port) -> (container IP, container port), one array slot per host port
 * so the lookup is one read. Ranges are stored port by port. Forwarding thread only (changed by commands).
 */
public final class PublishedPorts
{
    public static final int TCP = 0;
    public static final int UDP = 1;
    private static final int PORTS = 65536;

    private final int[] targetIp = new int[2 * PORTS];
    /** Container port + 1; 0 = not published. */
    private final int[] targetPort = new int[2 * PORTS];
    private final int[] ruleId = new int[2 * PORTS];

    /** TCP/UDP protocol number to TCP/UDP index, -1 for others. */
    public static int index(final int protocol)
    {
        return protocol == Ipv4Header.PROTOCOL_TCP ? TCP : protocol == Ipv4Header.PROTOCOL_UDP ? UDP : -1;
    }

    public boolean isPublished(final int protocolIndex, final int hostPort)
    {
        return targetPort[protocolIndex * PORTS + hostPort] != 0;
    }

    /** @return the container port, -1 if not published. */
    public int targetPort(final int protocolIndex, final int hostPort)
    {
        return targetPort[protocolIndex * PORTS + hostPort] - 1;
    }

    public int targetIp(final int protocolIndex, final int hostPort)
    {
        return targetIp[protocolIndex * PORTS + hostPort];
    }

    public int ruleId(final int protocolIndex, final int hostPort)
    {
        return ruleId[protocolIndex * PORTS + hostPort];
    }

    /** Publishes hostFirst..hostLast -> ip:containerFirst..; refused (nothing changed) if a port is taken. */
    public void add(final int rule, final int protocolIndex, final int hostFirst, final int hostLast, final int ip,
        final int containerFirst)
    {
        if (hostFirst < 1 || hostLast > 65535 || hostFirst > hostLast ||
            containerFirst < 1 || containerFirst + (hostLast - hostFirst) > 65535)
        {
            throw new IllegalArgumentException("bad port range " + hostFirst + "-" + hostLast + " -> " + containerFirst);
        }
        for (int p = hostFirst; p <= hostLast; p++)
        {
            if (isPublished(protocolIndex, p))
            {
                throw new IllegalArgumentException((protocolIndex == TCP ? "tcp" : "udp") + " port " + p +
                    " is already published (rule " + ruleId(protocolIndex, p) + ")");
            }
        }
        for (int p = hostFirst; p <= hostLast; p++)
        {
            final int i = protocolIndex * PORTS + p;
            targetIp[i] = ip;
            targetPort[i] = containerFirst + (p - hostFirst) + 1;
            ruleId[i] = rule;
        }
    }

    public void remove(final int protocolIndex, final int hostFirst, final int hostLast)
    {
        for (int p = hostFirst; p <= hostLast; p++)
        {
            final int i = protocolIndex * PORTS + p;
            targetIp[i] = 0;
            targetPort[i] = 0;
            ruleId[i] = 0;
        }
    }
}
