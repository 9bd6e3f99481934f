package io.jvs.benchmarks;

import io.jvs.dataplane.engine.FrameRecord;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Single-thread cost of one hand-off through the receive-to-forwarding ring, the way the agents use it:
 * tryClaim + RX time + copy of a 64-byte frame + commit, then read it back.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RingHandoffBenchmark implements MessageHandler
{
    private RingBuffer ring;
    private UnsafeBuffer frame;
    private long sum;

    @Setup
    public void setup()
    {
        ring = new OneToOneRingBuffer(
            new UnsafeBuffer(ByteBuffer.allocateDirect((1 << 16) + RingBufferDescriptor.TRAILER_LENGTH)));
        frame = new UnsafeBuffer(ByteBuffer.allocateDirect(128));
        Fixtures.writeFrame(frame, 0, Fixtures.hostMac(1), Fixtures.hostMac(2));
    }

    @Benchmark
    public long writeAndRead()
    {
        final int length = FrameRecord.HEADER_LENGTH + 74;
        final int index = ring.tryClaim(1, length);
        final MutableDirectBuffer buffer = ring.buffer();
        buffer.putLong(index + FrameRecord.RX_TIME_OFFSET, 1L);
        buffer.putBytes(index + FrameRecord.VNET_HEADER_OFFSET, frame, 0, 74);
        ring.commit(index);
        // At the wrap a read only consumes the padding record: read again for the message at index 0.
        if (ring.read(this, 1) == 0)
        {
            ring.read(this, 1);
        }
        return sum;
    }

    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        sum += buffer.getLong(index + length - 8) + msgTypeId;
    }
}
