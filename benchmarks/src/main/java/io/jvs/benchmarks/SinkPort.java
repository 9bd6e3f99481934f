package io.jvs.benchmarks;

import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * In-memory port for benchmarks: {@link #receive} replays prepared frames in a loop, {@link #offer} counts what
 * it is given (and touches the bytes, as a copy into a TX ring would), {@link #flush} counts kicks.
 */
final class SinkPort implements PacketPort
{
    private final String name;
    private final UnsafeBuffer frames;
    private final int[] offsets;
    private final int[] lengths;
    private int next;
    long offered;
    long bytes;
    long flushes;
    long checksum;

    /** A sink that receives nothing. */
    SinkPort(final String name)
    {
        this(name, new UnsafeBuffer(new byte[0]), new int[0], new int[0]);
    }

    SinkPort(final String name, final UnsafeBuffer frames, final int[] offsets, final int[] lengths)
    {
        this.name = name;
        this.frames = frames;
        this.offsets = offsets;
        this.lengths = lengths;
    }

    public String name()
    {
        return name;
    }

    public int fd()
    {
        return -1;
    }

    public int receive(final FrameHandler handler, final int limit)
    {
        if (offsets.length == 0)
        {
            return 0;
        }
        for (int i = 0; i < limit; i++)
        {
            handler.onFrame(frames, offsets[next], lengths[next]);
            if (++next == offsets.length)
            {
                next = 0;
            }
        }
        return limit;
    }

    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        offered++;
        bytes += length;
        checksum += buffer.getLong(offset + length - 8);
        return true;
    }

    public int flush()
    {
        flushes++;
        return 0;
    }

    public int maxFrameLength()
    {
        return 65_550;
    }

    public void close()
    {
    }
}
