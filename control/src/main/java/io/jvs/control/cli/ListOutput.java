package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvs.control.common.JvsException;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/**
 * How a list command prints its rows, as docker's do: {@code -q} (the id column only), {@code --format table} (the
 * default), {@code --format json} (one JSON object per line), {@code --format 'TEMPLATE'} ({@link GoTemplate}, with
 * {@code table} for a header and aligned columns), and {@code --filter KEY=VALUE} (values of one key: any may match;
 * different keys: all must).
 */
final class ListOutput
{
    private ListOutput()
    {
    }

    /**
     * @param defaultFormat the {@code table ...} template the command prints without {@code --format}.
     * @param headers       a field's header where it is not the field's name in capitals ("ID" -> "NETWORK ID").
     * @param quietField    the field {@code -q} prints.
     */
    record Shape(String defaultFormat, Map<String, String> headers, String quietField)
    {
    }

    static void print(final List<JsonNode> rows, final Shape shape, final boolean quiet, final String format,
        final PrintWriter out)
    {
        if (quiet)
        {
            rows.forEach(r -> out.println(r.path(shape.quietField()).asText()));
        }
        else if ("json".equals(format))
        {
            rows.forEach(r -> out.println(r.toString()));
        }
        else
        {
            final GoTemplate template = GoTemplate.parse(format == null || format.equals("table") ?
                shape.defaultFormat() : format);
            if (template.table())
            {
                final List<String[]> lines = new ArrayList<>();
                lines.add(template.header(shape.headers()).split("\t", -1));
                rows.forEach(r -> lines.add(template.apply(r).split("\t", -1)));
                table(lines, out);
            }
            else
            {
                rows.forEach(r -> out.println(template.apply(r)));
            }
        }
        out.flush();
    }

    /**
     * {@code --filter} values as one predicate over rows.
     *
     * @param keys what each key matches: (row, value) -> match.
     * @throws JvsException (invalid) for a filter without '=' or a key not in {@code keys}.
     */
    static Predicate<JsonNode> filter(final List<String> filters, final Map<String, BiPredicate<JsonNode, String>> keys)
    {
        final Map<String, List<String>> byKey = new LinkedHashMap<>();
        for (final String filter : filters == null ? List.<String>of() : filters)
        {
            final int eq = filter.indexOf('=');
            final String key = eq < 0 ? filter : filter.substring(0, eq);
            if (eq < 0 || !keys.containsKey(key))
            {
                throw JvsException.invalid("invalid filter '" + filter + "' (KEY=VALUE, keys: " +
                    String.join(", ", keys.keySet()) + ")");
            }
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(filter.substring(eq + 1));
        }
        return row ->
        {
            for (final Map.Entry<String, List<String>> key : byKey.entrySet())
            {
                final BiPredicate<JsonNode, String> match = keys.get(key.getKey());
                if (key.getValue().stream().noneMatch(v -> match.test(row, v)))
                {
                    return false;
                }
            }
            return true;
        };
    }

    /** {@code label=KEY} or {@code label=KEY=VALUE} against a row's Labels object. */
    static boolean label(final JsonNode row, final String value)
    {
        final int eq = value.indexOf('=');
        final JsonNode labels = row.path("Labels");
        return eq < 0 ? labels.has(value) :
            value.substring(eq + 1).equals(labels.path(value.substring(0, eq)).asText(null));
    }

    private static void table(final List<String[]> lines, final PrintWriter out)
    {
        final int columns = lines.get(0).length;
        final Table table = new Table(lines.get(0));
        for (int i = 1; i < lines.size(); i++)
        {
            final String[] cells = Arrays.copyOf(lines.get(i), columns);
            Arrays.setAll(cells, c -> cells[c] == null ? "" : cells[c]);
            table.row((Object[])cells);
        }
        table.print(out);
    }
}
