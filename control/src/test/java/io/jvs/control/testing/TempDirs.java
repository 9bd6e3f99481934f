package io.jvs.control.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A test's private directory (sockets, state journal) removed with everything under it. */
public final class TempDirs
{
    private TempDirs()
    {
    }

    /** Deletes {@code dir} and everything below it; nothing happens when it is null or gone. */
    public static void deleteTree(final Path dir) throws IOException
    {
        if (dir == null || !Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
    }
}
