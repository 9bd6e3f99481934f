package io.jvs.dataplane.engine;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reader against Agrona's own producer: every message arrives once, in order, intact; the records of a batch
 * are still intact when the batch ends; the space comes back to the producer (the ring wraps many times).
 */
class InPlaceRingReaderTest
{
    @Test
    void readsWhatTheProducerWroteAndKeepsTheBatchUntilItsEnd()
    {
        final OneToOneRingBuffer ring = new OneToOneRingBuffer(
            new UnsafeBuffer(ByteBuffer.allocateDirect(4096 + RingBufferDescriptor.TRAILER_LENGTH)));
        final InPlaceRingReader reader = new InPlaceRingReader(ring);
        final SplittableRandom random = new SplittableRandom(5);
        final UnsafeBuffer src = new UnsafeBuffer(new byte[300]);
        final List<int[]> batch = new ArrayList<>(); // {type, index, length} seen in the current batch
        final int[] next = {0};
        int written = 0;
        int wraps = 0;
        long lastHead = 0;
        for (int round = 0; round < 20_000; round++)
        {
            final int toWrite = random.nextInt(8);
            for (int i = 0; i < toWrite; i++)
            {
                final int length = 1 + random.nextInt(src.capacity());
                src.setMemory(0, length, (byte)written);
                src.putInt(0, written);
                if (length >= 4 && ring.write(1 + (written & 0xFF), src, 0, length))
                {
                    written++;
                }
            }
            final int limit = 1 + random.nextInt(10);
            final int read = reader.read((type, buffer, index, length) ->
                {
                    final int seq = buffer.getInt(index);
                    assertEquals(next[0], seq, "order");
                    assertEquals(1 + (seq & 0xFF), type);
                    next[0]++;
                    batch.add(new int[] {seq, index, length});
                },
                limit,
                () ->
                {
                    for (final int[] m : batch)
                    {
                        assertEquals(m[0], ring.buffer().getInt(m[1]), "record still in place at batch end");
                        for (int i = 4; i < m[2]; i++)
                        {
                            assertEquals((byte)m[0], ring.buffer().getByte(m[1] + i));
                        }
                    }
                    batch.clear();
                });
            assertTrue(read <= limit);
            if (ring.consumerPosition() / 4096 != lastHead / 4096)
            {
                wraps++;
            }
            lastHead = ring.consumerPosition();
        }
        while (reader.read((type, buffer, index, length) -> next[0]++, 100, () -> { }) > 0)
        {
            // drain
        }
        assertEquals(written, next[0]);
        assertEquals(ring.producerPosition(), ring.consumerPosition());
        assertTrue(wraps > 100, "wrapped " + wraps + " times");
    }
}
