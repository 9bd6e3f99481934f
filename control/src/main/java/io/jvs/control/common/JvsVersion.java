package io.jvs.control.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The build's version: the pom's {@code project.version}, written into a resource when Maven filters it, so the CLI,
 * the API and the Debian package (bin/jvs package) carry the one version without a second place to edit.
 */
public final class JvsVersion
{
    private static final String RESOURCE = "/io/jvs/control/version.properties";
    private static final String VERSION = load();

    private JvsVersion()
    {
    }

    /** e.g. {@code 0.1.0-SNAPSHOT}; {@code unknown} when the classes run without Maven's filtered resources. */
    public static String version()
    {
        return VERSION;
    }

    private static String load()
    {
        try (InputStream in = JvsVersion.class.getResourceAsStream(RESOURCE))
        {
            if (in == null)
            {
                return "unknown";
            }
            final Properties properties = new Properties();
            properties.load(in);
            final String version = properties.getProperty("version", "unknown");
            // Unfiltered (an IDE copying the resource as is): say so rather than print a placeholder.
            return version.startsWith("${") ? "unknown" : version;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
