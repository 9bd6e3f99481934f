package io.jvs.control.cli;

import io.jvs.control.testing.InProcessCli;
import io.jvs.tap.ThreadAffinity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `jvs daemon --switch-cpus CPUS`: a malformed list or a CPU this process may not use is refused before anything
 * starts.
 */
class SwitchCpusOptionTest
{
    @Test
    void badPlacementsAreRefusedWithTheReasonAndNothingStarts(@TempDir final Path dir)
    {
        final int[] allowed = ThreadAffinity.allowedCpus();
        final String missing = Integer.toString(allowed[allowed.length - 1] + 1);
        final Path socket = dir.resolve("jvs.sock");
        for (final String[] bad : new String[][] {
            {"1-0", "expected auto, none or a CPU list"},
            {"fast", "expected auto, none or a CPU list"},
            {missing, "CPU " + missing + " is not one this process may run on"}})
        {
            final InProcessCli.Result result = InProcessCli.socketAfterCommand(socket)
                .run("daemon", "--switch-cpus", bad[0], "--state-dir", dir.resolve("state").toString(),
                    "--no-docker-plugin", "--no-host-port");
            assertNotEquals(0, result.exit(), result.out() + result.err());
            assertTrue(result.err().contains("bad --switch-cpus") && result.err().contains(bad[1]), result.err());
            assertFalse(Files.exists(socket), "no daemon was started");
            assertFalse(Files.exists(dir.resolve("state")), "no state was written");
        }
    }
}
