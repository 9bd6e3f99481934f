package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.FrameParser;
import io.jvs.dataplane.parse.IcmpHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Answers pings to the router's own addresses: the request is turned into the reply in place. A request whose IPv4
 * header or ICMP checksum does not verify, or whose source cannot be answered (RFC 1812 4.2.2.11: 0.0.0.0/8,
 * loopback, multicast, limited or a subnet's directed broadcast), is dropped and counted.
 */
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
        final int l3 = parser.l3Offset();
        final int headerLength = parser.ipv4().headerLength();
        final int l4 = parser.l4Offset();
        if (!IcmpErrors.isHostAddress(src) || interfaces.isSubnetBroadcast(src))
        {
            counters.increment(RouterCounter.DROP_ECHO_BAD_SOURCE);
            return;
        }
        if (Checksum.compute(buffer, l3, headerLength) != 0 || Checksum.compute(buffer, l4, parser.l4Length()) != 0)
        {
            counters.increment(RouterCounter.DROP_BAD_CHECKSUM);
            return;
        }
        final int eth = offset + VnetHeader.LENGTH;
        final long senderMac = parser.ethernet().source();
        MacAddress.write(buffer, eth + EthernetHeader.DESTINATION_OFFSET, senderMac);
        MacAddress.write(buffer, eth + EthernetHeader.SOURCE_OFFSET, interfaces.mac(iface));
        buffer.putInt(l3 + Ipv4Header.SOURCE_OFFSET, dst, ByteOrder.BIG_ENDIAN);
        buffer.putInt(l3 + Ipv4Header.DESTINATION_OFFSET, src, ByteOrder.BIG_ENDIAN);
        buffer.putByte(l3 + Ipv4Header.TTL_OFFSET, (byte)Router.LOCAL_TTL);
        buffer.putShort(l3 + Ipv4Header.CHECKSUM_OFFSET, (short)0);
        buffer.putShort(l3 + Ipv4Header.CHECKSUM_OFFSET,
            (short)Checksum.compute(buffer, l3, headerLength), ByteOrder.BIG_ENDIAN);
        buffer.putByte(l4 + IcmpHeader.TYPE_OFFSET, (byte)IcmpHeader.TYPE_ECHO_REPLY);
        buffer.putShort(l4 + IcmpHeader.CHECKSUM_OFFSET, (short)0);
        buffer.putShort(l4 + IcmpHeader.CHECKSUM_OFFSET,
            (short)Checksum.compute(buffer, l4, parser.l4Length()), ByteOrder.BIG_ENDIAN);
        buffer.setMemory(offset, VnetHeader.LENGTH, (byte)0); // finished checksums, no GSO
        counters.increment(RouterCounter.ICMP_ECHO_REPLIES);
        transmitter.emit(iface, buffer, offset, length);
    }
}
