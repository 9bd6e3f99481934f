package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jvs stats --watch} rates and {@code --histogram}'s lines, from API answers. */
class StatsWatchTest
{
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void ratesArePerSecondPerPortAndANewPortHasNoneYet() throws Exception
    {
        final JsonNode before = stats(port(1, "jv1", 100, 10_000, 50, 5_000, 2) + "," + port(2, "jv2", 7, 700, 7, 700, 0));
        final JsonNode after = stats(port(1, "jv1", 300, 30_480, 50, 5_000, 6) + "," + port(2, "jv2", 3, 300, 9, 2_748, 0) +
            "," + port(3, "jv3", 1, 1, 1, 1, 0));
        final String[] lines = print(before, after, 2.0).split("\n");
        assertEquals(3, lines.length, String.join("\n", lines));
        // 200 packets and 20,480 bytes in 2 s; drops 4 in 2 s.
        assertEquals("1 jv1 - n 100.0 10.0 0.0 0.0 2.0", lines[1].replaceAll(" +", " "));
        // Port 2 was cleared in between: its RX counters went down, which is 0, not a negative rate.
        assertEquals("2 jv2 - n 0.0 0.0 1.0 1.0 0.0", lines[2].replaceAll(" +", " "));
    }

    @Test
    void theHistogramPrintsEveryBucketWithItsShare() throws Exception
    {
        final JsonNode latency = json.readTree("{\"Frames\": 4, \"Buckets\": [" +
            "{\"UpToMicros\": 10.0, \"Frames\": 0}, {\"UpToMicros\": 25.0, \"Frames\": 3}," +
            "{\"UpToMicros\": 2500.0, \"Frames\": 1}, {\"UpToMicros\": null, \"Frames\": 0}]}");
        final StringWriter text = new StringWriter();
        StatsCommand.printHistogram(latency, new PrintWriter(text));
        final String[] lines = text.toString().split("\n");
        assertEquals("switch latency, RX ring to TX ring, 4 frames since start", lines[0]);
        assertEquals("0 us - 10 us 0 0.0%", lines[1].replaceAll(" +", " ").strip());
        assertTrue(lines[2].replaceAll(" +", " ").startsWith("10 us - 25 us 3 75.0% ###"), lines[2]);
        assertTrue(lines[2].endsWith("#".repeat(40)), lines[2]);
        assertTrue(lines[3].replaceAll(" +", " ").startsWith("25 us - 2.5 ms 1 25.0% #"), lines[3]);
        assertEquals("> 2.5 ms 0 0.0%", lines[4].replaceAll(" +", " ").strip());
    }

    private String print(final JsonNode before, final JsonNode after, final double seconds)
    {
        final StringWriter text = new StringWriter();
        StatsRates.print(before, after, seconds, new PrintWriter(text));
        return text.toString();
    }

    private JsonNode stats(final String ports) throws Exception
    {
        return json.readTree("{\"Networks\": [], \"Ports\": [" + ports + "]}");
    }

    private static String port(final int id, final String name, final long rxPackets, final long rxBytes,
        final long txPackets, final long txBytes, final long drops)
    {
        return "{\"Port\": " + id + ", \"Interface\": \"" + name + "\", \"Network\": \"n\", \"Sandbox\": \"\", " +
            "\"RxPackets\": " + rxPackets + ", \"RxBytes\": " + rxBytes + ", \"TxPackets\": " + txPackets +
            ", \"TxBytes\": " + txBytes + ", \"Drops\": {\"tx_full\": " + drops + ", \"malformed\": 0}}";
    }
}
