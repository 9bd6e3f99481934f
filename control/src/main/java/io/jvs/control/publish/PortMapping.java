package io.jvs.control.publish;

import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Ipv4;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A published port range, as {@code --publish [HOSTIP:]HOSTPORT[-END]:CPORT[-END][/udp|/tcp]} gives it (Docker's
 * {@code -p} syntax): host ports hostFirst..hostLast to the endpoint's address, ports containerFirst.. (same
 * length). Host port 0 ({@link #choosesHostPort}) asks for one host port from {@link HostPortChooser}'s range for
 * the one container port; the journal only ever holds the port chosen. {@code hostIp} is where the port is
 * reached ({@link io.jvs.control.publish.PublishScope}): "" for everywhere jvs publishes (Docker's 0.0.0.0).
 */
public record PortMapping(String protocol, String hostIp, int hostFirst, int hostLast, int containerFirst)
{
    private static final Pattern SPEC = Pattern.compile(
        "(?:(?:(\\d+\\.\\d+\\.\\d+\\.\\d+)|\\[([0-9a-f:]+)\\]):)?(\\d+)(?:-(\\d+))?:(\\d+)(?:-(\\d+))?" +
        "(?:/(tcp|udp))?");
    private static final String ANY_ADDRESS = "0.0.0.0";

    public PortMapping
    {
        hostIp = hostIp == null || ANY_ADDRESS.equals(hostIp) ? "" : hostIp;
    }

    public static PortMapping parse(final String text)
    {
        final Matcher m = SPEC.matcher(text == null ? "" : text.trim().toLowerCase());
        if (!m.matches())
        {
            throw JvsException.invalid("invalid --publish " + text +
                ": expected [HOSTIP:]HOSTPORT[-END]:PORT[-END][/udp] (an IPv6 HOSTIP in brackets: [::1])");
        }
        final String hostIp = m.group(1) != null ? Ipv4.format(Ipv4.parse(m.group(1))) :
            m.group(2) != null ? m.group(2) : "";
        final int hostFirst = Integer.parseInt(m.group(3));
        final int hostLast = m.group(4) == null ? hostFirst : Integer.parseInt(m.group(4));
        final int containerFirst = Integer.parseInt(m.group(5));
        final int containerLast = m.group(6) == null ? containerFirst + (hostLast - hostFirst) :
            Integer.parseInt(m.group(6));
        if (hostFirst == 0 && hostLast == 0 && containerLast == containerFirst && containerFirst >= 1 &&
            containerFirst <= 65535)
        {
            return new PortMapping(m.group(7) == null ? "tcp" : m.group(7), hostIp, 0, 0, containerFirst);
        }
        if (hostFirst < 1 || hostLast > 65535 || hostLast < hostFirst || containerFirst < 1 ||
            containerLast > 65535 || containerLast - containerFirst != hostLast - hostFirst)
        {
            throw JvsException.invalid("invalid --publish " + text +
                ": ports in 1-65535, ranges of the same length (host port 0: one chosen for one port)");
        }
        return new PortMapping(m.group(7) == null ? "tcp" : m.group(7), hostIp, hostFirst, hostLast,
            containerFirst);
    }

    /** Host port 0: jvs chooses one. */
    public boolean choosesHostPort()
    {
        return hostFirst == 0;
    }

    /** The same mapping on host port {@code hostPort} (the one chosen). */
    public PortMapping onHostPort(final int hostPort)
    {
        return new PortMapping(protocol, hostIp, hostPort, hostPort, containerFirst);
    }

    public int containerLast()
    {
        return containerFirst + hostLast - hostFirst;
    }

    @Override
    public String toString()
    {
        return (hostIp.isEmpty() ? "" : hostIp.indexOf(':') >= 0 ? "[" + hostIp + "]:" : hostIp + ":") +
            (hostFirst == hostLast ? "" + hostFirst : hostFirst + "-" + hostLast) + ":" +
            (hostFirst == hostLast ? "" + containerFirst : containerFirst + "-" + containerLast()) + "/" + protocol;
    }
}
