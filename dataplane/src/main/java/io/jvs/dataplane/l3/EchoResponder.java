package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.FrameParser;
import io.jvs.dataplane.parse.IcmpHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/** Answers pings to the router's own addresses: the request is turned into the reply in place. */
final class EchoResponder
{
    private final FrameParser parser;
    private final Interfaces interfaces;
    private final Transmitter transmitter;
    private final RouterCounters counters;

    EchoResponder(final FrameParser parser, final Interfaces interfaces, final Transmitter transmitter,
        final RouterCounters counters)
    {
        this.parser = parser;
        this.interfaces = interfaces;
        this.transmitter = transmitter;
        this.counters = counters;
    }

    /** The parsed echo request from {@code src} to {@code dst} came in on {@code iface}: the reply goes back. */
    void reply(final int iface, final MutableDirectBuffer buffer, final int offset, final int length, final int src,
        final int dst)
    {
        final int eth = offset + VnetHeader.LENGTH;
        final long senderMac = parser.ethernet().source();
        MacAddress.write(buffer, eth + EthernetHeader.DESTINATION_OFFSET, senderMac);
        MacAddress.write(buffer, eth + EthernetHeader.SOURCE_OFFSET, interfaces.mac(iface));
        final int l3 = parser.l3Offset();
        buffer.putInt(l3 + Ipv4Header.SOURCE_OFFSET, dst, ByteOrder.BIG_ENDIAN);
        buffer.putInt(l3 + Ipv4Header.DESTINATION_OFFSET, src, ByteOrder.BIG_ENDIAN);
        buffer.putByte(l3 + Ipv4Header.TTL_OFFSET, (byte)Router.LOCAL_TTL);
        buffer.putShort(l3 + Ipv4Header.CHECKSUM_OFFSET, (short)0);
        buffer.putShort(l3 + Ipv4Header.CHECKSUM_OFFSET,
            (short)Checksum.compute(buffer, l3, parser.ipv4().headerLength()), ByteOrder.BIG_ENDIAN);
        final int l4 = parser.l4Offset();
        buffer.putByte(l4 + IcmpHeader.TYPE_OFFSET, (byte)IcmpHeader.TYPE_ECHO_REPLY);
        buffer.putShort(l4 + IcmpHeader.CHECKSUM_OFFSET, (short)0);
        buffer.putShort(l4 + IcmpHeader.CHECKSUM_OFFSET,
            (short)Checksum.compute(buffer, l4, parser.l4Length()), ByteOrder.BIG_ENDIAN);
        buffer.setMemory(offset, VnetHeader.LENGTH, (byte)0); // finished checksums, no GSO
        counters.increment(RouterCounter.ICMP_ECHO_REPLIES);
        transmitter.emit(iface, buffer, offset, length);
    }
}
