package io.jvs.control.state;

import io.jvs.control.common.JvsException;
import io.jvs.control.netns.Command;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateJournalTest
{
    @TempDir
    Path dir;

    @Test
    void recordsSurviveReopenInOrder()
    {
        try (StateJournal journal = StateJournal.open(dir))
        {
            for (int i = 0; i < 100; i++)
            {
                journal.append(i % 2 == 0 ? "network.create" : "endpoint.create", "{\"n\":" + i + "}");
            }
        }
        final List<StateJournal.Record> seen = new ArrayList<>();
        try (StateJournal journal = StateJournal.open(dir))
        {
            assertEquals(100, journal.replay((t, j) -> seen.add(new StateJournal.Record(t, j))));
        }
        assertEquals(100, seen.size());
        assertEquals(new StateJournal.Record("network.create", "{\"n\":0}"), seen.get(0));
        assertEquals(new StateJournal.Record("endpoint.create", "{\"n\":99}"), seen.get(99));
    }

    @Test
    void compactReplacesHistoryAndAppendsContinue()
    {
        try (StateJournal journal = StateJournal.open(dir))
        {
            journal.append("a", "1");
            journal.append("b", "2");
            journal.compact(List.of(new StateJournal.Record("snapshot", "{\"x\":1}")));
            journal.append("c", "3");
        }
        final List<String> types = new ArrayList<>();
        try (StateJournal journal = StateJournal.open(dir))
        {
            journal.replay((t, j) -> types.add(t));
        }
        assertEquals(List.of("snapshot", "c"), types);
    }

    @Test
    void aTornTailIsCutOffAndAppendsContinueAfterTheLastWholeRecord() throws IOException
    {
        writeThree();
        final Path file = dir.resolve(StateJournal.FILE);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.truncate(channel.size() - 5); // a crash in the middle of the last write
        }
        try (StateJournal journal = StateJournal.open(dir))
        {
            assertEquals(List.of("a", "b"), types(journal));
            assertEquals(StateJournal.encode(new StateJournal.Record("c", "{\"n\":3}")).remaining() - 5,
                journal.droppedTailBytes());
            journal.append("d", "{}");
        }
        try (StateJournal journal = StateJournal.open(dir))
        {
            assertEquals(List.of("a", "b", "d"), types(journal));
            assertEquals(0, journal.droppedTailBytes());
        }
    }

    @Test
    void aDamagedRecordEndsTheReplayThere() throws IOException
    {
        writeThree();
        try (RandomAccessFile file = new RandomAccessFile(dir.resolve(StateJournal.FILE).toFile(), "rw"))
        {
            file.seek(file.length() - 2);
            final int b = file.read();
            file.seek(file.length() - 2);
            file.write(b ^ 0x40); // one flipped bit in the last record's json
        }
        try (StateJournal journal = StateJournal.open(dir))
        {
            assertEquals(List.of("a", "b"), types(journal));
            assertTrue(journal.droppedTailBytes() > 0);
        }
    }

    @Test
    void aFileThatIsNotAJournalIsRefusedAndLeftAlone() throws IOException
    {
        Files.writeString(dir.resolve(StateJournal.FILE), "not a journal at all");
        try (StateJournal journal = StateJournal.open(dir))
        {
            final JvsException ex = assertThrows(JvsException.class, () -> types(journal));
            assertTrue(ex.getMessage().contains("not a jvs journal"), ex.getMessage());
        }
        assertEquals("not a journal at all", Files.readString(dir.resolve(StateJournal.FILE)));
    }

    @Test
    void aChronicleJournalOfTheEarlierReleaseIsConvertedOnce()
    {
        try (ChronicleQueue queue = SingleChronicleQueueBuilder.single(dir.resolve("journal").toFile())
            .rollCycle(RollCycles.DEFAULT).build())
        {
            final ExcerptAppender appender = queue.createAppender();
            for (final String type : List.of("put", "remove", "batch"))
            {
                appender.writeDocument(w -> w.write("type").text(type).write("json").text("{\"t\":\"" + type + "\"}"));
            }
        }
        final List<StateJournal.Record> seen = new ArrayList<>();
        try (StateJournal journal = StateJournal.open(dir))
        {
            journal.replay((t, j) -> seen.add(new StateJournal.Record(t, j)));
        }
        assertEquals(List.of(new StateJournal.Record("put", "{\"t\":\"put\"}"),
            new StateJournal.Record("remove", "{\"t\":\"remove\"}"),
            new StateJournal.Record("batch", "{\"t\":\"batch\"}")), seen);
        assertFalse(Files.exists(dir.resolve("journal")), "the Chronicle journal is gone once converted");
    }

    /**
     * A real full volume (a 256 KB tmpfs): the write that does not fit is refused with one clear error, the journal
     * keeps every earlier record, a compaction that does not fit keeps the old journal, and once space is freed
     * appends work again.
     */
    @Test
    void aFullVolumeRefusesTheWriteAndKeepsThePreviousStateReadable() throws Exception
    {
        final Path volume = Files.createDirectories(dir.resolve("volume"));
        final Duration timeout = Duration.ofSeconds(10);
        Command.run("mount", "-t", "tmpfs", "-o", "size=256k", "jvs-test-state", volume.toString());
        try
        {
            try (StateJournal journal = StateJournal.open(volume))
            {
                journal.append("a", "{\"n\":1}");
                journal.append("b", "{\"n\":2}");
                fill(volume.resolve("filler"));
                final String big = "{\"pad\":\"" + "x".repeat(64 * 1024) + "\"}";
                final JvsException full = assertThrows(JvsException.class, () -> journal.append("c", big));
                assertTrue(full.getMessage().contains("the state volume is full"), full.getMessage());
                final JvsException compact = assertThrows(JvsException.class,
                    () -> journal.compact(List.of(new StateJournal.Record("snapshot", big))));
                assertTrue(compact.getMessage().contains("the previous one is kept"), compact.getMessage());
            }
            try (StateJournal journal = StateJournal.open(volume))
            {
                assertEquals(List.of("a", "b"), types(journal));
                assertEquals(0, journal.droppedTailBytes(), "the refused write left nothing behind");
                Files.delete(volume.resolve("filler"));
                journal.append("c", "{\"n\":3}");
            }
            try (StateJournal journal = StateJournal.open(volume))
            {
                assertEquals(List.of("a", "b", "c"), types(journal));
            }
        }
        finally
        {
            Command.exec(timeout, "umount", volume.toString());
        }
    }

    private void writeThree()
    {
        try (StateJournal journal = StateJournal.open(dir))
        {
            journal.append("a", "{\"n\":1}");
            journal.append("b", "{\"n\":2}");
            journal.append("c", "{\"n\":3}");
        }
    }

    private static List<String> types(final StateJournal journal)
    {
        final List<String> types = new ArrayList<>();
        journal.replay((t, j) -> types.add(t));
        return types;
    }

    /** Writes until the volume is full (bounded by its size). */
    private static void fill(final Path file) throws IOException
    {
        final ByteBuffer block = ByteBuffer.allocate(4096);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE))
        {
            for (int i = 0; i < 1024; i++)
            {
                block.clear();
                channel.write(block);
            }
        }
        catch (final IOException ex)
        {
            if (ex.getMessage() == null || !ex.getMessage().contains("No space left"))
            {
                throw ex;
            }
            return;
        }
        throw new AssertionError("a 256 KB volume took 4 MB");
    }
}
