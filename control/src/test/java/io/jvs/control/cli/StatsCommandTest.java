package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.*;

/** {@code jvs stats}'s port table: the existing columns, then the ring memory each port maps. */
class StatsCommandTest
{
    @Test
    void thePortTableShowsTheRingMemoryOfEachPortInItsLastColumn() throws Exception
    {
        final JsonNode stats = new ObjectMapper().readTree("{\"Networks\": [], \"Ports\": [" +
            port(1, "jv00000001", 1_048_576) + "," + port(2, "jv00000002", 786_432) + "," +
            port(3, "jv00000003", 19_922_944) + "," + port(4, "jv00000004", 0) + "]}");
        final StringWriter text = new StringWriter();
        StatsCommand.print(stats, new PrintWriter(text));
        final String[] lines = text.toString().split("\n");
        int header = -1;
        for (int i = 0; i < lines.length; i++)
        {
            if (lines[i].startsWith("PORT"))
            {
                header = i;
            }
        }
        assertTrue(header >= 0, text.toString());
        assertEquals("PORT INTERFACE SANDBOX NETWORK RX PKTS RX BYTES TX PKTS TX BYTES DROPS RINGS LANE",
            lines[header].replaceAll(" +", " "));
        assertEquals("1 jv00000001 sb:eth0 net 5 300 7 420 0 1.0M 1", lines[header + 1].replaceAll(" +", " "));
        assertEquals("768K", cell(lines[header + 2], 1));
        assertEquals("19.0M", cell(lines[header + 3], 1));
        assertEquals("-", cell(lines[header + 4], 1), "a port without rings of its own");
        assertEquals("0", cell(lines[header + 4], 0), "the port's lane");
    }

    /** The cell {@code fromEnd} places before the last (0: the last). */
    private static String cell(final String line, final int fromEnd)
    {
        final String[] cells = line.trim().split(" +");
        return cells[cells.length - 1 - fromEnd];
    }

    private static String port(final int id, final String name, final long ringBytes)
    {
        return "{\"Port\": " + id + ", \"Interface\": \"" + name + "\", \"Network\": \"net\", \"Sandbox\": \"sb\", " +
            "\"SandboxInterface\": \"eth0\", \"RxPackets\": 5, \"RxBytes\": 300, \"TxPackets\": 7, \"TxBytes\": 420, " +
            "\"Drops\": {\"tx_full\": 0}, \"RingBytes\": " + ringBytes + ", \"Lane\": " + (id % 2) + "}";
    }
}
