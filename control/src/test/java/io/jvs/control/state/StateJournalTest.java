package io.jvs.control.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StateJournalTest
{
    @TempDir
    Path dir;

    @Test
    void recordsSurviveReopenInOrder()
    {
        try (StateJournal journal = StateJournal.open(dir))
        {
            for (int i = 0; i < 100; i++)
            {
                journal.append(i % 2 == 0 ? "network.create" : "endpoint.create", "{\"n\":" + i + "}");
            }
        }
        final List<StateJournal.Record> seen = new ArrayList<>();
        try (StateJournal journal = StateJournal.open(dir))
        {
            assertEquals(100, journal.replay((t, j) -> seen.add(new StateJournal.Record(t, j))));
        }
        assertEquals(100, seen.size());
        assertEquals(new StateJournal.Record("network.create", "{\"n\":0}"), seen.get(0));
        assertEquals(new StateJournal.Record("endpoint.create", "{\"n\":99}"), seen.get(99));
    }

    @Test
    void compactReplacesHistoryAndAppendsContinue()
    {
        try (StateJournal journal = StateJournal.open(dir))
        {
            journal.append("a", "1");
            journal.append("b", "2");
            journal.compact(List.of(new StateJournal.Record("snapshot", "{\"x\":1}")));
            journal.append("c", "3");
        }
        final List<String> types = new ArrayList<>();
        try (StateJournal journal = StateJournal.open(dir))
        {
            journal.replay((t, j) -> types.add(t));
        }
        assertEquals(List.of("snapshot", "c"), types);
    }
}
