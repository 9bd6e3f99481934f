package io.jvs.benchmarks;

import io.jvs.dataplane.engine.ForwardingAgent;
import io.jvs.dataplane.engine.FrameRecord;
import io.jvs.dataplane.engine.SwitchCounters;
import io.jvs.dataplane.mac.MacTable;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.RingConfig;
import io.jvs.tap.VnetHeader;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * How the L2 path scales with ports and learned MACs: the forwarding agent's per-frame work (parse, learn/refresh
 * the source, look up the destination, offer to the egress port, a flush every {@link #BATCH} frames) with
 * {@code macs} hosts learned, spread round-robin over {@code ports} ports of one bridge domain. Each frame goes
 * from a uniformly random host to a uniformly random host on another port (so nothing is dropped as same-port
 * and every frame is a random read and a random write in the MAC table). Each op writes the pair's two MACs into
 * a ring-record image (~2 ns of the figure) because a prepared set of frames would revisit the same few table
 * slots and hide the cache misses of a large table.
 * <p>
 * Memory is printed once per trial ({@code # scale ...} lines of the run's output): the MAC table's slot arrays
 * ({@link MacTable#memoryBytes()}, from its capacity), the heap used after setup minus before (after a GC, via
 * {@link MemoryMXBean}; the table plus this benchmark's probe arrays), and what the daemon's ports would map in
 * PACKET_MMAP rings at {@link RingConfig#defaults()} ({@link PacketSocketPort#mappedBytes} per port; kernel
 * memory, not heap; the in-memory sink ports here have none).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class SwitchScaleBenchmark
{
    static final int BATCH = 64;
    static final int BD = 1;
    static final int PROBES = 1 << 18;
    static final int RECORDS = 1024;
    static final int RECORD_STRIDE = 128;
    static final int RECORD_LENGTH = FrameRecord.HEADER_LENGTH + VnetHeader.LENGTH + Fixtures.FRAME_LENGTH;

    @Param({ "2", "4", "16", "64" })
    public int ports;

    @Param({ "1000", "100000", "1000000" })
    public int macs;

    private ForwardingAgent agent;
    private UnsafeBuffer records;
    private int[] sources;
    private int[] destinations;
    private int next;
    private int probe;

    @Setup
    public void setup()
    {
        final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        final long heapBefore = memory.getHeapMemoryUsage().getUsed();

        final OneToOneRingBuffer unusedRing = new OneToOneRingBuffer(
            new UnsafeBuffer(ByteBuffer.allocateDirect(4096 + RingBufferDescriptor.TRAILER_LENGTH)));
        final MacTable macTable = new MacTable(macs, 16, 300_000_000_000L);
        agent = new ForwardingAgent(unusedRing, new SwitchCounters(), macTable, BATCH, new SystemNanoClock(), null);
        agent.onBridgeDomainCreated(BD);
        final int[] members = new int[ports];
        for (int p = 1; p <= ports; p++)
        {
            members[p - 1] = p;
        }
        for (int p = 1; p <= ports; p++)
        {
            agent.onPortAdded(p, new SinkPort("sink" + p), BD, members);
        }
        records = new UnsafeBuffer(ByteBuffer.allocateDirect(RECORDS * RECORD_STRIDE));
        for (int i = 0; i < RECORDS; i++)
        {
            Fixtures.writeFrame(records, i * RECORD_STRIDE + FrameRecord.VNET_HEADER_OFFSET, MacAddress.BROADCAST, 0);
        }

        // Learn every host: one frame from it to host 0 (host 0 itself floods once).
        for (int h = 0; h < macs; h++)
        {
            send(h, h == 0 ? -1 : 0);
        }
        agent.endBatch();
        if (macTable.size() != macs)
        {
            throw new IllegalStateException("learned " + macTable.size() + " of " + macs);
        }

        final SplittableRandom random = new SplittableRandom(7);
        sources = new int[PROBES];
        destinations = new int[PROBES];
        for (int i = 0; i < PROBES; i++)
        {
            final int src = random.nextInt(macs);
            int dst;
            do
            {
                dst = random.nextInt(macs);
            }
            while (Fixtures.hostPort(dst, ports) == Fixtures.hostPort(src, ports));
            sources[i] = src;
            destinations[i] = dst;
        }

        System.gc();
        final long heapDelta = memory.getHeapMemoryUsage().getUsed() - heapBefore;
        final RingConfig rings = RingConfig.defaults();
        final long ringBytesPerPort = PacketSocketPort.mappedBytes(rings);
        System.out.printf("%n# scale ports=%d macs=%d macTableBytes=%d heapDeltaBytes=%d probeArrayBytes=%d " +
            "daemonRingBytesPerPort=%d daemonRingBytes=%d%n", ports, macs, macTable.memoryBytes(), heapDelta,
            2L * PROBES * Integer.BYTES, ringBytesPerPort, ringBytesPerPort * ports);
    }

    /** Offers one frame from host src to host dst (-1: broadcast) on src's port. */
    private void send(final int src, final int dst)
    {
        final int i = next;
        next = (i + 1) & (RECORDS - 1);
        final int eth = i * RECORD_STRIDE + FrameRecord.ETHERNET_OFFSET;
        MacAddress.write(records, eth + EthernetHeader.DESTINATION_OFFSET,
            dst < 0 ? MacAddress.BROADCAST : Fixtures.hostMac(dst));
        MacAddress.write(records, eth + EthernetHeader.SOURCE_OFFSET, Fixtures.hostMac(src));
        agent.onMessage(Fixtures.hostPort(src, ports), records, i * RECORD_STRIDE, RECORD_LENGTH);
        if ((i & (BATCH - 1)) == BATCH - 1)
        {
            agent.endBatch();
        }
    }

    @Benchmark
    public int forwardOneFrame()
    {
        final int p = probe++ & (PROBES - 1);
        send(sources[p], destinations[p]);
        return p;
    }
}
