package io.jvs.control.state;

import io.jvs.control.common.JvsException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.zip.CRC32C;

/**
 * The control plane's durable record of what it was asked to do: an append-only file of {@code (type, json)}
 * records under the state directory, replayed in order on start; {@link #compact} rewrites it as the minimal set of
 * records that rebuild the current state, so it does not grow without bound.
 * <pre>
 * file    "JVSJ" u32 version, then records
 * record  u32 payload length, u32 CRC32C of the payload, payload = type UTF-8, '\n', json UTF-8   (little-endian)
 * </pre>
 * Each append is written with one write and flushed to the device ({@code fdatasync}) before it returns, so a
 * power cut loses at most the change in flight. A torn or corrupt tail (a crash in the middle of a write, a damaged
 * block) ends the replay there and is cut off, reported by {@link #droppedTailBytes}. A write the volume cannot
 * take (full, read-only, I/O error) is undone (the file is cut back to where it was) and refused with one clear
 * error, leaving the journal as it was: nothing is memory-mapped, so a full volume is an error, never a SIGBUS.
 * <p>
 * A state directory of jvs before 2026-12-08 holds a Chronicle Queue journal instead ({@code journal/}); it is read
 * once ({@link ChronicleJournal}), rewritten in this format and removed.
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
            if (type.indexOf('\n') >= 0)
            {
                throw new IllegalArgumentException("journal record type with a newline: " + type);
            }
        }
    }

    static final String FILE = "journal.log";
    private static final String FRESH = FILE + ".new";
    private static final int MAGIC = 0x4A53_564A; // "JVSJ" read little-endian
    private static final int VERSION = 1;
    private static final int FILE_HEADER_LENGTH = 8;
    private static final int RECORD_HEADER_LENGTH = 8;
    /** Far above any record jvs writes (a network with its options and pools is a few KB): a length past it is junk. */
    static final int MAX_RECORD_LENGTH = 16 << 20;
    private static final byte SEPARATOR = '\n';

    private final Path stateDir;
    private FileChannel channel;
    private long droppedTailBytes;

    private StateJournal(final Path stateDir)
    {
        this.stateDir = stateDir;
    }

    /** Opens (creating if needed) the journal under {@code stateDir}, first converting a Chronicle journal. */
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
        final StateJournal journal = new StateJournal(stateDir);
        if (ChronicleJournal.existsIn(stateDir))
        {
            if (!Files.exists(journal.file()))
            {
                journal.writeFresh(ChronicleJournal.readAll(stateDir));
            }
            ChronicleJournal.delete(stateDir); // converted (now or by a start that died before this)
        }
        journal.channel = journal.openChannel();
        return journal;
    }

    /** Appends one record; it is on the device when this returns. @throws JvsException if the volume refuses it. */
    public synchronized void append(final String type, final String json)
    {
        final ByteBuffer record = encode(new Record(type, json));
        long end = -1;
        try
        {
            end = channel.size();
            channel.position(end);
            while (record.hasRemaining())
            {
                channel.write(record);
            }
            channel.force(false);
        }
        catch (final IOException ex)
        {
            undoPartialWrite(end, ex);
            throw refused("cannot write the state journal " + file(), ex);
        }
    }

    /**
     * Hands every whole record, oldest first, to the consumer; a torn or corrupt tail ends the replay and is cut off.
     *
     * @return the number of records replayed.
     */
    public synchronized long replay(final BiConsumer<String, String> consumer)
    {
        final long size;
        final ByteBuffer all;
        try
        {
            size = channel.size();
            if (size > Integer.MAX_VALUE - 8)
            {
                throw new IllegalStateException("state journal " + file() + " is " + size + " bytes: not a jvs journal");
            }
            all = ByteBuffer.allocate((int)size).order(ByteOrder.LITTLE_ENDIAN);
            channel.position(0);
            while (all.hasRemaining() && channel.read(all) >= 0)
            {
                // read it all: a journal holds one record per live row plus the changes since the last start
            }
            all.flip();
        }
        catch (final IOException ex)
        {
            throw refused("cannot read the state journal " + file(), ex);
        }
        checkHeader(all);
        long count = 0;
        final CRC32C crc = new CRC32C();
        while (all.remaining() >= RECORD_HEADER_LENGTH)
        {
            final int start = all.position();
            final int length = all.getInt();
            final int expected = all.getInt();
            if (length < 1 || length > MAX_RECORD_LENGTH || length > all.remaining())
            {
                all.position(start);
                break;
            }
            crc.reset();
            crc.update(all.array(), all.position(), length);
            if ((int)crc.getValue() != expected)
            {
                all.position(start);
                break;
            }
            final Record record = decode(all.array(), all.position(), length);
            all.position(all.position() + length);
            consumer.accept(record.type(), record.json());
            count++;
        }
        final long validEnd = all.position();
        if (validEnd < size)
        {
            droppedTailBytes = size - validEnd;
            try
            {
                channel.truncate(validEnd);
                channel.force(true);
            }
            catch (final IOException ex)
            {
                throw refused("cannot cut the torn tail off the state journal " + file(), ex);
            }
        }
        return count;
    }

    /** Bytes of a torn or corrupt tail the last {@link #replay} cut off (0: the journal was whole). */
    public synchronized long droppedTailBytes()
    {
        return droppedTailBytes;
    }

    /**
     * Replaces the whole journal with {@code records}: written and flushed to a fresh file beside the old one, then
     * renamed over it, so a crash at any point leaves either the old or the new journal complete. A volume that
     * cannot take the fresh file leaves the old journal in use and refuses with one clear error.
     */
    public synchronized void compact(final List<Record> records)
    {
        writeFresh(records);
        closeChannel();
        channel = openChannel();
    }

    @Override
    public synchronized void close()
    {
        closeChannel();
    }

    private Path file()
    {
        return stateDir.resolve(FILE);
    }

    private void writeFresh(final List<Record> records)
    {
        final Path fresh = stateDir.resolve(FRESH);
        try
        {
            try (FileChannel out = FileChannel.open(fresh, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE))
            {
                writeFully(out, header());
                for (final Record record : records)
                {
                    writeFully(out, encode(record));
                }
                out.force(true);
            }
            Files.move(fresh, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory();
        }
        catch (final IOException ex)
        {
            try
            {
                Files.deleteIfExists(fresh);
            }
            catch (final IOException suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw refused("cannot rewrite the state journal in " + stateDir + " (the previous one is kept)", ex);
        }
    }

    private FileChannel openChannel()
    {
        final Path file = file();
        try
        {
            final boolean created = !Files.exists(file);
            final FileChannel opened = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
            if (created || opened.size() == 0)
            {
                try
                {
                    writeFully(opened, header());
                    opened.force(true);
                }
                catch (final IOException ex)
                {
                    opened.close();
                    throw ex;
                }
            }
            return opened;
        }
        catch (final IOException ex)
        {
            throw refused("cannot open the state journal " + file, ex);
        }
    }

    private void closeChannel()
    {
        if (channel != null)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot close the state journal " + file(), ex);
            }
            finally
            {
                channel = null;
            }
        }
    }

    private void undoPartialWrite(final long end, final IOException cause)
    {
        if (end < 0)
        {
            return;
        }
        try
        {
            channel.truncate(end); // a later append must not follow half a record
        }
        catch (final IOException ex)
        {
            cause.addSuppressed(ex); // the next replay cuts the torn tail off instead
        }
    }

    private void syncDirectory() throws IOException
    {
        // The rename is durable once the directory is: flush it (Linux lets a directory be opened for reading).
        try (FileChannel dir = FileChannel.open(stateDir, StandardOpenOption.READ))
        {
            dir.force(true);
        }
    }

    private void checkHeader(final ByteBuffer all)
    {
        if (all.remaining() < FILE_HEADER_LENGTH)
        {
            all.position(all.limit()); // a header torn at creation: an empty journal
            return;
        }
        final int magic = all.getInt();
        final int version = all.getInt();
        if (magic != MAGIC)
        {
            throw JvsException.invalid("the state journal " + file() + " is not a jvs journal (bad magic); move it " +
                "away to start with an empty state");
        }
        if (version != VERSION)
        {
            throw JvsException.invalid("the state journal " + file() + " has format " + version + ", this jvs reads " +
                VERSION + ": run the jvs that wrote it, or move the state directory away");
        }
    }

    private static ByteBuffer header()
    {
        return ByteBuffer.allocate(FILE_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN).putInt(MAGIC).putInt(VERSION)
            .flip();
    }

    static ByteBuffer encode(final Record record)
    {
        final byte[] type = record.type().getBytes(StandardCharsets.UTF_8);
        final byte[] json = record.json().getBytes(StandardCharsets.UTF_8);
        final int length = type.length + 1 + json.length;
        if (length > MAX_RECORD_LENGTH)
        {
            throw JvsException.invalid("state record of " + length + " bytes is over the limit of " +
                MAX_RECORD_LENGTH);
        }
        final ByteBuffer buffer = ByteBuffer.allocate(RECORD_HEADER_LENGTH + length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(length).putInt(0).put(type).put(SEPARATOR).put(json);
        final CRC32C crc = new CRC32C();
        crc.update(buffer.array(), RECORD_HEADER_LENGTH, length);
        buffer.putInt(Integer.BYTES, (int)crc.getValue());
        return buffer.flip();
    }

    private static Record decode(final byte[] bytes, final int offset, final int length)
    {
        int separator = offset;
        while (separator < offset + length && bytes[separator] != SEPARATOR)
        {
            separator++;
        }
        final String type = new String(bytes, offset, separator - offset, StandardCharsets.UTF_8);
        final int json = Math.min(separator + 1, offset + length);
        return new Record(type, new String(bytes, json, offset + length - json, StandardCharsets.UTF_8));
    }

    private static void writeFully(final FileChannel channel, final ByteBuffer buffer) throws IOException
    {
        while (buffer.hasRemaining())
        {
            channel.write(buffer);
        }
    }

    private static JvsException refused(final String what, final IOException cause)
    {
        final String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new JvsException(JvsException.Kind.INTERNAL, what + ": " + reason +
            (reason.contains("No space left") ? " (the state volume is full: free space and retry)" : ""), cause);
    }
}
