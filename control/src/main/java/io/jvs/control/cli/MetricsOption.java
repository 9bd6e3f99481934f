package io.jvs.control.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.jvs.control.daemon.Daemon;
import io.jvs.control.metrics.DaemonMetrics;
import io.jvs.control.metrics.MetricsEndpoint;
import picocli.CommandLine;

import java.net.InetSocketAddress;

/** {@code jvs daemon --metrics [ADDR:]PORT}: parsed before the daemon starts, served once it runs. */
final class MetricsOption
{
    private static final Logger LOG = LoggerFactory.getLogger(MetricsOption.class);

    private MetricsOption()
    {
    }

    /** @return null when the option is absent (metrics off). */
    static InetSocketAddress parse(final CommandLine.Model.CommandSpec spec, final String value)
    {
        if (value == null)
        {
            return null;
        }
        try
        {
            return MetricsEndpoint.parse(value);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "bad --metrics: " + ex.getMessage());
        }
    }

    /** Starts the endpoint; on failure closes the daemon and rethrows (the port taken, say). */
    static MetricsEndpoint start(final InetSocketAddress address, final Daemon daemon)
    {
        if (address == null)
        {
            return null;
        }
        if (!address.getAddress().isLoopbackAddress())
        {
            LOG.warn("metrics on {} are not on loopback: whoever reaches that address reads every network's, " +
                "port's and sandbox's counters", MetricsEndpoint.format(address));
        }
        try
        {
            return MetricsEndpoint.start(address, new DaemonMetrics(daemon));
        }
        catch (final RuntimeException ex)
        {
            daemon.close();
            throw ex;
        }
    }

    static String describe(final MetricsEndpoint endpoint, final InetSocketAddress asked)
    {
        return endpoint == null ? "" :
            "; metrics on http://" + MetricsEndpoint.format(endpoint.address(asked)) + "/metrics";
    }
}
