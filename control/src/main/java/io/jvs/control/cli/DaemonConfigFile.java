package io.jvs.control.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /etc/jvs/jvs.conf}: {@code key = value} lines whose keys are {@code jvs daemon}'s long options without
 * {@code --}. It is picocli's default-value provider for the daemon command, so a flag on the command line overrides
 * the same key and every option (whichever branch adds it) is a key without a list to keep. Each entry is checked by
 * parsing it as the flag it names; bad entries are not served and {@link #errors()} says why, one line each, so the
 * daemon refuses before it starts anything.
 */
final class DaemonConfigFile implements CommandLine.IDefaultValueProvider
{
    static final Path DEFAULT_PATH = Path.of("/etc/jvs/jvs.conf");
    /** {@code --config none}: read no file, not even the default. */
    static final String NONE = "none";
    static final String CONFIG_OPTION = "--config";
    /** Options that say how to run the command rather than what the daemon does: not keys. */
    private static final Set<String> NOT_SETTINGS = Set.of("help", "version", "config", "print-config");

    /** One {@code key = value} line. */
    record Entry(String key, String value, int line)
    {
    }

    private final Path path;
    private final Map<String, Entry> entries;
    private final List<String> errors;
    /** Keys given elsewhere (jvs --socket before the command): the file does not set them. */
    private final Set<String> overridden;

    private DaemonConfigFile(final Path path, final Map<String, Entry> entries, final List<String> errors,
        final Set<String> overridden)
    {
        this.path = path;
        this.entries = entries;
        this.errors = errors;
        this.overridden = overridden;
    }

    /** No file: every option keeps its annotated default. */
    static DaemonConfigFile none()
    {
        return new DaemonConfigFile(null, Map.of(), List.of(), Set.of());
    }

    /**
     * The file {@code daemonArgs} name with {@code --config}, else the default path if it exists, else none.
     * @param daemonArgs the whole command line ({@code jvs [--socket P] daemon ...})
     */
    static DaemonConfigFile forCommandLine(final String... daemonArgs)
    {
        String named = null;
        boolean socketBeforeCommand = false;
        boolean afterCommand = false;
        for (int i = 0; i < daemonArgs.length; i++)
        {
            final String arg = daemonArgs[i];
            if ("daemon".equals(arg) && !afterCommand)
            {
                afterCommand = true;
            }
            else if (!afterCommand && "--socket".equals(arg))
            {
                socketBeforeCommand = true;
                i++;
            }
            else if (afterCommand && CONFIG_OPTION.equals(arg) && i + 1 < daemonArgs.length)
            {
                named = daemonArgs[++i];
            }
            else if (afterCommand && arg.startsWith(CONFIG_OPTION + "="))
            {
                named = arg.substring(CONFIG_OPTION.length() + 1);
            }
        }
        final Set<String> overridden = socketBeforeCommand ? Set.of("socket") : Set.of();
        if (NONE.equals(named))
        {
            return none();
        }
        if (named != null)
        {
            return load(Path.of(named), overridden);
        }
        return Files.exists(DEFAULT_PATH) ? load(DEFAULT_PATH, overridden) : none();
    }

    /** Reads and checks {@code path} against the daemon's options. */
    static DaemonConfigFile load(final Path path, final Set<String> overridden)
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(path);
        }
        catch (final IOException | RuntimeException ex)
        {
            return new DaemonConfigFile(path, Map.of(), List.of("cannot read config file " + path + " (" +
                (ex instanceof java.nio.file.NoSuchFileException ? "no such file" : ex.toString()) +
                "): give another with --config FILE, or --config none"), overridden);
        }
        return parse(path, lines, overridden);
    }

    static DaemonConfigFile parse(final Path path, final List<String> lines, final Set<String> overridden)
    {
        final CommandLine probe = new CommandLine(new DaemonCommand());
        final Map<String, Entry> entries = new LinkedHashMap<>();
        final List<String> errors = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++)
        {
            final String line = stripComment(lines.get(i)).strip();
            if (line.isEmpty())
            {
                continue;
            }
            final String where = path + ":" + (i + 1) + ": ";
            final int eq = line.indexOf('=');
            if (eq <= 0)
            {
                errors.add(where + "expected `key = value`, got `" + line + "`");
                continue;
            }
            final Entry entry = new Entry(line.substring(0, eq).strip(), line.substring(eq + 1).strip(), i + 1);
            final OptionSpec option = probe.getCommandSpec().findOption("--" + entry.key());
            if (option == null || NOT_SETTINGS.contains(entry.key()) || entry.key().startsWith("-"))
            {
                errors.add(where + "unknown key '" + entry.key() + "' (keys are `jvs daemon --help`'s options " +
                    "without --)");
            }
            else if (entries.containsKey(entry.key()))
            {
                errors.add(where + "'" + entry.key() + "' is already set on line " + entries.get(entry.key()).line());
            }
            else
            {
                final String problem = check(probe, option, entry.value());
                if (problem == null)
                {
                    entries.put(entry.key(), entry);
                }
                else
                {
                    errors.add(where + "bad value for '" + entry.key() + "': " + problem);
                }
            }
        }
        return new DaemonConfigFile(path, entries, errors, overridden);
    }

    /** A value is good if picocli takes it as the flag's argument: one rule for the file and the command line. */
    private static String check(final CommandLine probe, final OptionSpec option, final String value)
    {
        try
        {
            if (option.arity().max() == 0)
            {
                if (!"true".equals(value) && !"false".equals(value))
                {
                    return "'" + value + "' (a switch: true or false)";
                }
                return null;
            }
            if (value.isEmpty())
            {
                return "empty (leave the key out for the default)";
            }
            probe.parseArgs(option.longestName(), value);
            return null;
        }
        catch (final CommandLine.ParameterException ex)
        {
            return ex.getMessage();
        }
    }

    /** {@code #} starts a comment at the start of a line or after a blank, so values such as URLs keep theirs. */
    private static String stripComment(final String line)
    {
        for (int i = 0; i < line.length(); i++)
        {
            if (line.charAt(i) == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1))))
            {
                return line.substring(0, i);
            }
        }
        return line;
    }

    @Override
    public String defaultValue(final ArgSpec arg)
    {
        if (arg instanceof OptionSpec option)
        {
            final Entry entry = entries.get(key(option));
            if (entry != null && !overridden.contains(entry.key()))
            {
                return entry.value();
            }
        }
        return null;
    }

    List<String> errors()
    {
        return Collections.unmodifiableList(errors);
    }

    Path path()
    {
        return path;
    }

    /**
     * What is in force, a {@code key = value} line per daemon option with where the value came from (command line,
     * this file and line, or the default); options with no value are listed as comments.
     */
    List<String> describe(final CommandSpec daemon)
    {
        final CommandLine.ParseResult parsed = daemon.commandLine().getParseResult();
        final List<String> out = new ArrayList<>();
        out.add("# jvs daemon settings in force; config file: " + (path == null ? "none" : path));
        for (final OptionSpec option : daemon.options())
        {
            final String key = key(option);
            if (NOT_SETTINGS.contains(key))
            {
                continue;
            }
            final Entry entry = entries.get(key);
            final String source = parsed != null && parsed.hasMatchedOption(option) ? "command line" :
                overridden.contains(key) ? "command line, before the command" :
                entry != null ? path + ":" + entry.line() : "default";
            final Object value = option.getValue();
            if (value == null || (value instanceof Boolean b && !b && option.arity().max() == 0 &&
                "default".equals(source)))
            {
                out.add(String.format("# %-28s (not set)", key));
            }
            else
            {
                final String text = value instanceof List<?> list ? String.join(",", list.stream()
                    .map(String::valueOf).toList()) : String.valueOf(value);
                out.add(String.format("%-40s # %s", key + " = " + text, source));
            }
        }
        return out;
    }

    private static String key(final OptionSpec option)
    {
        return option.longestName().replaceFirst("^--", "");
    }
}
