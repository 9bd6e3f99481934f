package io.jvs.control.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.jvs.control.common.JvsException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Durable keyed tables over the {@link StateJournal}: each change is one journal record, replayed on open into the
 * live rows, and the journal is compacted to exactly those rows right after, so it holds one record per live row
 * plus the changes since the last start.
 * <pre>
 * journal record  type "put"    json {"t": table, "k": key, "v": row}
 *                 type "remove" json {"t": table, "k": key}
 *                 type "batch"  json {"c": [{"t": table, "k": key, "v": row}, {"t": table, "k": key}, ...]}
 * </pre>
 * A batch is one record, so its changes come back all or none (a store that must stay consistent across keys, like
 * the overlay's local cluster store, writes each transaction as one batch).
 * Rows are JSON trees; their owners (the network store, the Docker driver, its IPAM) encode and decode them.
 * Thread safe: the journal serialises appends, the live view is guarded by this object.
 */
public final class StateTables implements AutoCloseable
{
    static final String PUT = "put";
    static final String REMOVE = "remove";
    static final String BATCH = "batch";
    private static final String CHANGES = "c";
    private static final String TABLE = "t";
    private static final String KEY = "k";
    private static final String VALUE = "v";
    private static final String LOCK_FILE = "lock";

    /** One change of a {@linkplain #apply batch}: a put, or a remove when {@code row} is null. */
    public record Change(String table, String key, JsonNode row)
    {
        public static Change remove(final String table, final String key)
        {
            return new Change(table, key, null);
        }
    }

    private final ObjectMapper json = new ObjectMapper();
    private final StateJournal journal;
    private final Map<String, Map<String, JsonNode>> tables = new TreeMap<>();
    private final long replayed;

    private final FileChannel lockFile;

    private StateTables(final StateJournal journal, final FileChannel lockFile)
    {
        this.journal = journal;
        this.lockFile = lockFile;
        replayed = journal.replay(this::apply);
        if (journal.droppedTailBytes() > 0)
        {
            System.err.println("jvs: warning: the state journal ended in " + journal.droppedTailBytes() +
                " bytes of a torn or damaged record (a crash or power cut during a write): cut off, " + replayed +
                " whole records kept");
        }
        try
        {
            journal.compact(snapshot());
        }
        catch (final JvsException ex)
        {
            // Optional: the uncompacted journal is whole. A full volume must not stop the switch from starting.
            System.err.println("jvs: warning: " + ex.getMessage() + "; running on the uncompacted journal");
        }
    }

    /**
     * Opens the journal under {@code stateDir}, replays it and compacts it. One process at a time: the directory's
     * lock file is held until {@link #close} (the kernel drops it when the process dies, SIGKILL included).
     */
    public static StateTables open(final Path stateDir)
    {
        // Before anything is written there: a newer or unreadable state is refused as it is.
        StateFormat.check(stateDir);
        final FileChannel lock;
        try
        {
            Files.createDirectories(stateDir);
            lock = FileChannel.open(stateDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (tryLock(lock) == null)
            {
                lock.close();
                throw new JvsException(JvsException.Kind.CONFLICT,
                    "another jvs daemon is using the state directory " + stateDir);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot lock the state directory " + stateDir, ex);
        }
        StateJournal journal = null;
        try
        {
            StateFormat.stamp(stateDir);
            journal = StateJournal.open(stateDir);
            return new StateTables(journal, lock);
        }
        catch (final RuntimeException ex)
        {
            if (journal != null)
            {
                journal.close();
            }
            try
            {
                lock.close();
            }
            catch (final IOException suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
    }

    /** Null when another process, or another open in this one, holds the lock. */
    private static FileLock tryLock(final FileChannel channel) throws IOException
    {
        try
        {
            return channel.tryLock();
        }
        catch (final OverlappingFileLockException ex)
        {
            return null;
        }
    }

    /** Records replayed at open (before compaction). */
    public long replayedRecords()
    {
        return replayed;
    }

    /** The live rows of one table, in the order they were first written. */
    public synchronized Map<String, JsonNode> rows(final String table)
    {
        return Collections.unmodifiableMap(new LinkedHashMap<>(tables.getOrDefault(table, Map.of())));
    }

    /** Journals and applies a row; a row equal to the live one is not written again (a restart re-puts many). */
    public synchronized void put(final String table, final String key, final JsonNode row)
    {
        if (row.equals(tables.getOrDefault(table, Map.of()).get(key)))
        {
            return;
        }
        final ObjectNode record = json.createObjectNode().put(TABLE, table).put(KEY, key);
        record.set(VALUE, row);
        journal.append(PUT, record.toString());
        tables.computeIfAbsent(table, t -> new LinkedHashMap<>()).put(key, row);
    }

    public synchronized void remove(final String table, final String key)
    {
        final Map<String, JsonNode> rows = tables.get(table);
        if (rows == null || !rows.containsKey(key))
        {
            return;
        }
        journal.append(REMOVE, json.createObjectNode().put(TABLE, table).put(KEY, key).toString());
        rows.remove(key);
    }

    /** Applies the changes as one journal record: after a crash, either all of them are there or none. */
    public synchronized void apply(final List<Change> changes)
    {
        if (changes.isEmpty())
        {
            return;
        }
        final ObjectNode record = json.createObjectNode();
        final ArrayNode list = record.putArray(CHANGES);
        for (final Change change : changes)
        {
            final ObjectNode c = list.addObject().put(TABLE, change.table()).put(KEY, change.key());
            if (change.row() != null)
            {
                c.set(VALUE, change.row());
            }
        }
        journal.append(BATCH, record.toString());
        applyChanges(record);
    }

    @Override
    public void close()
    {
        try
        {
            journal.close();
        }
        finally
        {
            try
            {
                lockFile.close();
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
    }

    private synchronized List<StateJournal.Record> snapshot()
    {
        final List<StateJournal.Record> records = new ArrayList<>();
        tables.forEach((table, rows) -> rows.forEach((key, row) ->
        {
            final ObjectNode record = json.createObjectNode().put(TABLE, table).put(KEY, key);
            record.set(VALUE, row);
            records.add(new StateJournal.Record(PUT, record.toString()));
        }));
        return records;
    }

    private void apply(final String type, final String text)
    {
        final JsonNode record;
        try
        {
            record = json.readTree(text);
        }
        catch (final JsonProcessingException ex)
        {
            throw unreadable("a record of type \"" + type + "\" that is not JSON (" + ex.getOriginalMessage() + ")");
        }
        if (record == null || !record.isObject())
        {
            throw unreadable("a record of type \"" + type + "\" that is not a JSON object");
        }
        switch (type)
        {
            case PUT, REMOVE -> applyOne(record, PUT.equals(type));
            case BATCH -> applyChanges(record);
            default -> throw unreadable("a record of unknown type \"" + type + "\" (written by a newer jvs?)");
        }
    }

    /** The journal's checksums hold but its content does not: nothing is changed, the start is refused. */
    private static JvsException unreadable(final String what)
    {
        return JvsException.invalid("the state journal holds " + what + ": run the jvs that wrote it, or move " +
            "the state directory away to start empty");
    }

    private void applyChanges(final JsonNode batch)
    {
        batch.path(CHANGES).forEach(c -> applyOne(c, c.has(VALUE)));
    }

    private void applyOne(final JsonNode record, final boolean put)
    {
        final String table = record.path(TABLE).asText();
        final String key = record.path(KEY).asText();
        if (put)
        {
            tables.computeIfAbsent(table, t -> new LinkedHashMap<>()).put(key, record.get(VALUE));
        }
        else
        {
            final Map<String, JsonNode> rows = tables.get(table);
            if (rows != null)
            {
                rows.remove(key);
            }
        }
    }
}
