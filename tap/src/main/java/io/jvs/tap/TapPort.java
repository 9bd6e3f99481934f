package io.jvs.tap;

import org.agrona.DirectBuffer;

/**
 * A TAP device from /dev/net/tun with IFF_VNET_HDR and TUNSETOFFLOAD (checksum and TSO offloads), non-blocking.
 */
public final class TapPort implements PacketPort
{
    private TapPort()
    {
    }

    /** Creates (or attaches to) TAP device {@code name}. The device goes away when closed unless persistent. */
    public static TapPort open(final String name)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public String name()
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public int fd()
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public int receive(final FrameHandler handler, final int limit)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public int flush()
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public int maxFrameLength()
    {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public void close()
    {
    }
}
