package io.jvs.dataplane.l3;

import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import org.agrona.DirectBuffer;

/**
 * The placeholder {@link PacketPort} of a bridge domain's router leg: the forwarding agent hands frames switched
 * to a leg straight to the router (it never calls {@link #offer}), and the leg has no kernel device.
 */
public final class RouterLeg implements PacketPort
{
    /** Large enough for 64 KB GSO frames plus headers. */
    public static final int MAX_FRAME_LENGTH = 65_550;

    private final String name;

    public RouterLeg(final String name)
    {
        this.name = name;
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
        return 0;
    }

    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        throw new UnsupportedOperationException("router leg " + name + ": frames go to the router, not offer()");
    }

    public int flush()
    {
        return 0;
    }

    public int maxFrameLength()
    {
        return MAX_FRAME_LENGTH;
    }

    public void close()
    {
    }
}
