package io.jvs.control.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;

/** The CLI's tables, for the demo to print the same views a user gets from {@code jvs stats} and {@code jvs mac}. */
public final class DemoOutput
{
    private DemoOutput()
    {
    }

    public static void printStats(final JsonNode stats, final PrintWriter out)
    {
        StatsCommand.print(stats, out);
    }

    public static void printMacTable(final JsonNode table, final PrintWriter out)
    {
        MacCommand.print(table, out);
    }
}
