package io.jvs.control.netns;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Lines as this machine's /proc/PID/mountinfo shows them, in the host's namespace and under other launchers. */
class MountPropagationTest
{
    private static final String ROOT = "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw";
    private static final String RUN = "31 27 0:25 / /run rw,nosuid - tmpfs tmpfs rw";
    private static final List<String> HOST = List.of(ROOT,
        "45 27 254:0 /run/netns /run/netns rw,relatime shared:1 - ext4 /dev/vda rw",
        "50 45 0:4 net:[4026532301] /run/netns/other rw shared:1 - nsfs nsfs rw");

    @Test
    void aSharedNetnsDirectoryInTheHostsPeerGroupReachesTheHost()
    {
        // unshare -m --propagation unchanged: the copy stays in the host's peer group
        final List<String> own = List.of("90 89 254:0 / / rw,relatime - ext4 /dev/vda rw",
            "91 90 254:0 /run/netns /run/netns rw,relatime shared:1 - ext4 /dev/vda rw");
        assertNull(MountPropagation.problem(own, HOST, "/run/netns"));
    }

    @Test
    void aSlaveCopyAsUnderIpNetnsExecIsRefusedWithHowToStartInstead()
    {
        final List<String> own = List.of("85 57 254:0 / / rw,relatime - ext4 /dev/vda rw",
            "86 85 254:0 /run/netns /run/netns rw,relatime master:1 - ext4 /dev/vda rw");
        final String problem = MountPropagation.problem(own, HOST, "/run/netns");
        assertNotNull(problem);
        assertTrue(problem.contains("/run/netns is not shared") && problem.contains("nsenter --net="), problem);
    }

    @Test
    void theMountThatHoldsTheDirectoryDecidesWhenItIsNoMountPointItself()
    {
        // No /run/netns mount yet: the shared /run above it decides, by its peer group.
        final List<String> host = List.of(ROOT, "31 27 0:25 / /run rw,nosuid shared:7 - tmpfs tmpfs rw");
        final List<String> shared = List.of(ROOT, "91 90 0:25 / /run rw,nosuid shared:7 - tmpfs tmpfs rw");
        final List<String> privateCopy = List.of(ROOT, "91 90 0:25 / /run rw,nosuid shared:12 - tmpfs tmpfs rw");
        assertNull(MountPropagation.problem(shared, host, "/run/netns"));
        final String problem = MountPropagation.problem(privateCopy, host, "/run/netns");
        assertNotNull(problem);
        assertTrue(problem.contains("shared only with other private namespaces"), problem);
        assertNotNull(MountPropagation.problem(List.of(ROOT, "96 27 0:25 / /run rw,nosuid - tmpfs tmpfs rw"), host,
            "/run/netns"), "a private /run");
    }

    @Test
    void theHostsOwnNamespaceIsKnownByMountIdsEvenWithNothingShared()
    {
        // PID 1's namespace link can be unreadable (this machine); the same mount ids mean the same namespace.
        final List<String> host = List.of(ROOT, RUN);
        assertNull(MountPropagation.problem(host, host, "/run/netns"));
        assertNotNull(MountPropagation.problem(List.of("90 89 254:0 / / rw - ext4 /dev/vda rw",
            "91 90 0:25 / /run rw,nosuid - tmpfs tmpfs rw"), host, "/run/netns"), "a private copy of the same");
    }

    @Test
    void optionalFieldsEndAtTheSeparatorAndMountsOnTheSamePointHideEarlierOnes()
    {
        // "shared:3" after the separator is a super option, not a propagation field; the later mount wins.
        final List<String> own = List.of(ROOT,
            "91 27 254:0 /run/netns /run/netns rw shared:1 - ext4 /dev/vda rw",
            "92 91 254:0 /run/netns /run/netns rw master:1 - ext4 shared:1 rw");
        assertNotNull(MountPropagation.problem(own, HOST, "/run/netns"));
    }
}
