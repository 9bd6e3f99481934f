package io.jvs.benchmarks;

import io.jvs.dataplane.engine.L3Output;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The router's per-packet work for a TCP packet of an established, source-NATed flow, with {@code flows} flows
 * in the connection table, probed in random order: parse, connection lookup, address/port rewrite with RFC 1624
 * checksum updates, state/timeout update, TTL, neighbour lookup, Ethernet rewrite, hand-off to a sink output.
 * Each packet first copies a 74-byte frame template and writes the flow's addresses into it (~5 ns of the figure),
 * because the router rewrites frames in place.
 * <p>
 * {@code *Batch}: as the forwarding agent drives the router, a batch of {@value #BATCH} frames (each a random flow)
 * queued with {@link Router#queueFrame} and handled by {@link Router#endBatch}; the figure is per packet.
 * {@code *Translate}: one packet per call through {@code onBridgedFrame}/{@code onRoutedFrame} (no overlap
 * between packets), kept for comparison with the earlier figures.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class NatBenchmark
{
    static final int PROBES = 1 << 16;
    static final int LEG_PORT = 1;
    static final int UPLINK_PORT = 2;
    static final int BD = 1;
    static final long GW_MAC = 0x026A_7600_0001L;
    static final long UPLINK_MAC = 0x026A_7600_0000L;
    static final long CONTAINER_MAC = 0x0200_0000_0002L;
    static final long NEXT_HOP_MAC = 0x0200_0000_0099L;
    static final int CONTAINER = 0x0A4E_0002;      // 10.78.0.2
    static final int GATEWAY = 0x0A4E_0001;        // 10.78.0.1
    static final int UPLINK = 0x0A4D_0002;         // 10.77.0.2
    static final int NEXT_HOP = 0x0A4D_0001;       // 10.77.0.1
    static final int REMOTE_BASE = 0xC612_0000;    // 198.18.0.0/15
    static final int ETH = VnetHeader.LENGTH;
    static final int IP = ETH + 14;
    static final int FRAME_LENGTH = IP + 20 + 20;
    /** The forwarding agent's default batch (SwitchConfig batch size). */
    static final int BATCH = 64;
    static final int SLOT = 128;

    @Param({ "1000", "100000" })
    public int flows;

    private Router router;
    private final Sink sink = new Sink();
    private final UnsafeBuffer template = new UnsafeBuffer(new byte[FRAME_LENGTH]);
    private final UnsafeBuffer replyTemplate = new UnsafeBuffer(new byte[FRAME_LENGTH]);
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[2048]);
    private final UnsafeBuffer frames = new UnsafeBuffer(new byte[BATCH * SLOT]);
    private int[] natPorts;
    private int[] probes;
    /** The NAT port of each probe's flow, in probe order: a random read of {@code natPorts} per packet would add
     * a cache miss of the benchmark's own (400 KB at 100k flows) to the inbound figures. */
    private int[] probeNatPorts;
    private int next;

    static final class Sink implements L3Output
    {
        long frames;
        long checksum;

        public void injectBridged(final int legPort, final MutableDirectBuffer buffer, final int offset,
            final int length)
        {
            frames++;
            checksum += buffer.getShort(offset + IP + 10);
        }

        public boolean transmitRouted(final int port, final MutableDirectBuffer buffer, final int offset,
            final int length)
        {
            frames++;
            checksum += buffer.getShort(offset + IP + 10) + buffer.getShort(offset + IP + 20);
            return true;
        }
    }

    @Setup
    public void setup()
    {
        router = new Router(NatConfig.defaults().withCapacity(Math.max(1024, flows * 2)), new RouterCounters());
        router.output(sink);
        router.clock(1_000_000_000L);
        router.addLeg(BD, LEG_PORT, GW_MAC, GATEWAY, 24, false);
        router.setUplink(UPLINK_PORT, UPLINK_MAC, UPLINK, 24, NEXT_HOP);
        // Neighbours learn from ARP requests for the router's addresses.
        arpRequest(LEG_PORT, CONTAINER_MAC, CONTAINER, GATEWAY, true);
        arpRequest(UPLINK_PORT, NEXT_HOP_MAC, NEXT_HOP, UPLINK, false);

        tcpFrame(template, GW_MAC, CONTAINER_MAC, CONTAINER, 0, 40000, 443);
        tcpFrame(replyTemplate, UPLINK_MAC, NEXT_HOP_MAC, 0, UPLINK, 443, 0);
        natPorts = new int[flows];
        for (int i = 0; i < flows; i++)
        {
            outbound(i);
            natPorts[i] = frame.getShort(IP + 20, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        }
        if (router.connections() != flows)
        {
            throw new IllegalStateException("flows set up: " + router.connections() + " of " + flows);
        }
        final SplittableRandom random = new SplittableRandom(3);
        probes = new int[PROBES];
        for (int i = 0; i < PROBES; i++)
        {
            probes[i] = random.nextInt(flows);
        }
        probeNatPorts = new int[PROBES];
        for (int i = 0; i < PROBES; i++)
        {
            probeNatPorts[i] = natPorts[probes[i]];
        }
    }

    private void arpRequest(final int port, final long mac, final int ip, final int target, final boolean leg)
    {
        final UnsafeBuffer f = new UnsafeBuffer(new byte[ETH + 60]);
        putMac(f, ETH, 0xFFFF_FFFF_FFFFL);
        putMac(f, ETH + 6, mac);
        f.putShort(ETH + 12, (short)0x0806, ByteOrder.BIG_ENDIAN);
        f.putShort(IP, (short)1, ByteOrder.BIG_ENDIAN);
        f.putShort(IP + 2, (short)0x0800, ByteOrder.BIG_ENDIAN);
        f.putByte(IP + 4, (byte)6);
        f.putByte(IP + 5, (byte)4);
        f.putShort(IP + 6, (short)1, ByteOrder.BIG_ENDIAN);
        putMac(f, IP + 8, mac);
        f.putInt(IP + 14, ip, ByteOrder.BIG_ENDIAN);
        f.putInt(IP + 24, target, ByteOrder.BIG_ENDIAN);
        if (leg)
        {
            router.onBridgedFrame(port, f, 0, f.capacity());
        }
        else
        {
            router.onRoutedFrame(port, f, 0, f.capacity());
        }
    }

    private static void putMac(final UnsafeBuffer f, final int at, final long mac)
    {
        f.putShort(at, (short)(mac >>> 32), ByteOrder.BIG_ENDIAN);
        f.putInt(at + 2, (int)mac, ByteOrder.BIG_ENDIAN);
    }

    /** An ACK-only TCP segment (a flow picked up as established); checksums are not verified by the router. */
    private static void tcpFrame(final UnsafeBuffer f, final long dstMac, final long srcMac, final int src,
        final int dst, final int sport, final int dport)
    {
        putMac(f, ETH, dstMac);
        putMac(f, ETH + 6, srcMac);
        f.putShort(ETH + 12, (short)0x0800, ByteOrder.BIG_ENDIAN);
        f.putByte(IP, (byte)0x45);
        f.putShort(IP + 2, (short)40, ByteOrder.BIG_ENDIAN);
        f.putShort(IP + 6, (short)0x4000, ByteOrder.BIG_ENDIAN);
        f.putByte(IP + 8, (byte)64);
        f.putByte(IP + 9, (byte)6);
        f.putShort(IP + 10, (short)0x1234, ByteOrder.BIG_ENDIAN);
        f.putInt(IP + 12, src, ByteOrder.BIG_ENDIAN);
        f.putInt(IP + 16, dst, ByteOrder.BIG_ENDIAN);
        f.putShort(IP + 20, (short)sport, ByteOrder.BIG_ENDIAN);
        f.putShort(IP + 22, (short)dport, ByteOrder.BIG_ENDIAN);
        f.putByte(IP + 32, (byte)0x50);
        f.putByte(IP + 33, (byte)0x10);
        f.putShort(IP + 36, (short)0x5678, ByteOrder.BIG_ENDIAN);
    }

    private void outbound(final int flow)
    {
        frame.putBytes(0, template, 0, FRAME_LENGTH);
        frame.putInt(IP + 16, REMOTE_BASE + flow, ByteOrder.BIG_ENDIAN);
        router.onBridgedFrame(LEG_PORT, frame, 0, FRAME_LENGTH);
    }

    @Benchmark
    public long outboundTranslate()
    {
        final int flow = probes[next++ & (PROBES - 1)];
        outbound(flow);
        return sink.frames;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long outboundBatch()
    {
        return batch(false);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long inboundBatch()
    {
        return batch(true);
    }

    /** A forwarding-agent batch: {@value #BATCH} frames of random flows queued, then handled in one go. */
    private long batch(final boolean inbound)
    {
        for (int k = 0; k < BATCH; k++)
        {
            final int probe = next++ & (PROBES - 1);
            final int flow = probes[probe];
            final int at = k * SLOT;
            if (inbound)
            {
                frames.putBytes(at, replyTemplate, 0, FRAME_LENGTH);
                frames.putInt(at + IP + 12, REMOTE_BASE + flow, ByteOrder.BIG_ENDIAN);
                frames.putShort(at + IP + 22, (short)probeNatPorts[probe], ByteOrder.BIG_ENDIAN);
                router.queueFrame(true, UPLINK_PORT, frames, at, FRAME_LENGTH);
            }
            else
            {
                frames.putBytes(at, template, 0, FRAME_LENGTH);
                frames.putInt(at + IP + 16, REMOTE_BASE + flow, ByteOrder.BIG_ENDIAN);
                router.queueFrame(false, LEG_PORT, frames, at, FRAME_LENGTH);
            }
        }
        router.endBatch();
        return sink.frames;
    }

    @Benchmark
    public long inboundTranslate()
    {
        final int probe = next++ & (PROBES - 1);
        frame.putBytes(0, replyTemplate, 0, FRAME_LENGTH);
        frame.putInt(IP + 12, REMOTE_BASE + probes[probe], ByteOrder.BIG_ENDIAN);
        frame.putShort(IP + 22, (short)probeNatPorts[probe], ByteOrder.BIG_ENDIAN);
        router.onRoutedFrame(UPLINK_PORT, frame, 0, FRAME_LENGTH);
        return sink.frames;
    }
}
