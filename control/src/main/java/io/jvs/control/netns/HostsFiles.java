package io.jvs.control.netns;

import io.jvs.control.common.JvsException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Name resolution for sandboxes through {@code /etc/netns/<sandbox>/}: {@code ip netns exec} bind-mounts each file
 * there over its namesake in /etc. As Docker's on user-defined networks, the hosts file names localhost and the
 * sandbox itself only (so an attach rewrites one small file, not every sandbox's); resolv.conf points at 127.0.0.11
 * (Docker's embedded DNS address), where the daemon's resolver ({@code io.jvs.control.dns.SandboxDns}, an
 * {@link Observer} of these files) answers the peers' names and forwards the rest to the host's resolvers, which a
 * sandbox cannot reach itself. Without it, peers' and other names fail at once.
 */
public final class HostsFiles
{
    public static final Path DEFAULT_ROOT = Path.of("/etc/netns");

    private static final String HEADER =
        "# Written by jvs: this sandbox's own name. Peers resolve through jvs's resolver at 127.0.0.11.\n" +
        "127.0.0.1\tlocalhost\n" +
        "::1\tlocalhost ip6-localhost ip6-loopback\n";
    private static final String RESOLV_CONF =
        "# Written by jvs: 127.0.0.11 is jvs's resolver (peers by name, other names via the host's resolvers).\n" +
        "nameserver 127.0.0.11\n" +
        "options ndots:0 timeout:1 attempts:1\n";

    /** One line of a hosts file. */
    public record HostEntry(String address, String name)
    {
    }

    /** Told after a sandbox's hosts file is written and after its files are removed. */
    public interface Observer
    {
        Observer NONE = new Observer()
        {
        };

        default void written(final String sandbox)
        {
        }

        default void removed(final String sandbox)
        {
        }
    }

    private final Path root;
    private final Observer observer;

    public HostsFiles(final Path root)
    {
        this(root, Observer.NONE);
    }

    public HostsFiles(final Path root, final Observer observer)
    {
        this.root = root;
        this.observer = observer;
    }

    public Path directory(final String sandbox)
    {
        return root.resolve(sandbox);
    }

    public void create(final String sandbox)
    {
        try
        {
            Files.createDirectories(directory(sandbox));
            Files.writeString(directory(sandbox).resolve("resolv.conf"), RESOLV_CONF);
        }
        catch (final IOException ex)
        {
            throw new JvsException(JvsException.Kind.INTERNAL,
                "cannot write " + directory(sandbox) + ": " + ex.getMessage(), ex);
        }
        write(sandbox, List.of());
    }

    /**
     * Rewrites the hosts file in place (truncate and write, not rename) so processes already running in the sandbox,
     * whose /etc/hosts is a bind mount of this very inode, see the change.
     */
    public void write(final String sandbox, final List<HostEntry> entries)
    {
        final StringBuilder text = new StringBuilder(HEADER);
        for (final HostEntry entry : entries)
        {
            text.append(entry.address()).append('\t').append(entry.name()).append('\n');
        }
        final Path file = directory(sandbox).resolve("hosts");
        try
        {
            Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new JvsException(JvsException.Kind.INTERNAL, "cannot write " + file + ": " + ex.getMessage(), ex);
        }
        observer.written(sandbox);
    }

    /** @return whether the sandbox's files were written by jvs (so a namespace of that name is jvs's to adopt). */
    public boolean isOurs(final String sandbox)
    {
        try
        {
            final Path file = directory(sandbox).resolve("resolv.conf");
            return Files.exists(file) && Files.readString(file).startsWith(RESOLV_CONF.substring(0, 16));
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    public void remove(final String sandbox)
    {
        observer.removed(sandbox);
        final Path dir = directory(sandbox);
        if (!Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> files = Files.walk(dir))
        {
            for (final Path path : files.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            throw new JvsException(JvsException.Kind.INTERNAL, "cannot remove " + dir + ": " + ex.getMessage(), ex);
        }
    }
}
