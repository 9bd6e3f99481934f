package io.jvs.control.cli;

import io.jvs.control.testing.InProcessCli;
import io.jvs.dataplane.SwitchConfig;
import io.jvs.tap.RingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** `jvs daemon --port-rx-slots N`: out-of-range values are refused before anything starts. */
class PortRxSlotsOptionTest
{
    @Test
    void outOfRangeSlotCountsAreRefusedWithTheRangeAndNothingStarts(@TempDir final Path dir)
    {
        final Path socket = dir.resolve("jvs.sock");
        for (final String bad : new String[] {"10", "0", "100000"})
        {
            final InProcessCli.Result result = InProcessCli.socketAfterCommand(socket)
                .run("daemon", "--port-rx-slots", bad, "--state-dir", dir.resolve("state").toString(),
                    "--no-docker-plugin", "--no-host-port");
            assertNotEquals(0, result.exit(), result.out() + result.err());
            assertTrue(result.err().contains("bad --port-rx-slots") && result.err().contains("64..65536"),
                result.err());
            assertFalse(Files.exists(socket), "no daemon was started");
        }
    }

    @Test
    void portRingsCarryTheSlotCountAndTheDefaultsOtherwise()
    {
        final SwitchConfig d = SwitchConfig.defaults();
        assertEquals(RingConfig.defaults(), d.portRings());
        final SwitchConfig config = new SwitchConfig(d.threadingMode(), d.idleStrategy(), d.ringCapacityBytes(),
            d.batchSize(), d.macTableCapacity(), d.macAgingNanos(), d.threadNice(), d.threadRtPriority(), 4096,
            d.switchCpus(), d.lanes());
        assertEquals(new RingConfig(RingConfig.DEFAULT_RX_FRAME_SIZE, 4096, RingConfig.DEFAULT_TX_FRAME_SIZE,
            RingConfig.DEFAULT_TX_FRAMES), config.portRings());
        assertThrows(IllegalArgumentException.class, () -> new SwitchConfig(d.threadingMode(), d.idleStrategy(),
            d.ringCapacityBytes(), d.batchSize(), d.macTableCapacity(), d.macAgingNanos(), 0, 0, 63,
            d.switchCpus(), d.lanes()));
    }
}
