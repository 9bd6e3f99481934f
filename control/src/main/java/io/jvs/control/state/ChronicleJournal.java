package io.jvs.control.state;

import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The journal of jvs before 2026-12-08: a Chronicle Queue in {@code journal/} of documents {@code type, json}. Read
 * once by {@link StateJournal#open} to convert a state directory, then deleted. Chronicle memory-maps its files, so
 * a full volume surfaced as a SIGBUS ({@code InternalError}) at the next start; it is no longer written.
 */
final class ChronicleJournal
{
    static final String DIR = "journal";
    private static final String INTERRUPTED_COMPACTION = DIR + ".old";
    private static final String TYPE_FIELD = "type";
    private static final String JSON_FIELD = "json";

    private ChronicleJournal()
    {
    }

    static boolean existsIn(final Path stateDir)
    {
        return Files.isDirectory(stateDir.resolve(DIR)) || Files.isDirectory(stateDir.resolve(INTERRUPTED_COMPACTION));
    }

    /** Every record, oldest first; an interrupted compaction's whole old journal if the new one was not renamed in. */
    static List<StateJournal.Record> readAll(final Path stateDir)
    {
        final Path dir = Files.isDirectory(stateDir.resolve(DIR)) ? stateDir.resolve(DIR) :
            stateDir.resolve(INTERRUPTED_COMPACTION);
        final List<StateJournal.Record> records = new ArrayList<>();
        try (ChronicleQueue queue = SingleChronicleQueueBuilder.single(dir.toFile()).rollCycle(RollCycles.DEFAULT)
            .readOnly(true).build();
            ExcerptTailer tailer = queue.createTailer())
        {
            tailer.toStart();
            final String[] type = new String[1];
            final String[] json = new String[1];
            while (tailer.readDocument(w ->
            {
                type[0] = w.read(TYPE_FIELD).text();
                json[0] = w.read(JSON_FIELD).text();
            }))
            {
                records.add(new StateJournal.Record(type[0], json[0]));
            }
        }
        return records;
    }

    static void delete(final Path stateDir)
    {
        for (final String name : List.of(DIR, INTERRUPTED_COMPACTION, DIR + ".new"))
        {
            final Path dir = stateDir.resolve(name);
            if (!Files.exists(dir))
            {
                continue;
            }
            try (Stream<Path> paths = Files.walk(dir))
            {
                for (final Path path : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList())
                {
                    Files.delete(path);
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot delete the converted journal " + dir, ex);
            }
        }
    }
}
