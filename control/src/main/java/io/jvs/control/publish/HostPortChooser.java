package io.jvs.control.publish;

import io.jvs.control.common.JvsException;

import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * Chooses the host port for a port published without one ({@code docker run -P}, {@code -p 80}, {@code --publish
 * 0:80}): the lowest port of Docker's default range {@value #FIRST}-{@value #LAST} that no publication of jvs holds
 * for the protocol and that the fabric accepts (the loopback proxy can bind it on 127.0.0.1, the router has no rule
 * on it). A fixed range rather than the host's ip_local_port_range: that one is also the router's masquerade range
 * (32768-60999 by default), and the same choice on every host keeps it predictable. The port chosen is journaled, so
 * a restart publishes the same one.
 */
public final class HostPortChooser
{
    public static final int FIRST = 49153;
    public static final int LAST = 65535;
    /** Ports the fabric refused (taken outside jvs) before giving up: bounds the work of one request. */
    static final int ATTEMPTS = 64;

    private HostPortChooser()
    {
    }

    /**
     * @param taken   ports jvs already publishes for this protocol.
     * @param publish publishes on the port, throwing a {@link JvsException.Kind#CONFLICT} when it is taken.
     * @return what {@code publish} returned for the port chosen.
     */
    public static <T> T choose(final String what, final IntPredicate taken, final IntFunction<T> publish)
    {
        int refused = 0;
        JvsException last = null;
        for (int port = FIRST; port <= LAST && refused < ATTEMPTS; port++)
        {
            if (taken.test(port))
            {
                continue;
            }
            try
            {
                return publish.apply(port);
            }
            catch (final JvsException ex)
            {
                if (ex.kind() != JvsException.Kind.CONFLICT)
                {
                    throw ex;
                }
                last = ex;
                refused++;
            }
        }
        throw JvsException.conflict("no free host port for " + what + " in " + FIRST + "-" + LAST +
            (last == null ? "" : " (" + refused + " taken outside jvs, the last: " + last.getMessage() + ")"));
    }
}
