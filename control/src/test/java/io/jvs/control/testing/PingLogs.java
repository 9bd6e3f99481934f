package io.jvs.control.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the output file of a background {@code ping}. */
public final class PingLogs
{
    private PingLogs()
    {
    }

    /** Echo replies logged so far; 0 while the file cannot be read yet. */
    public static int replies(final Path log)
    {
        try
        {
            return (int)Files.readAllLines(log).stream().filter(l -> l.contains("bytes from")).count();
        }
        catch (final IOException ex)
        {
            return 0;
        }
    }
}
