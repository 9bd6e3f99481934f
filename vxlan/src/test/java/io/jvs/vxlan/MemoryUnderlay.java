package io.jvs.vxlan;

import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** An in-memory underlay: frames queued for receive, frames offered kept (copied) in order. */
final class MemoryUnderlay implements PacketPort
{
    final ArrayDeque<byte[]> rx = new ArrayDeque<>();
    final List<byte[]> tx = new ArrayList<>();
    int capacity = Integer.MAX_VALUE;
    /** Say that UDP GSO frames leave as their datagrams (as a kernel socket does): the tunnel then batches. */
    boolean udpGso;
    int flushes;

    public String name()
    {
        return "mem";
    }

    public int fd()
    {
        return -1;
    }

    public int receive(final FrameHandler handler, final int limit)
    {
        int n = 0;
        while (n < limit && !rx.isEmpty())
        {
            final byte[] f = rx.poll();
            handler.onFrame(new UnsafeBuffer(f), 0, f.length);
            n++;
        }
        return n;
    }

    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        if (tx.size() >= capacity)
        {
            return false;
        }
        final byte[] f = new byte[length];
        buffer.getBytes(offset, f);
        tx.add(f);
        return true;
    }

    public int flush()
    {
        flushes++;
        return 0;
    }

    public int maxFrameLength()
    {
        return 70_000;
    }

    @Override
    public boolean segmentsUdpGso()
    {
        return udpGso;
    }

    public void close()
    {
    }
}
