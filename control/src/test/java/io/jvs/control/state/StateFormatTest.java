package io.jvs.control.state;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.jvs.control.common.JvsException;
import io.jvs.control.testing.InProcessCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The state directory's format file: older states are read, newer and unreadable ones refused untouched. */
class StateFormatTest
{
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @TempDir
    Path dir;

    /** A state as the release before the format file wrote it: today's journal, no {@code format}. */
    private Path previousReleaseState() throws IOException
    {
        final Path state = dir.resolve("state");
        try (StateTables tables = StateTables.open(state))
        {
            tables.put("networks", "n1", NODES.objectNode().put("Name", "pkg-net").put("Subnet", "10.240.0.0/24"));
        }
        Files.delete(state.resolve(StateFormat.FILE));
        return state;
    }

    /** Every file under {@code state} with its size and modification time: what "unchanged" means here. */
    private static List<String> snapshot(final Path state) throws IOException
    {
        try (Stream<Path> files = Files.walk(state))
        {
            return files.sorted().map(p -> p + " " + p.toFile().length() + " " + p.toFile().lastModified()).toList();
        }
    }

    @Test
    void aStateWithoutTheFileIsVersionOneReadAndStamped() throws IOException
    {
        final Path state = previousReleaseState();
        assertEquals(1, StateFormat.check(state));
        try (StateTables tables = StateTables.open(state))
        {
            assertEquals("pkg-net", tables.rows("networks").get("n1").path("Name").asText(), "rows of the old state");
        }
        assertEquals(StateFormat.CURRENT + "\n", Files.readString(state.resolve(StateFormat.FILE)));
        assertFalse(Files.exists(state.resolve(StateFormat.FILE + ".tmp")));
    }

    @Test
    void aNewerStateIsRefusedWithOneLineAndLeftAsItIs() throws IOException
    {
        final Path state = previousReleaseState();
        Files.writeString(state.resolve(StateFormat.FILE), (StateFormat.CURRENT + 1) + "\n");
        final List<String> before = snapshot(state);

        final JvsException refused = assertThrows(JvsException.class, () -> StateTables.open(state));
        assertTrue(refused.getMessage().contains("is format " + (StateFormat.CURRENT + 1)) &&
            refused.getMessage().contains("reads formats 1 to " + StateFormat.CURRENT) &&
            refused.getMessage().contains("--state-dir"), refused.getMessage());
        assertFalse(refused.getMessage().contains("\n"));
        assertEquals(before, snapshot(state), "nothing written, not even the lock file");

        // Through the daemon command: one line, exit 1, no API socket.
        final Path socket = dir.resolve("api.sock");
        InProcessCli.socketAfterCommand(socket).refuse("is format " + (StateFormat.CURRENT + 1),
            "daemon", "--config", "none", "--state-dir", state.toString(), "--no-docker-plugin", "--no-host-port");
        assertFalse(Files.exists(socket));
        assertEquals(before, snapshot(state));
    }

    @Test
    void aFormatFileThatIsNotANumberOrAPathThatIsNotADirectoryIsRefused() throws IOException
    {
        final Path state = previousReleaseState();
        Files.writeString(state.resolve(StateFormat.FILE), "two\n");
        final List<String> before = snapshot(state);
        final JvsException garbled = assertThrows(JvsException.class, () -> StateTables.open(state));
        assertTrue(garbled.getMessage().contains("holds 'two', not a format number"), garbled.getMessage());
        assertEquals(before, snapshot(state));

        final Path file = Files.writeString(dir.resolve("a-file"), "x");
        final JvsException notDir = assertThrows(JvsException.class, () -> StateTables.open(file));
        assertTrue(notDir.getMessage().contains("is not a directory"), notDir.getMessage());
        assertEquals("x", Files.readString(file));
    }
}
