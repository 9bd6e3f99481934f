package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/** The options every list command shares (a picocli mixin): {@code -q}, {@code --format}, {@code --filter}. */
final class ListOptions
{
    @Option(names = {"-q", "--quiet"}, description = "Only display IDs (sandboxes: names).")
    boolean quiet;

    @Option(names = "--format", paramLabel = "FORMAT",
        description = "table (default), json (a JSON object per line), or a template: '{{.Name}}', " +
            "'table {{.Name}}\\t{{.Driver}}' (fields and functions: docs/cli.md).")
    String format;

    @Option(names = {"-f", "--filter"}, paramLabel = "KEY=VALUE", description = "Only rows that match (repeatable).")
    List<String> filters;

    Predicate<JsonNode> filter(final Map<String, BiPredicate<JsonNode, String>> keys)
    {
        return ListOutput.filter(filters, keys);
    }

    void print(final List<JsonNode> rows, final ListOutput.Shape shape, final PrintWriter out)
    {
        ListOutput.print(rows, shape, quiet, format, out);
    }
}
