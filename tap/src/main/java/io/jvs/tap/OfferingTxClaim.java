package io.jvs.tap;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * {@link TxClaim} for a port without transmit memory of its own to build in (a TAP's write(), a test port): the
 * frame is built in a scratch buffer and commit is one {@link PacketPort#offer}, i.e. the copy the claim saves on
 * a ring port happens here. Allocates its scratch once.
 */
public final class OfferingTxClaim implements TxClaim
{
    private static final int NONE = -1;

    private final PacketPort port;
    private final UnsafeBuffer scratch;
    private int claimed = NONE;

    public OfferingTxClaim(final PacketPort port)
    {
        this.port = port;
        this.scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(port.maxFrameLength()));
    }

    public int tryClaim(final int length)
    {
        if (length <= 0 || length > scratch.capacity())
        {
            claimed = NONE;
            return -1;
        }
        claimed = length;
        return 0;
    }

    public MutableDirectBuffer buffer()
    {
        return scratch;
    }

    public boolean commit(final int length)
    {
        final int limit = claimed;
        if (limit == NONE)
        {
            throw new IllegalStateException("commit without a claim on " + port.name());
        }
        if (length <= 0 || length > limit)
        {
            throw new IllegalArgumentException("commit length=" + length + " claimed=" + limit);
        }
        claimed = NONE;
        return port.offer(scratch, 0, length);
    }

    public void abort()
    {
        claimed = NONE;
    }
}
