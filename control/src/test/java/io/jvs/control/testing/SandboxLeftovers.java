package io.jvs.control.testing;

import io.jvs.control.netns.Command;

import java.time.Duration;
import java.util.List;

/** What a killed daemon can leave of its sandboxes: the named namespace and its /etc/netns directory. */
public final class SandboxLeftovers
{
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private SandboxLeftovers()
    {
    }

    /** Deletes, by exact name, each sandbox's namespace and /etc/netns/NAME; missing ones are ignored. */
    public static void remove(final List<String> sandboxes)
    {
        for (final String sandbox : sandboxes)
        {
            Command.exec(TIMEOUT, "ip", "netns", "delete", sandbox);
            Command.exec(TIMEOUT, "rm", "-rf", "/etc/netns/" + sandbox);
        }
    }
}
