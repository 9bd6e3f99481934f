package io.jvs.dataplane.engine;

import org.agrona.BitUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.RecordDescriptor;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * The consumer side of an Agrona ring buffer ({@code OneToOneRingBuffer} layout) that keeps a batch's records in
 * place until the whole batch is done. {@code RingBuffer.read} releases the records to the producer the moment its
 * handler loop ends, but the router works on the frames of a batch after the last one was handed over (it overlaps
 * their connection-table misses), so the release must wait for {@link BatchEnd#onBatchEnd()}.
 * <p>
 * Same protocol as {@code OneToOneRingBuffer.read} of Agrona 2.x: records from the head position, each
 * {@code [length (4)][type (4)][body]} aligned to {@link RecordDescriptor#ALIGNMENT}; a length &lt;= 0 is not yet
 * committed (stop); padding records are skipped; a batch never wraps the end of the buffer; then the head is
 * advanced with a release store, which frees the region for the producer (Agrona 2.x no longer zeroes it on the
 * consumer side). Single consumer thread. {@code InPlaceRingReaderTest} checks it against the producer.
 */
final class InPlaceRingReader
{
    /** Called once per batch after the last record was handed over and before any record is released. */
    @FunctionalInterface
    interface BatchEnd
    {
        void onBatchEnd();
    }

    private final AtomicBuffer buffer;
    private final int capacity;
    private final int headPositionIndex;

    InPlaceRingReader(final RingBuffer ring)
    {
        buffer = ring.buffer();
        capacity = ring.capacity();
        headPositionIndex = capacity + RingBufferDescriptor.HEAD_POSITION_OFFSET;
    }

    /** @return messages handed to {@code handler} (at most {@code limit}); {@code end} is called in any case. */
    int read(final MessageHandler handler, final int limit, final BatchEnd end)
    {
        final AtomicBuffer buffer = this.buffer;
        final long head = buffer.getLong(headPositionIndex);
        final int headIndex = (int)head & (capacity - 1);
        final int contiguousLength = capacity - headIndex;
        int messages = 0;
        int bytesRead = 0;
        try
        {
            while (bytesRead < contiguousLength && messages < limit)
            {
                final int recordIndex = headIndex + bytesRead;
                final int recordLength = buffer.getIntVolatile(RecordDescriptor.lengthOffset(recordIndex));
                if (recordLength <= 0)
                {
                    break;
                }
                bytesRead += BitUtil.align(recordLength, RecordDescriptor.ALIGNMENT);
                final int type = buffer.getInt(RecordDescriptor.typeOffset(recordIndex));
                if (type == RingBuffer.PADDING_MSG_TYPE_ID)
                {
                    continue;
                }
                messages++;
                handler.onMessage(type, buffer, RecordDescriptor.encodedMsgOffset(recordIndex),
                    recordLength - RecordDescriptor.HEADER_LENGTH);
            }
        }
        finally
        {
            try
            {
                end.onBatchEnd();
            }
            finally
            {
                if (bytesRead > 0)
                {
                    buffer.putLongRelease(headPositionIndex, head + bytesRead);
                }
            }
        }
        return messages;
    }
}
