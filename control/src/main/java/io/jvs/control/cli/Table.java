package io.jvs.control.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain text table like Docker's: left-aligned columns separated by three spaces. */
final class Table
{
    private static final String GAP = "   ";

    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    Table(final String... header)
    {
        columns = header.length;
        rows.add(header);
    }

    Table row(final Object... cells)
    {
        if (cells.length != columns)
        {
            throw new IllegalArgumentException("cells=" + cells.length + " columns=" + columns);
        }
        final String[] text = new String[columns];
        for (int i = 0; i < columns; i++)
        {
            text[i] = String.valueOf(cells[i]);
        }
        rows.add(text);
        return this;
    }

    void print(final PrintWriter out)
    {
        final int[] widths = new int[columns];
        for (final String[] row : rows)
        {
            for (int i = 0; i < columns; i++)
            {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (final String[] row : rows)
        {
            final StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++)
            {
                line.append(row[i]);
                if (i < columns - 1)
                {
                    line.append(" ".repeat(widths[i] - row[i].length())).append(GAP);
                }
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }
}
