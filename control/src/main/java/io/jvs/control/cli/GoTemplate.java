package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvs.control.common.JvsException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The subset of Go's text/template that {@code docker ... --format} users write: literal text, {@code {{.Field}}},
 * {@code {{.A.B}}}, {@code {{.}}}, {@code {{json .Field}}} / {@code {{json .}}}, {@code {{upper .F}}},
 * {@code {{lower .F}}}; {@code \t} and {@code \n} typed in the format become a tab and a newline (as docker's CLI
 * does); a leading {@code table} prints a header row (each field's header) and aligns tab-separated columns. Applied to
 * a JSON object (the row of a list, or what {@code inspect} prints). A field the object lacks is refused with the
 * fields it has.
 */
final class GoTemplate
{
    private static final String TABLE = "table";

    /** One piece: literal text, or an action on a path (field names; empty for {@code .}). */
    private record Part(String text, String function, List<String> path)
    {
        boolean literal()
        {
            return text != null;
        }
    }

    private final List<Part> parts;
    private final boolean table;

    private GoTemplate(final List<Part> parts, final boolean table)
    {
        this.parts = parts;
        this.table = table;
    }

    /** @throws JvsException (invalid) for an unclosed action or one outside the subset. */
    static GoTemplate parse(final String format)
    {
        String text = format.replace("\\t", "\t").replace("\\n", "\n");
        final boolean table = text.startsWith(TABLE) && (text.length() == TABLE.length() ||
            Character.isWhitespace(text.charAt(TABLE.length())));
        if (table)
        {
            text = text.substring(TABLE.length()).strip();
        }
        final List<Part> parts = new ArrayList<>();
        int at = 0;
        while (at < text.length())
        {
            final int open = text.indexOf("{{", at);
            if (open < 0)
            {
                parts.add(new Part(text.substring(at), null, null));
                break;
            }
            if (open > at)
            {
                parts.add(new Part(text.substring(at, open), null, null));
            }
            final int close = text.indexOf("}}", open);
            if (close < 0)
            {
                throw JvsException.invalid("template: unclosed action in \"" + format + "\"");
            }
            parts.add(action(text.substring(open + 2, close).strip(), format));
            at = close + 2;
        }
        return new GoTemplate(parts, table);
    }

    boolean table()
    {
        return table;
    }

    /** The template applied to {@code value}. */
    String apply(final JsonNode value)
    {
        final StringBuilder out = new StringBuilder();
        for (final Part part : parts)
        {
            if (part.literal())
            {
                out.append(part.text());
                continue;
            }
            final JsonNode node = resolve(value, part.path());
            switch (part.function())
            {
                case "json" -> out.append(node.toString());
                case "upper" -> out.append(text(node).toUpperCase(java.util.Locale.ROOT));
                case "lower" -> out.append(text(node).toLowerCase(java.util.Locale.ROOT));
                default -> out.append(text(node));
            }
        }
        return out.toString();
    }

    /** The header row of a {@code table} template: each action replaced by its field's header. */
    String header(final Map<String, String> headers)
    {
        final StringBuilder out = new StringBuilder();
        for (final Part part : parts)
        {
            if (part.literal())
            {
                out.append(part.text());
                continue;
            }
            final String field = part.path().isEmpty() ? "" : part.path().get(part.path().size() - 1);
            out.append(headers.getOrDefault(field, field.replaceAll("([a-z])([A-Z])", "$1 $2")
                .toUpperCase(java.util.Locale.ROOT)));
        }
        return out.toString();
    }

    private static Part action(final String action, final String format)
    {
        final String[] words = action.split("\\s+");
        final String function = words.length == 2 ? words[0] : "";
        final String argument = words.length == 2 ? words[1] : words[0];
        if (words.length > 2 || !(function.isEmpty() || function.equals("json") || function.equals("upper") ||
            function.equals("lower")) || !argument.startsWith("."))
        {
            throw JvsException.invalid("template: {{" + action + "}} is not supported in \"" + format + "\" " +
                "(supported: {{.Field}}, {{.A.B}}, {{json .}}, {{json .Field}}, {{upper .F}}, {{lower .F}})");
        }
        final List<String> path = new ArrayList<>();
        for (final String name : argument.substring(1).split("\\."))
        {
            if (!name.isEmpty())
            {
                path.add(name);
            }
        }
        return new Part(null, function, path);
    }

    private static JsonNode resolve(final JsonNode value, final List<String> path)
    {
        JsonNode node = value;
        for (final String name : path)
        {
            if (!node.isObject() || !node.has(name))
            {
                final List<String> fields = new ArrayList<>();
                node.fieldNames().forEachRemaining(fields::add);
                throw JvsException.invalid("template: no field \"" + name + "\"" +
                    (fields.isEmpty() ? "" : " (fields: " + String.join(", ", fields) + ")"));
            }
            node = node.get(name);
        }
        return node;
    }

    /** A value as Go prints it for strings, numbers and booleans; objects and arrays as JSON. */
    private static String text(final JsonNode node)
    {
        if (node.isNull())
        {
            return "<no value>";
        }
        return node.isValueNode() ? node.asText() : node.toString();
    }
}
