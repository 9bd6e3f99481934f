package io.jvs.tap;

import org.agrona.DirectBuffer;

/**
 * An AF_PACKET socket bound to one interface with TPACKET_V2 PACKET_MMAP RX and TX rings and PACKET_VNET_HDR.
 */
public final class PacketSocketPort implements PacketPort
{
    private PacketSocketPort()
    {
    }

    /** Opens with {@link RingConfig#defaults()}. Throws {@link NativeException} with errno and call on failure. */
    public static PacketSocketPort open(final String interfaceName)
    {
        return open(interfaceName, RingConfig.defaults());
    }

    public static PacketSocketPort open(final String interfaceName, final RingConfig config)
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
