package io.jvs.dataplane.parse;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * What a flyweight points at after a failed wrap: zeros long enough for any header accessor, so that an accessor
 * called by mistake reads 0 instead of bytes past the frame.
 */
final class Empty
{
    /** At least the longest fixed header read by any accessor (IPv6: 40 bytes). Never written. */
    static final DirectBuffer BUFFER = new UnsafeBuffer(new byte[64]);

    private Empty()
    {
    }
}
