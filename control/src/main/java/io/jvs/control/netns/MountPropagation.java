package io.jvs.control.netns;

import io.jvs.control.common.JvsException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Whether a sandbox this process makes under /run/netns can be entered from the host. A sandbox is a network
 * namespace kept alive by a bind mount on /run/netns/NAME; made in a mount namespace whose mounts do not propagate
 * to the host's (what {@code ip netns exec NS jvs daemon} gives: it unshares the mount namespace and makes it a
 * slave), the host sees an empty file that cannot be entered. The daemon checks this once at start and refuses.
 * <p>
 * Sound without guessing how the process was started: its mount namespace is the host's (PID 1's: the same
 * namespace link, or the mount that holds /run/netns has the same mount id in both), or that mount is in a shared
 * peer group that also has a member in the host's mount namespace.
 */
public final class MountPropagation
{
    public static final Path NETNS_DIR = Path.of("/run/netns");
    private static final Path SELF = Path.of("/proc/self");
    private static final Path INIT = Path.of("/proc/1");
    private static final String SHARED = "shared:";
    private static final int MOUNT_ID_FIELD = 0;
    private static final int MOUNT_POINT_FIELD = 4;
    private static final int FIRST_OPTIONAL_FIELD = 6;
    private static final String OPTIONAL_FIELDS_END = "-";

    private MountPropagation()
    {
    }

    /** Refuses (forbidden) when sandboxes made here could not be entered from the host; see the class comment. */
    public static void requireSandboxesReachHost()
    {
        final String self = namespace(SELF);
        if (self != null && self.equals(namespace(INIT)))
        {
            return; // the host's mount namespace (where PID 1's link is readable; else mountinfo tells)
        }
        final List<String> own;
        final List<String> host;
        try
        {
            own = Files.readAllLines(SELF.resolve("mountinfo"));
            host = Files.readAllLines(INIT.resolve("mountinfo"));
        }
        catch (final IOException ex)
        {
            return; // no PID 1 to compare with (a PID namespace of its own): cannot tell, let sandboxes speak
        }
        final String problem = problem(own, host, NETNS_DIR.toString());
        if (problem != null)
        {
            throw JvsException.forbidden(problem);
        }
    }

    /**
     * Null if a mount made on {@code dir} in the mount namespace described by {@code own} reaches the one described
     * by {@code host} (both in /proc/PID/mountinfo's format), else what is wrong and how to start instead.
     */
    static String problem(final List<String> own, final List<String> host, final String dir)
    {
        final String[] mount = coveringMount(own, dir);
        if (mount == null)
        {
            return null;
        }
        final String group = sharedGroup(mount);
        for (final String line : host)
        {
            final String[] fields = line.split(" ");
            if (fields.length > MOUNT_POINT_FIELD && fields[MOUNT_ID_FIELD].equals(mount[MOUNT_ID_FIELD]) &&
                fields[MOUNT_POINT_FIELD].equals(mount[MOUNT_POINT_FIELD]))
            {
                return null; // the very same mount (ids are unique across namespaces): the host's namespace
            }
            if (group != null && group.equals(sharedGroup(fields)))
            {
                return null;
            }
        }
        return "this process runs in a mount namespace whose mounts do not reach the host's (" + mount[MOUNT_POINT_FIELD] +
            " is " + (group == null ? "not shared" : "shared only with other private namespaces") + ", as under " +
            "'ip netns exec'): the sandboxes it made in " + dir + " could not be entered from the host. Start jvs " +
            "in the host's mount namespace; to run it inside a network namespace use " +
            "'nsenter --net=/run/netns/NS unshare -m --propagation unchanged jvs daemon ...'; or add --no-sandboxes " +
            "to serve Docker only (docs/cli.md)";
    }

    /** The mountinfo fields of the mount that holds {@code dir}: the longest mount point that is dir or above it. */
    private static String[] coveringMount(final List<String> mountinfo, final String dir)
    {
        String[] best = null;
        int bestLength = -1;
        for (final String line : mountinfo)
        {
            final String[] fields = line.split(" ");
            if (fields.length <= FIRST_OPTIONAL_FIELD)
            {
                continue;
            }
            final String point = fields[MOUNT_POINT_FIELD];
            final boolean covers = point.equals(dir) || point.equals("/") ||
                dir.startsWith(point.endsWith("/") ? point : point + "/");
            if (covers && point.length() >= bestLength) // a later mount on the same point hides the earlier one
            {
                best = fields;
                bestLength = point.length();
            }
        }
        return best;
    }

    /** "shared:N" of a mountinfo line's optional fields, or null if the mount is not shared. */
    private static String sharedGroup(final String[] fields)
    {
        for (int i = FIRST_OPTIONAL_FIELD; i < fields.length && !OPTIONAL_FIELDS_END.equals(fields[i]); i++)
        {
            if (fields[i].startsWith(SHARED))
            {
                return fields[i];
            }
        }
        return null;
    }

    private static String namespace(final Path proc)
    {
        try
        {
            return Files.readSymbolicLink(proc.resolve("ns").resolve("mnt")).toString();
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return null;
        }
    }
}
