package io.jvs.control.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Map;

/** JSON output as Docker prints it (four-space indent) and small helpers for reading answers. */
final class Json
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Json()
    {
    }

    static String pretty(final JsonNode node)
    {
        final DefaultIndenter indent = new DefaultIndenter("    ", "\n");
        final Separators separators = Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
            .withObjectEmptySeparator("").withArrayEmptySeparator("");
        final DefaultPrettyPrinter printer = new DefaultPrettyPrinter(separators)
            .withObjectIndenter(indent).withArrayIndenter(indent);
        try
        {
            return MAPPER.writer(printer).writeValueAsString(node);
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    static ObjectMapper mapper()
    {
        return MAPPER;
    }

    /** "reason=count" pairs of the non-zero entries of a drops object, or "0". */
    static String drops(final JsonNode drops)
    {
        final StringBuilder text = new StringBuilder();
        long total = 0;
        for (final Map.Entry<String, JsonNode> field : drops.properties())
        {
            final long count = field.getValue().asLong();
            if (count != 0)
            {
                total += count;
                text.append(text.length() == 0 ? "" : ",").append(field.getKey()).append('=').append(count);
            }
        }
        return total == 0 ? "0" : text.toString();
    }
}
