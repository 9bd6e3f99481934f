package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.FrameParser;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Decides whether the router may answer the parsed packet with an ICMP error (RFC 1812 4.3.2.7, directed
 * broadcasts of its subnets, Linux's rate limit), counts it and builds it with {@link IcmpErrors}. Errors go back
 * out of the interface the packet came in on, to the MAC it came from, from the router's address there.
 */
final class IcmpErrorSender
{
    /** Linux's defaults: net.ipv4.icmp_msgs_per_sec 1000, icmp_msgs_burst 50. */
    static final int ERRORS_PER_SECOND = 1000;
    static final int ERRORS_BURST = 50;

    private final FrameParser parser;
    private final Interfaces interfaces;
    private final Transmitter transmitter;
    private final RouterCounters counters;
    private final IcmpErrors icmpErrors = new IcmpErrors();
    private final TokenBucket limiter = new TokenBucket(ERRORS_PER_SECOND, ERRORS_BURST);

    IcmpErrorSender(final FrameParser parser, final Interfaces interfaces, final Transmitter transmitter,
        final RouterCounters counters)
    {
        this.parser = parser;
        this.interfaces = interfaces;
        this.transmitter = transmitter;
        this.counters = counters;
    }

    /** An error about the parsed packet (in {@code buffer} at {@code offset}), sent out of {@code ingress}. */
    void send(final int ingress, final MutableDirectBuffer buffer, final int offset, final int type, final int code,
        final int mtu, final long now)
    {
        final int length = build(ingress, buffer, offset, type, code, mtu, now);
        if (length > 0)
        {
            transmitter.emit(ingress, icmpErrors.frame(), 0, length);
        }
    }

    /** @return the error frame's length (in {@link #frame()}), or 0 if none may be sent about the packet (counted). */
    int build(final int ingress, final MutableDirectBuffer buffer, final int offset, final int type, final int code,
        final int mtu, final long now)
    {
        final int l3 = parser.l3Offset();
        final int src = parser.ipv4().source();
        final int dst = parser.ipv4().destination();
        if (!IcmpErrors.mayAnswer(buffer, l3, parser.l3Length()) ||
            interfaces.isSubnetBroadcast(src) || interfaces.isSubnetBroadcast(dst))
        {
            counters.increment(RouterCounter.ICMP_ERRORS_SUPPRESSED);
            return 0;
        }
        final boolean pmtu = type == IcmpErrors.TYPE_DEST_UNREACHABLE && code == IcmpErrors.CODE_FRAGMENTATION_NEEDED;
        // Linux exempts PMTU discovery's errors from the limit (icmpv4_mask_allow): a stalled TCP flow is worse.
        if (!pmtu && !limiter.tryAcquire(now))
        {
            counters.increment(RouterCounter.ICMP_ERRORS_RATE_LIMITED);
            return 0;
        }
        counters.increment(type == IcmpErrors.TYPE_TIME_EXCEEDED ? RouterCounter.ICMP_TIME_EXCEEDED :
            pmtu ? RouterCounter.ICMP_FRAG_NEEDED :
            code == IcmpErrors.CODE_NET_UNREACHABLE ? RouterCounter.ICMP_NET_UNREACHABLE :
            code == IcmpErrors.CODE_HOST_UNREACHABLE ? RouterCounter.ICMP_HOST_UNREACHABLE :
            RouterCounter.ICMP_PORT_UNREACHABLE);
        return icmpErrors.build(parser.ethernet().source(), interfaces.mac(ingress), interfaces.ip(ingress), src,
            type, code, mtu, buffer, l3, parser.l3Length());
    }

    /** The frame of the last {@link #build}. */
    UnsafeBuffer frame()
    {
        return icmpErrors.frame();
    }
}
