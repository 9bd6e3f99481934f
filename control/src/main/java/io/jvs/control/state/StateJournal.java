package io.jvs.control.state;

import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

/**
 * The control plane's durable record of what it was asked to do: an append-only Chronicle Queue of
 * {@code (type, json)} records under the state directory. Replayed in order on start; {@link #compact} rewrites
 * it as the minimal set of records that rebuild the current state, so it does not grow without bound.
 * <p>
 * Control-plane only (never the packet path); methods are synchronized because API handlers run on several threads.
 */
public final class StateJournal implements AutoCloseable
{
    /** One journal record. */
    public record Record(String type, String json)
    {
        public Record
        {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(json, "json");
        }
    }

    private static final String QUEUE_DIR = "journal";
    private static final String TYPE_FIELD = "type";
    private static final String JSON_FIELD = "json";

    private final Path stateDir;
    private ChronicleQueue queue;
    private ExcerptAppender appender;

    private StateJournal(final Path stateDir)
    {
        this.stateDir = stateDir;
        openQueue();
    }

    /** Opens (creating if needed) the journal under {@code stateDir}. */
    public static StateJournal open(final Path stateDir)
    {
        try
        {
            Files.createDirectories(stateDir);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create state directory " + stateDir, ex);
        }
        return new StateJournal(stateDir);
    }

    /** Appends one record; it is in the memory-mapped queue file when this returns. */
    public synchronized void append(final String type, final String json)
    {
        final Record record = new Record(type, json);
        // Chronicle's appender checks it stays on one thread; ours moves between API threads under this lock.
        appender.singleThreadedCheckReset();
        appender.writeDocument(w -> w.write(TYPE_FIELD).text(record.type()).write(JSON_FIELD).text(record.json()));
    }

    /**
     * Hands every record, oldest first, to the consumer.
     *
     * @return the number of records replayed.
     */
    public synchronized long replay(final BiConsumer<String, String> consumer)
    {
        long count = 0;
        try (ExcerptTailer tailer = queue.createTailer())
        {
            tailer.toStart();
            final String[] type = new String[1];
            final String[] json = new String[1];
            while (tailer.readDocument(w -> {
                type[0] = w.read(TYPE_FIELD).text();
                json[0] = w.read(JSON_FIELD).text();
            }))
            {
                consumer.accept(type[0], json[0]);
                count++;
            }
        }
        return count;
    }

    /**
     * Replaces the whole journal with {@code records}: written to a fresh queue beside the old one, then swapped
     * in by rename, so a crash at any point leaves either the old or the new journal complete.
     */
    public synchronized void compact(final List<Record> records)
    {
        final Path fresh = stateDir.resolve(QUEUE_DIR + ".new");
        final Path old = stateDir.resolve(QUEUE_DIR + ".old");
        deleteTree(fresh);
        deleteTree(old);
        try (ChronicleQueue next = build(fresh))
        {
            final ExcerptAppender nextAppender = next.createAppender();
            for (final Record record : records)
            {
                nextAppender.writeDocument(
                    w -> w.write(TYPE_FIELD).text(record.type()).write(JSON_FIELD).text(record.json()));
            }
        }
        closeQueue();
        try
        {
            Files.move(stateDir.resolve(QUEUE_DIR), old);
            Files.move(fresh, stateDir.resolve(QUEUE_DIR));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot swap compacted journal in " + stateDir, ex);
        }
        finally
        {
            openQueue();
        }
        deleteTree(old);
    }

    @Override
    public synchronized void close()
    {
        closeQueue();
    }

    private void openQueue()
    {
        final Path dir = stateDir.resolve(QUEUE_DIR);
        final Path interrupted = stateDir.resolve(QUEUE_DIR + ".old");
        if (!Files.exists(dir) && Files.exists(interrupted))
        {
            // A compaction died between its two renames: the old journal is still whole.
            try
            {
                Files.move(interrupted, dir);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot recover journal from " + interrupted, ex);
            }
        }
        queue = build(dir);
        appender = queue.createAppender();
    }

    private void closeQueue()
    {
        if (appender != null)
        {
            appender.singleThreadedCheckReset();
            appender.close();
            appender = null;
        }
        if (queue != null)
        {
            queue.close();
            queue = null;
        }
    }

    private static ChronicleQueue build(final Path dir)
    {
        return SingleChronicleQueueBuilder.single(dir.toFile()).rollCycle(RollCycles.DEFAULT).build();
    }

    private static void deleteTree(final Path dir)
    {
        if (!Files.exists(dir))
        {
            return;
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
            throw new UncheckedIOException("cannot delete " + dir, ex);
        }
    }
}
