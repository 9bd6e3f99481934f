package io.jvs.control.state;

import io.jvs.control.common.JvsException;
import io.jvs.control.common.JvsVersion;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The state directory's format version: a file {@code format} beside the journal holding one number. A directory
 * without it was written before the file existed and is version 1 (today's journal). A jvs reads its own version and
 * older ones (migrating them when a later version needs it) and refuses a newer one with one line, before it writes
 * anything there, so a downgrade never rewrites a state it does not understand.
 */
public final class StateFormat
{
    /** The format this jvs writes. Raise it when the journal's records change in a way older readers mis-read. */
    public static final int CURRENT = 1;
    static final String FILE = "format";
    private static final int WITHOUT_FILE = 1;

    private StateFormat()
    {
    }

    /**
     * The version of the state in {@code stateDir} (1 for a directory without the file, or an empty or new one).
     * Reads only.
     *
     * @throws JvsException when the directory cannot be read, the file is not a number, or the version is newer
     *                      than {@link #CURRENT}.
     */
    public static int check(final Path stateDir)
    {
        if (!Files.isDirectory(stateDir))
        {
            if (Files.exists(stateDir))
            {
                throw refuse("the state directory " + stateDir + " is not a directory: give another --state-dir");
            }
            return CURRENT;
        }
        if (!Files.isReadable(stateDir) || !Files.isWritable(stateDir) || !Files.isExecutable(stateDir))
        {
            throw refuse("cannot read and write the state directory " + stateDir + ": fix its owner or mode " +
                "(jvs runs as root without CAP_DAC_OVERRIDE under jvs.service) or give another --state-dir");
        }
        final String text;
        try
        {
            text = Files.readString(stateDir.resolve(FILE), StandardCharsets.US_ASCII).strip();
        }
        catch (final NoSuchFileException ex)
        {
            return WITHOUT_FILE;
        }
        catch (final IOException ex)
        {
            throw refuse("cannot read " + stateDir.resolve(FILE) + " (" + ex.getMessage() + "): fix its mode or " +
                "give another --state-dir");
        }
        final int version;
        try
        {
            version = Integer.parseInt(text);
        }
        catch (final NumberFormatException ex)
        {
            throw refuse(stateDir.resolve(FILE) + " holds '" + text + "', not a format number: restore it (" +
                CURRENT + " for a state of this jvs) or give another --state-dir");
        }
        if (version > CURRENT || version < 1)
        {
            throw refuse("the state in " + stateDir + " is format " + version + ", this jvs " +
                JvsVersion.version() + " reads formats 1 to " + CURRENT + ": run the jvs that wrote it (or a " +
                "newer one), or give another --state-dir to start empty");
        }
        return version;
    }

    /**
     * Records {@link #CURRENT} in {@code stateDir} once it is checked and locked, unless it says so already (written
     * whole: a file beside it, then renamed).
     */
    public static void stamp(final Path stateDir)
    {
        final Path file = stateDir.resolve(FILE);
        final Path tmp = stateDir.resolve(FILE + ".tmp");
        try
        {
            if (Files.exists(file) && Files.readString(file, StandardCharsets.US_ASCII).strip().equals("" + CURRENT))
            {
                return;
            }
            Files.writeString(tmp, CURRENT + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write " + file, ex);
        }
    }

    private static JvsException refuse(final String message)
    {
        return new JvsException(JvsException.Kind.CONFLICT, message);
    }
}
