package io.jvs.control.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Typed reads of a request's JSON fields (the API's and Docker's plugin's): a field may be absent or null (the
 * default then), but a present field of the wrong type is refused ({@link JvsException#invalid}, a 400) with its
 * path, e.g. {@code "IPAM.Config[0].Subnet must be a string, not a number"}, before anything changes. Jackson's
 * {@code asText()} would turn {@code {"Name": 5}} into "5" and a wrong {@code path()} into "absent".
 */
public final class JsonFields
{
    private JsonFields()
    {
    }

    /** The field's value, or a missing node if absent or null. */
    private static JsonNode field(final JsonNode node, final String field)
    {
        final JsonNode value = node.get(field);
        return value == null || value.isNull() ? MissingNode.getInstance() : value;
    }

    private static JvsException wrongType(final String path, final String expected, final JsonNode value)
    {
        return JvsException.invalid(path + " must be " + expected + ", not " + describe(value.getNodeType()));
    }

    private static String describe(final JsonNodeType type)
    {
        return switch (type)
        {
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case STRING -> "a string";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> type.name().toLowerCase(Locale.ROOT);
        };
    }

    private static String path(final String parent, final String field)
    {
        return parent.isEmpty() ? field : parent + "." + field;
    }

    /** A string field: null if absent or null. {@code parent} names where {@code node} is ("" at the top). */
    public static String text(final JsonNode node, final String parent, final String field)
    {
        final JsonNode value = field(node, field);
        if (value.isMissingNode())
        {
            return null;
        }
        if (!value.isTextual())
        {
            throw wrongType(path(parent, field), "a string", value);
        }
        return value.asText();
    }

    /** A boolean field: {@code absent} if absent or null. */
    public static boolean bool(final JsonNode node, final String parent, final String field, final boolean absent)
    {
        final JsonNode value = field(node, field);
        if (value.isMissingNode())
        {
            return absent;
        }
        if (!value.isBoolean())
        {
            throw wrongType(path(parent, field), "a boolean", value);
        }
        return value.booleanValue();
    }

    /** An object field: a missing node (whose fields all read as absent) if absent or null. */
    public static JsonNode object(final JsonNode node, final String parent, final String field)
    {
        final JsonNode value = field(node, field);
        if (!value.isMissingNode() && !value.isObject())
        {
            throw wrongType(path(parent, field), "an object", value);
        }
        return value;
    }

    /** An array field's elements: empty if absent or null. */
    public static List<JsonNode> array(final JsonNode node, final String parent, final String field)
    {
        final JsonNode value = field(node, field);
        if (value.isMissingNode())
        {
            return List.of();
        }
        if (!value.isArray())
        {
            throw wrongType(path(parent, field), "an array", value);
        }
        final List<JsonNode> elements = new ArrayList<>(value.size());
        value.forEach(elements::add);
        return elements;
    }

    /** An array of objects: each element checked, named {@code field[i]}. */
    public static List<JsonNode> objects(final JsonNode node, final String parent, final String field)
    {
        final List<JsonNode> elements = array(node, parent, field);
        for (int i = 0; i < elements.size(); i++)
        {
            if (!elements.get(i).isObject())
            {
                throw wrongType(path(parent, field) + "[" + i + "]", "an object", elements.get(i));
            }
        }
        return elements;
    }

    /** An array of strings. */
    public static List<String> texts(final JsonNode node, final String parent, final String field)
    {
        final List<String> texts = new ArrayList<>();
        final List<JsonNode> elements = array(node, parent, field);
        for (int i = 0; i < elements.size(); i++)
        {
            if (!elements.get(i).isTextual())
            {
                throw wrongType(path(parent, field) + "[" + i + "]", "a string", elements.get(i));
            }
            texts.add(elements.get(i).asText());
        }
        return texts;
    }

    /** An object of strings (Docker's {@code Options}, {@code AuxiliaryAddresses}): empty if absent or null. */
    public static Map<String, String> strings(final JsonNode node, final String parent, final String field)
    {
        final JsonNode object = object(node, parent, field);
        final Map<String, String> map = new LinkedHashMap<>();
        for (final var it = object.fields(); it.hasNext(); )
        {
            final Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isTextual())
            {
                throw wrongType(path(path(parent, field), entry.getKey()), "a string", entry.getValue());
            }
            map.put(entry.getKey(), entry.getValue().asText());
        }
        return map;
    }
}
