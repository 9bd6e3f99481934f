package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvs.control.common.JvsException;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The --format template subset and the list output built on it (table, json, -q, --filter). */
class GoTemplateTest
{
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void fieldsNestedFieldsJsonAndTextAround() throws Exception
    {
        final JsonNode net = json.readTree("{\"Name\": \"web\", \"Internal\": false, \"Ports\": 3, " +
            "\"IPAM\": {\"Config\": [{\"Subnet\": \"10.1.0.0/24\"}]}, \"Labels\": {}, \"Gone\": null}");
        assertEquals("web", GoTemplate.parse("{{.Name}}").apply(net));
        assertEquals("name=web internal=false ports=3", GoTemplate.parse("name={{ .Name }} internal={{.Internal}} " +
            "ports={{.Ports}}").apply(net));
        assertEquals("[{\"Subnet\":\"10.1.0.0/24\"}]", GoTemplate.parse("{{json .IPAM.Config}}").apply(net));
        assertEquals(net.toString(), GoTemplate.parse("{{json .}}").apply(net));
        assertEquals("WEB\t<no value>\n", GoTemplate.parse("{{upper .Name}}\\t{{.Gone}}\\n").apply(net));
        assertEquals("no actions", GoTemplate.parse("no actions").apply(net));
    }

    @Test
    void refusalsNameWhatIsWrong() throws Exception
    {
        final JsonNode net = json.readTree("{\"Name\": \"web\", \"Driver\": \"bridge\"}");
        assertEquals("template: no field \"Nme\" (fields: Name, Driver)",
            assertThrows(JvsException.class, () -> GoTemplate.parse("{{.Nme}}").apply(net)).getMessage());
        assertTrue(assertThrows(JvsException.class, () -> GoTemplate.parse("{{range .X}}")).getMessage()
            .startsWith("template: {{range .X}} is not supported"));
        assertTrue(assertThrows(JvsException.class, () -> GoTemplate.parse("{{.Name")).getMessage()
            .startsWith("template: unclosed action"));
    }

    @Test
    void aTableTemplateHasHeadersAndAlignedColumns() throws Exception
    {
        final List<JsonNode> rows = List.of(
            json.readTree("{\"ID\": \"0123456789ab\", \"Name\": \"a\", \"CreatedAt\": \"t1\"}"),
            json.readTree("{\"ID\": \"ba9876543210\", \"Name\": \"longer-name\", \"CreatedAt\": \"t2\"}"));
        final ListOutput.Shape shape = new ListOutput.Shape("table {{.ID}}\\t{{.Name}}", Map.of("ID", "NETWORK ID"),
            "ID");
        assertEquals("NETWORK ID     NAME\n0123456789ab   a\nba9876543210   longer-name\n",
            print(rows, shape, false, null));
        assertEquals(print(rows, shape, false, null), print(rows, shape, false, "table"));
        assertEquals("NAME          CREATED AT\na             t1\nlonger-name   t2\n",
            print(rows, shape, false, "table {{.Name}}\\t{{.CreatedAt}}"));
        assertEquals("a:t1\nlonger-name:t2\n", print(rows, shape, false, "{{.Name}}:{{.CreatedAt}}"));
        assertEquals("0123456789ab\nba9876543210\n", print(rows, shape, true, null));
        final String lines = print(rows, shape, false, "json");
        assertEquals(rows.get(1), json.readTree(lines.split("\n")[1]));
    }

    @Test
    void filtersOfOneKeyAreAlternativesAndOfTwoKeysAllMustMatch() throws Exception
    {
        final Map<String, java.util.function.BiPredicate<JsonNode, String>> keys = Map.of(
            "name", (n, v) -> n.path("Name").asText().contains(v),
            "driver", (n, v) -> n.path("Driver").asText().equals(v),
            "label", ListOutput::label);
        final JsonNode web = json.readTree(
            "{\"Name\": \"web\", \"Driver\": \"bridge\", \"Labels\": {\"tier\": \"1\"}}");
        final JsonNode db = json.readTree("{\"Name\": \"db\", \"Driver\": \"overlay\", \"Labels\": {}}");
        assertTrue(ListOutput.filter(List.of("name=we", "name=db"), keys).test(db));
        assertFalse(ListOutput.filter(List.of("name=db", "driver=bridge"), keys).test(db));
        assertTrue(ListOutput.filter(List.of("name=web", "driver=bridge"), keys).test(web));
        assertTrue(ListOutput.filter(List.of("label=tier"), keys).test(web));
        assertTrue(ListOutput.filter(List.of("label=tier=1"), keys).test(web));
        assertFalse(ListOutput.filter(List.of("label=tier=2"), keys).test(web));
        assertFalse(ListOutput.filter(List.of("label=tier"), keys).test(db));
        assertTrue(ListOutput.filter(null, keys).test(db));
        assertTrue(assertThrows(JvsException.class, () -> ListOutput.filter(List.of("colour=red"), keys))
            .getMessage().startsWith("invalid filter 'colour=red' (KEY=VALUE, keys: "));
        assertThrows(JvsException.class, () -> ListOutput.filter(List.of("name"), keys));
    }

    private static String print(final List<JsonNode> rows, final ListOutput.Shape shape, final boolean quiet,
        final String format)
    {
        final StringWriter text = new StringWriter();
        ListOutput.print(rows, shape, quiet, format, new PrintWriter(text));
        return text.toString();
    }
}
