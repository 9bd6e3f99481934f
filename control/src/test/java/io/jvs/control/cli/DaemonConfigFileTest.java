package io.jvs.control.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** /etc/jvs/jvs.conf: parsing, one error line per bad entry, flags over the file over the defaults. */
class DaemonConfigFileTest
{
    private record Run(int exit, String out, String err)
    {
    }

    private static Run jvs(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static Path write(final Path dir, final String... lines) throws IOException
    {
        return Files.write(dir.resolve("jvs.conf"), List.of(lines));
    }

    /** The print-config line of {@code key}. */
    private static String line(final Run run, final String key)
    {
        return run.out().lines().filter(l -> l.startsWith(key + " = ") || l.startsWith("# " + key + " "))
            .findFirst().orElseThrow(() -> new AssertionError("no " + key + " in " + run.out()));
    }

    @Test
    void fileSetsDefaultsFlagsOverrideThemAndPrintConfigSaysWhere(@TempDir final Path dir) throws IOException
    {
        final Path conf = write(dir,
            "# a comment",
            "",
            "idle = yield",
            "switch-nice = 5   # trailing comment",
            "  nat-accounting=true",
            "peers = 10.9.0.1,10.9.0.2",
            "etcd = http://10.9.0.1:2379/#fragment-kept",
            "socket = /tmp/pkg-from-file.sock");
        final Run run = jvs("daemon", "--config", conf.toString(), "--idle", "backoff", "--print-config");
        assertEquals(0, run.exit(), run.err());
        assertEquals("", run.err());
        assertTrue(line(run, "idle").matches("idle = backoff +# command line"), line(run, "idle"));
        assertTrue(line(run, "switch-nice").matches("switch-nice = 5 +# " + conf + ":4"), line(run, "switch-nice"));
        assertTrue(line(run, "nat-accounting").matches("nat-accounting = true +# " + conf + ":5"),
            line(run, "nat-accounting"));
        assertTrue(line(run, "peers").startsWith("peers = 10.9.0.1,10.9.0.2 "), line(run, "peers"));
        assertTrue(line(run, "etcd").startsWith("etcd = http://10.9.0.1:2379/#fragment-kept "), line(run, "etcd"));
        assertTrue(line(run, "state-dir").matches("state-dir = /var/lib/jvs +# default"), line(run, "state-dir"));
        assertTrue(line(run, "socket").matches("socket = /tmp/pkg-from-file.sock +# " + conf + ":8"),
            line(run, "socket"));
        assertTrue(line(run, "underlay").matches("# underlay +\\(not set\\)"), line(run, "underlay"));
        assertFalse(run.out().contains("print-config ="), "not a setting: " + run.out());

        // jvs --socket P daemon: a flag too, so it wins over the file.
        final Run before = jvs("--socket", "/tmp/pkg-flag.sock", "daemon", "--config", conf.toString(),
            "--print-config");
        assertEquals(0, before.exit(), before.err());
        assertTrue(line(before, "socket").matches("socket = /tmp/pkg-flag.sock +# command line, before the command"),
            line(before, "socket"));
        assertFalse(before.out().contains("pkg-from-file"), before.out());
    }

    @Test
    void everyBadEntryIsOneLineNamingFileLineAndKeyAndNothingStarts(@TempDir final Path dir) throws IOException
    {
        final Path state = dir.resolve("state");
        final Path socket = dir.resolve("api.sock");
        final Path conf = write(dir,
            "lanez = 2",
            "port-rx-slots = many",
            "threads = triple",
            "nat-accounting = yes",
            "just words",
            "idle = yield",
            "idle = busy",
            "help = true",
            "state-dir = " + state,
            "socket = " + socket,
            "no-docker-plugin = true",
            "no-host-port = true");
        final Run run = jvs("daemon", "--config", conf.toString());
        assertEquals(1, run.exit(), run.out() + run.err());
        final List<String> lines = run.err().lines().toList();
        assertEquals(7, lines.size(), run.err());
        assertTrue(lines.get(0).startsWith("jvs: " + conf + ":1: unknown key 'lanez'"), lines.get(0));
        assertTrue(lines.get(1).startsWith("jvs: " + conf + ":2: bad value for 'port-rx-slots'") &&
            lines.get(1).contains("many"), lines.get(1));
        assertTrue(lines.get(2).startsWith("jvs: " + conf + ":3: bad value for 'threads'") &&
            lines.get(2).contains("shared, dedicated"), lines.get(2));
        assertTrue(lines.get(3).startsWith("jvs: " + conf + ":4: bad value for 'nat-accounting'") &&
            lines.get(3).contains("true or false"), lines.get(3));
        assertTrue(lines.get(4).startsWith("jvs: " + conf + ":5: expected `key = value`"), lines.get(4));
        assertTrue(lines.get(5).startsWith("jvs: " + conf + ":7: 'idle' is already set on line 6"), lines.get(5));
        assertTrue(lines.get(6).startsWith("jvs: " + conf + ":8: unknown key 'help'"), lines.get(6));
        assertFalse(Files.exists(state), "no state directory made");
        assertFalse(Files.exists(socket), "no daemon started");
    }

    @Test
    void thePackagedConfigIsAllCommentsAndEveryExampleInItIsAGoodEntry(@TempDir final Path dir) throws IOException
    {
        final List<String> shipped = Files.readAllLines(Path.of("..", "packaging", "jvs.conf"));
        final Run asShipped = jvs("daemon", "--config", Path.of("..", "packaging", "jvs.conf").toString(),
            "--print-config");
        assertEquals(0, asShipped.exit(), asShipped.err());
        assertFalse(asShipped.out().contains("jvs.conf:"), "sets nothing: " + asShipped.out());

        // "# key = value" lines are examples: with the # removed each must be a key with a good value.
        final List<String> examples = shipped.stream().filter(l -> l.matches("# [a-z-]+ = .*"))
            .map(l -> l.substring(2)).toList();
        assertTrue(examples.size() >= 5, "examples: " + examples);
        final Run uncommented = jvs("daemon", "--config", write(dir, examples.toArray(new String[0])).toString(),
            "--print-config");
        assertEquals(0, uncommented.exit(), uncommented.err());
        assertEquals(examples.size(), uncommented.out().lines().filter(l -> l.contains("jvs.conf:")).count(),
            uncommented.out());
    }

    @Test
    void aMissingFileIsRefusedAndNoneReadsNothing(@TempDir final Path dir)
    {
        final Run missing = jvs("daemon", "--config", dir.resolve("absent.conf").toString(), "--print-config");
        assertEquals(1, missing.exit());
        assertEquals(1, missing.err().lines().count(), missing.err());
        assertTrue(missing.err().startsWith("jvs: cannot read config file " + dir.resolve("absent.conf") +
            " (no such file)"), missing.err());

        final Run none = jvs("daemon", "--config=none", "--print-config");
        assertEquals(0, none.exit(), none.err());
        assertTrue(none.out().startsWith("# jvs daemon settings in force; config file: none"), none.out());
        assertTrue(line(none, "idle").matches("idle = poll +# default"), line(none, "idle"));
    }
}
