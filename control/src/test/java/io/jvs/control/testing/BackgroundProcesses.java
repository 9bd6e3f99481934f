package io.jvs.control.testing;

import java.util.List;

/** Ends the processes a test started in the background (iperf3 servers, ping loops) with their children. */
public final class BackgroundProcesses
{
    private BackgroundProcesses()
    {
    }

    /** Sends SIGTERM to each process and its descendants (ip netns exec forks the real command). */
    public static void destroyWithDescendants(final List<Process> processes)
    {
        processes.forEach(p ->
        {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        });
    }
}
