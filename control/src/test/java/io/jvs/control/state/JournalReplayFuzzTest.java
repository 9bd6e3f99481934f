package io.jvs.control.state;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvs.control.common.JvsException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of a start on a damaged state directory: the journal file is either any bytes, or
 * well-framed records (valid checksums) whose types and JSON the fuzzer writes, replayed into the tables and the
 * network store. A start either comes up (a torn or damaged tail cut off) or refuses with one {@link JvsException} or
 * {@link UncheckedIOException} naming what is wrong; nothing else may escape. On /dev/shm where it exists, so the
 * journal's flushes cost little. Plain test runs replay the inputs in resources; {@code bin/fuzz} fuzzes.
 */
class JournalReplayFuzzTest
{
    private static final byte[] HEADER = {'J', 'V', 'S', 'J', 1, 0, 0, 0};
    private static final String[] TYPES = {StateTables.PUT, StateTables.REMOVE, StateTables.BATCH};
    private static final String[] TABLES = {JournaledNetworkStore.NETWORKS, JournaledNetworkStore.SANDBOXES,
        JournaledNetworkStore.ENDPOINTS, JournaledNetworkStore.PUBLISHED, JournaledNetworkStore.ATTACH_INTENTS};
    private final Path dir;

    JournalReplayFuzzTest() throws IOException
    {
        final Path shm = Path.of("/dev/shm");
        dir = Files.isDirectory(shm) ? Files.createTempDirectory(shm, "jvs-fuzz-journal") :
            Files.createTempDirectory("jvs-fuzz-journal");
        dir.toFile().deleteOnExit();
    }

    @FuzzTest(maxDuration = "10s")
    void anyJournalOpensOrIsRefusedCleanly(final FuzzedDataProvider data) throws IOException
    {
        final byte[] file = data.consumeBoolean() ? data.consumeRemainingAsBytes() : records(data);
        Files.write(dir.resolve(StateJournal.FILE), file);
        try (StateTables tables = StateTables.open(dir))
        {
            final JournaledNetworkStore store = new JournaledNetworkStore(tables);
            store.networks();
            store.sandboxes();
            store.endpoints();
            store.publishedPorts();
            store.attachIntents();
        }
        catch (final JvsException | UncheckedIOException expected)
        {
            // a clear refusal
        }
        finally
        {
            Files.deleteIfExists(dir.resolve(StateJournal.FILE));
            Files.deleteIfExists(dir.resolve("lock"));
        }
    }

    /** A journal of well-framed records: a known or made-up type, a table row in JSON the fuzzer shapes. */
    private static byte[] records(final FuzzedDataProvider data)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(HEADER);
        final int count = data.consumeInt(0, 8);
        for (int i = 0; i < count; i++)
        {
            final String type = data.consumeBoolean() ? data.pickValue(TYPES) : data.consumeString(8);
            final String json = data.consumeBoolean() ?
                "{\"t\":\"" + data.pickValue(TABLES) + "\",\"k\":\"" + data.consumeAsciiString(12) + "\",\"v\":" +
                    data.consumeString(200) + "}" :
                data.consumeString(300);
            if (type.indexOf('\n') >= 0)
            {
                continue;
            }
            final ByteBuffer record = StateJournal.encode(new StateJournal.Record(type, json));
            out.write(record.array(), 0, record.limit());
        }
        return out.toByteArray();
    }
}
