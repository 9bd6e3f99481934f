package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.FrameParser;
import io.jvs.dataplane.parse.IcmpHeader;
import io.jvs.dataplane.parse.Ipv6Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * ICMPv6 errors the router originates (RFC 4443): destination unreachable, packet too big (with the next-hop
 * MTU), time exceeded. Built into one reused scratch frame, sent back out of the interface the offending packet
 * came in on, to the MAC it came from, from the router's address there (its link-local one when the offending
 * source is link-local). The message quotes as much of the packet as fits in the IPv6 minimum MTU.
 * <pre>
 *   0          10             24              64             72                     72 + quote (<= 1232)
 *   +----------+--------------+---------------+--------------+----------------------+
 *   | vnet hdr | Ethernet     | IPv6 (40)     | ICMPv6 (8)   | offending packet,    |
 *   | (zeros)  | dst src 86dd | hop limit 64  | type code    | from its IPv6 header |
 *   |          |              |               | csum MTU/0   |                      |
 *   +----------+--------------+---------------+--------------+----------------------+
 * </pre>
 * Never sent (RFC 4443 2.4 (e)), counted {@code icmp_errors_suppressed}: about an ICMPv6 error or a redirect, a
 * packet to a multicast group, a packet from ::, ::1 or a multicast source. Rate-limited by a token bucket of its
 * own with the IPv4 figures; packet too big is exempt (Linux's icmpv6_mask_allow), or PMTU discovery stalls.
 */
final class Icmpv6ErrorSender
{
    static final int HOP_LIMIT = Router.LOCAL_TTL;
    static final int MAX_QUOTE_LENGTH = Icmpv6.MIN_MTU - Ipv6Header.HEADER_LENGTH - Icmpv6.ERROR_HEADER_LENGTH;
    static final int QUOTE_OFFSET = Ipv6Frames.ICMP_OFFSET + Icmpv6.ERROR_HEADER_LENGTH;
    static final int FRAME_CAPACITY = QUOTE_OFFSET + MAX_QUOTE_LENGTH;

    private final FrameParser parser;
    private final Interfaces interfaces;
    private final Ipv6Interfaces ipv6;
    private final Transmitter transmitter;
    private final RouterCounters counters;
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[FRAME_CAPACITY]);
    private final TokenBucket limiter =
        new TokenBucket(IcmpErrorSender.ERRORS_PER_SECOND, IcmpErrorSender.ERRORS_BURST);

    Icmpv6ErrorSender(final FrameParser parser, final Interfaces interfaces, final Ipv6Interfaces ipv6,
        final Transmitter transmitter, final RouterCounters counters)
    {
        this.parser = parser;
        this.interfaces = interfaces;
        this.ipv6 = ipv6;
        this.transmitter = transmitter;
        this.counters = counters;
    }

    /** An error about the parsed IPv6 packet in {@code buffer}, sent out of {@code ingress}. */
    void send(final int ingress, final DirectBuffer buffer, final int type, final int code, final int mtu,
        final long now)
    {
        final int length = build(ingress, buffer, type, code, mtu, now);
        if (length > 0)
        {
            transmitter.emit(ingress, frame, 0, length);
        }
    }

    /** @return the error frame's length (in {@link #frame()}), or 0 if none may be sent (counted). */
    int build(final int ingress, final DirectBuffer buffer, final int type, final int code, final int mtu,
        final long now)
    {
        final int l3 = parser.l3Offset();
        final long sourceHigh = buffer.getLong(l3 + Ipv6Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
        final long sourceLow = buffer.getLong(l3 + Ipv6Header.SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN);
        if (!mayAnswer(buffer, l3, sourceHigh, sourceLow) || !ipv6.isSet(ingress))
        {
            counters.increment(RouterCounter.ICMP_ERRORS_SUPPRESSED);
            return 0;
        }
        final boolean tooBig = type == Icmpv6.TYPE_PACKET_TOO_BIG;
        if (!tooBig && !limiter.tryAcquire(now))
        {
            counters.increment(RouterCounter.ICMP_ERRORS_RATE_LIMITED);
            return 0;
        }
        counters.increment(tooBig ? RouterCounter.ICMPV6_PACKET_TOO_BIG :
            type == Icmpv6.TYPE_TIME_EXCEEDED ? RouterCounter.ICMPV6_TIME_EXCEEDED : RouterCounter.ICMPV6_UNREACHABLE);

        final int quote = Math.min(parser.l3Length(), MAX_QUOTE_LENGTH);
        final int icmpLength = Icmpv6.ERROR_HEADER_LENGTH + quote;
        final UnsafeBuffer f = frame;
        final boolean linkLocal = Ipv6Addresses.isLinkLocal(sourceHigh);
        Ipv6Frames.ethernet(f, parser.ethernet().source(), interfaces.mac(ingress));
        Ipv6Frames.header(f, Ipv6Frames.IP_OFFSET, icmpLength, HOP_LIMIT,
            linkLocal ? Ipv6Addresses.LINK_LOCAL_HIGH : ipv6.high(ingress),
            linkLocal ? ipv6.linkLocalLow(ingress) : ipv6.low(ingress), sourceHigh, sourceLow);
        final int l4 = Ipv6Frames.ICMP_OFFSET;
        f.putByte(l4 + IcmpHeader.TYPE_OFFSET, (byte)type);
        f.putByte(l4 + IcmpHeader.CODE_OFFSET, (byte)code);
        f.putInt(l4 + Icmpv6.ERROR_MTU_OFFSET, tooBig ? mtu : 0, ByteOrder.BIG_ENDIAN);
        f.putBytes(QUOTE_OFFSET, buffer, l3, quote);
        Ipv6Frames.icmpChecksum(f, Ipv6Frames.IP_OFFSET, l4, icmpLength);
        return l4 + icmpLength;
    }

    /** RFC 4443 2.4 (e), the rules that can be read from the packet alone. */
    private boolean mayAnswer(final DirectBuffer buffer, final int l3, final long sourceHigh, final long sourceLow)
    {
        if (!Ipv6Addresses.isHostSource(sourceHigh, sourceLow) ||
            Ipv6Addresses.isMulticast(buffer.getLong(l3 + Ipv6Header.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN)))
        {
            return false;
        }
        if (parser.has(FrameParser.LAYER_ICMP))
        {
            final int type = parser.icmp().type();
            return !Icmpv6.isError(type) && type != Icmpv6.TYPE_REDIRECT;
        }
        return true;
    }

    /** The frame of the last {@link #build}. */
    UnsafeBuffer frame()
    {
        return frame;
    }
}
