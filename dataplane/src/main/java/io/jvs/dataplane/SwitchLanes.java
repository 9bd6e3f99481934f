package io.jvs.dataplane;

import io.jvs.dataplane.engine.LaneHandoff;

/**
 * How many forwarding lanes a daemon runs ({@code jvs daemon --lanes N|auto}).
 * <p>
 * {@code auto}: half the CPUs the daemon may run on, at least one. On a container host the containers' own network
 * stacks (TCP segmentation, copies, the veth hand-over on the sender's CPU) take about as much CPU per byte as the
 * switch does, so a lane per CPU would starve the senders it forwards for: a 2-CPU host gets one lane, 8 CPUs get
 * four. A number asks for exactly that many, at most one per CPU the daemon may run on.
 */
public final class SwitchLanes
{
    public static final String AUTO = "auto";

    private SwitchLanes()
    {
    }

    /**
     * @param spec        "auto" or a count.
     * @param allowedCpus CPUs this process may run on.
     * @return the number of lanes.
     * @throws IllegalArgumentException with a message fit for the user.
     */
    public static int resolve(final String spec, final int allowedCpus)
    {
        if (null == spec || spec.isBlank())
        {
            throw new IllegalArgumentException("empty: give a number of lanes or auto");
        }
        final int cpus = Math.max(1, allowedCpus);
        if (AUTO.equals(spec.trim()))
        {
            return Math.min(LaneHandoff.MAX_LANES, Math.max(1, cpus / 2));
        }
        final int lanes;
        try
        {
            lanes = Integer.parseInt(spec.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("'" + spec + "' is neither a number of lanes nor auto");
        }
        if (lanes < 1)
        {
            throw new IllegalArgumentException(lanes + ": at least one lane forwards");
        }
        if (lanes > cpus)
        {
            throw new IllegalArgumentException(lanes + " lanes, but this daemon may run on " + cpus +
                " CPU" + (cpus == 1 ? "" : "s") + ": at most one lane per CPU (or auto: " +
                resolve(AUTO, cpus) + ")");
        }
        if (lanes > LaneHandoff.MAX_LANES)
        {
            throw new IllegalArgumentException(lanes + " lanes: at most " + LaneHandoff.MAX_LANES);
        }
        return lanes;
    }
}
