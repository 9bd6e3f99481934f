package io.jvs.benchmarks;

import io.jvs.dataplane.engine.L3Output;
import io.jvs.dataplane.l3.Checksum;
import io.jvs.dataplane.l3.Router;
import io.jvs.dataplane.l3.RouterCounters;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * The router's IPv6 hot paths, driven directly (no agents): a sandbox's UDP packet forwarded from its network's
 * gateway to the host link (parse, own-address and prefix checks, hop limit, egress MTU, neighbour lookup,
 * Ethernet rewrite, hand-off to a sink), one per call and in batches of {@value #BATCH} as the forwarding agent
 * queues them; and a neighbour solicitation for the gateway answered with a neighbour advertisement (ICMPv6 checksum
 * verified over the pseudo-header, advertisement built and checksummed). Each call first copies the frame template
 * (the router rewrites frames in place).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class Ipv6RouterBenchmark
{
    static final int LEG_PORT = 1;
    static final int HOST_PORT = 3;
    static final int BD = 1;
    static final long GW_MAC = 0x0242_0A4E_0001L;
    static final long HOST_ROUTER_MAC = 0x0242_A9FE_4D02L;
    static final long CONTAINER_MAC = 0x0200_0000_0002L;
    static final long HOST_MAC = 0x0200_0000_0077L;
    static final long GW_HIGH = 0xFD00_0078_0000_0000L;        // fd00:78::1/64
    static final long GW_LOW = 1;
    static final long CONTAINER_LOW = 2;                       // fd00:78::2
    static final long HOST_HIGH = 0xFD6A_7673_0000_0001L;      // fd6a:7673:0:1::1/64, the router ::2
    static final long HOST_LOW = 1;
    static final long ROUTER_HOST_LOW = 2;
    static final int ETH = VnetHeader.LENGTH;
    static final int IP = ETH + 14;
    static final int L4 = IP + 40;
    static final int UDP_FRAME_LENGTH = L4 + 8 + 32;
    static final int ND_LENGTH = 32;
    static final int NS_FRAME_LENGTH = L4 + ND_LENGTH;
    static final int BATCH = 64;
    static final int SLOT = 256;
    static final int UPLINK_PORT = 2;
    static final long UPLINK_MAC = 0x0242_0A4D_0002L;
    static final long OUTSIDE_MAC = 0x0200_0000_0099L;
    static final long UPLINK_HIGH = 0x2001_0DB8_0077_0000L;   // 2001:db8:77::2/64, gateway ::1
    static final long REMOTE_HIGH = 0x2001_0DB8_FFFF_0000L;   // remote endpoints 2001:db8:ffff::/64
    /** Masqueraded flows set up, probed in random order by {@code nat66Outbound}. */
    static final int FLOWS = 1024;
    static final int PROBES = 1 << 14;

    private Router router;
    private final Sink sink = new Sink();
    private final UnsafeBuffer udpTemplate = new UnsafeBuffer(new byte[UDP_FRAME_LENGTH]);
    private final UnsafeBuffer nsTemplate = new UnsafeBuffer(new byte[NS_FRAME_LENGTH]);
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[2048]);
    private final UnsafeBuffer frames = new UnsafeBuffer(new byte[BATCH * SLOT]);
    private final UnsafeBuffer tcpTemplate = new UnsafeBuffer(new byte[TCP_FRAME_LENGTH]);
    private final int[] probes = new int[PROBES];
    private int next;
    static final int TCP_FRAME_LENGTH = L4 + 20;

    static final class Sink implements L3Output
    {
        long frames;
        long checksum;

        public void injectBridged(final int legPort, final MutableDirectBuffer buffer, final int offset,
            final int length)
        {
            frames++;
            checksum += buffer.getShort(offset + L4 + 2);
        }

        public boolean transmitRouted(final int port, final MutableDirectBuffer buffer, final int offset,
            final int length)
        {
            frames++;
            checksum += buffer.getByte(offset + IP + 7);
            return true;
        }
    }

    @Setup
    public void setup()
    {
        router = new Router(NatConfig.defaults(), new RouterCounters());
        router.output(sink);
        router.clock(1_000_000_000L);
        router.addLeg(BD, LEG_PORT, GW_MAC, 0x0A4E_0001, 24, false);
        router.addIpv6Leg(BD, LEG_PORT, GW_MAC, GW_HIGH, GW_LOW, 64);
        router.setHost(HOST_PORT, HOST_ROUTER_MAC, 0xA9FE_4D02, 30);
        router.setHostIpv6(HOST_HIGH, ROUTER_HOST_LOW, 64);
        // Neighbours learn from their solicitations for the router's addresses (source link-layer option).
        solicitation(nsTemplate, GW_MAC, CONTAINER_MAC, GW_HIGH, CONTAINER_LOW, GW_HIGH, GW_LOW);
        router.onBridgedFrame(LEG_PORT, copy(nsTemplate), 0, NS_FRAME_LENGTH);
        final UnsafeBuffer hostNs = new UnsafeBuffer(new byte[NS_FRAME_LENGTH]);
        solicitation(hostNs, HOST_ROUTER_MAC, HOST_MAC, HOST_HIGH, HOST_LOW, HOST_HIGH, ROUTER_HOST_LOW);
        router.onRoutedFrame(HOST_PORT, hostNs, 0, NS_FRAME_LENGTH);
        udp(udpTemplate);

        router.setUplink(UPLINK_PORT, UPLINK_MAC, 0x0A4D_0002, 24, 0x0A4D_0001);
        router.setUplinkIpv6(UPLINK_HIGH, 2, 64, UPLINK_HIGH, 1);
        final UnsafeBuffer gatewayNs = new UnsafeBuffer(new byte[NS_FRAME_LENGTH]);
        solicitation(gatewayNs, UPLINK_MAC, OUTSIDE_MAC, UPLINK_HIGH, 1, UPLINK_HIGH, 2);
        router.onRoutedFrame(UPLINK_PORT, gatewayNs, 0, NS_FRAME_LENGTH);
        tcp(tcpTemplate);
        for (int flow = 0; flow < FLOWS; flow++)
        {
            nat66(flow);
        }
        if (router.ipv6Connections() != FLOWS)
        {
            throw new IllegalStateException("flows: " + router.ipv6Connections() + " " + router.counters().snapshot());
        }
        final java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        for (int i = 0; i < PROBES; i++)
        {
            probes[i] = random.nextInt(FLOWS);
        }
        final long before = sink.frames;
        final long routed = router.counters().snapshot().get("routed_ipv6");
        forwardToHost();
        if (sink.frames != before + 1 || router.counters().snapshot().get("routed_ipv6") != routed + 1)
        {
            throw new IllegalStateException("not forwarded: " + router.counters().snapshot());
        }
    }

    private UnsafeBuffer copy(final UnsafeBuffer template)
    {
        frame.putBytes(0, template, 0, template.capacity());
        return frame;
    }

    private static void ethernet(final UnsafeBuffer f, final long dst, final long src)
    {
        f.putShort(ETH, (short)(dst >>> 32), ByteOrder.BIG_ENDIAN);
        f.putInt(ETH + 2, (int)dst, ByteOrder.BIG_ENDIAN);
        f.putShort(ETH + 6, (short)(src >>> 32), ByteOrder.BIG_ENDIAN);
        f.putInt(ETH + 8, (int)src, ByteOrder.BIG_ENDIAN);
        f.putShort(ETH + 12, (short)0x86DD, ByteOrder.BIG_ENDIAN);
    }

    private static void ipv6(final UnsafeBuffer f, final int payloadLength, final int nextHeader, final int hopLimit,
        final long srcHigh, final long srcLow, final long dstHigh, final long dstLow)
    {
        f.putInt(IP, 0x6000_0000, ByteOrder.BIG_ENDIAN);
        f.putShort(IP + 4, (short)payloadLength, ByteOrder.BIG_ENDIAN);
        f.putByte(IP + 6, (byte)nextHeader);
        f.putByte(IP + 7, (byte)hopLimit);
        f.putLong(IP + 8, srcHigh, ByteOrder.BIG_ENDIAN);
        f.putLong(IP + 16, srcLow, ByteOrder.BIG_ENDIAN);
        f.putLong(IP + 24, dstHigh, ByteOrder.BIG_ENDIAN);
        f.putLong(IP + 32, dstLow, ByteOrder.BIG_ENDIAN);
    }

    /** A unicast neighbour solicitation for {@code target} with a source link-layer option, checksummed. */
    private static void solicitation(final UnsafeBuffer f, final long dstMac, final long srcMac, final long srcHigh,
        final long srcLow, final long targetHigh, final long targetLow)
    {
        ethernet(f, dstMac, srcMac);
        ipv6(f, ND_LENGTH, 58, 255, srcHigh, srcLow, targetHigh, targetLow);
        f.putByte(L4, (byte)135);
        f.putLong(L4 + 8, targetHigh, ByteOrder.BIG_ENDIAN);
        f.putLong(L4 + 16, targetLow, ByteOrder.BIG_ENDIAN);
        f.putByte(L4 + 24, (byte)1);
        f.putByte(L4 + 25, (byte)1);
        f.putShort(L4 + 26, (short)(srcMac >>> 32), ByteOrder.BIG_ENDIAN);
        f.putInt(L4 + 28, (int)srcMac, ByteOrder.BIG_ENDIAN);
        final long sum = Checksum.ipv6PseudoHeader(f, IP + 8, IP + 24, 58, ND_LENGTH) +
            Checksum.sumNative(f, L4, ND_LENGTH);
        f.putShort(L4 + 2, (short)Checksum.finishNative(sum), ByteOrder.BIG_ENDIAN);
    }

    /** UDP from the sandbox to the host (its checksum is not the router's business). */
    private static void udp(final UnsafeBuffer f)
    {
        ethernet(f, GW_MAC, CONTAINER_MAC);
        ipv6(f, 8 + 32, 17, 64, GW_HIGH, CONTAINER_LOW, HOST_HIGH, HOST_LOW);
        f.putShort(L4, (short)40000, ByteOrder.BIG_ENDIAN);
        f.putShort(L4 + 2, (short)7, ByteOrder.BIG_ENDIAN);
        f.putShort(L4 + 4, (short)40, ByteOrder.BIG_ENDIAN);
        f.putShort(L4 + 6, (short)0x1234, ByteOrder.BIG_ENDIAN);
    }

    /** An ACK from the sandbox to a remote endpoint (checksum not verified by the router, updated incrementally). */
    private static void tcp(final UnsafeBuffer f)
    {
        ethernet(f, GW_MAC, CONTAINER_MAC);
        ipv6(f, 20, 6, 64, GW_HIGH, CONTAINER_LOW, REMOTE_HIGH, 0);
        f.putShort(L4, (short)40000, ByteOrder.BIG_ENDIAN);
        f.putShort(L4 + 2, (short)443, ByteOrder.BIG_ENDIAN);
        f.putByte(L4 + 12, (byte)0x50);
        f.putByte(L4 + 13, (byte)0x10);
        f.putShort(L4 + 16, (short)0x5678, ByteOrder.BIG_ENDIAN);
    }

    private void nat66(final int flow)
    {
        frame.putBytes(0, tcpTemplate, 0, TCP_FRAME_LENGTH);
        frame.putLong(IP + 32, flow + 1, ByteOrder.BIG_ENDIAN); // remote 2001:db8:ffff::<flow + 1>
        router.onBridgedFrame(LEG_PORT, frame, 0, TCP_FRAME_LENGTH);
    }

    /**
     * One packet of an established masqueraded flow ({@value #FLOWS} flows, random order): parse, NAT66 lookup,
     * source rewrite with the 128-bit pseudo-header checksum update, state, hop limit, neighbour, Ethernet.
     */
    @Benchmark
    public long nat66Outbound()
    {
        nat66(probes[next++ & (PROBES - 1)]);
        return sink.frames;
    }

    @Benchmark
    public long forwardToHost()
    {
        router.onBridgedFrame(LEG_PORT, copy(udpTemplate), 0, UDP_FRAME_LENGTH);
        return sink.frames;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long forwardToHostBatch()
    {
        for (int i = 0; i < BATCH; i++)
        {
            final int at = i * SLOT;
            frames.putBytes(at, udpTemplate, 0, UDP_FRAME_LENGTH);
            router.queueFrame(false, LEG_PORT, frames, at, UDP_FRAME_LENGTH);
        }
        router.endBatch();
        return sink.frames;
    }

    @Benchmark
    public long answerNeighbourSolicitation()
    {
        router.onBridgedFrame(LEG_PORT, copy(nsTemplate), 0, NS_FRAME_LENGTH);
        return sink.checksum;
    }
}
