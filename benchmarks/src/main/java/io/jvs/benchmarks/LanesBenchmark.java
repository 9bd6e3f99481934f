package io.jvs.benchmarks;

import io.jvs.dataplane.engine.ForwardingAgent;
import io.jvs.dataplane.engine.FrameRecord;
import io.jvs.dataplane.engine.LaneHandoff;
import io.jvs.dataplane.engine.SwitchCounters;
import io.jvs.dataplane.mac.MacTable;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Forwarding lanes on frames in memory: one lane (one thread) against two lanes (two threads, each its own
 * forwarding agent, one shared MAC table), same frames. 8 ports, 4 per lane when there are two; 64 hosts per half.
 * "local": every frame is for a host on a port of the lane that received it; "cross": every frame is for a host on
 * the other half's ports, so with two lanes each frame crosses a hand-off ring and is offered by the other lane;
 * "cross-own-tx": the same frames, but every lane has a TX handle of its own on every port (the other design: a TX
 * socket per lane and port, costing a TX ring per lane on every port), so nothing is handed off.
 * Throughput is frames received per microsecond, summed over the threads (JMH adds them up).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LanesBenchmark
{
    static final int BATCH = 64;
    static final int PORTS_PER_HALF = 4;
    static final int HOSTS_PER_HALF = 64;
    static final int RECORDS = 1024;
    static final int BD = 1;
    static final int RECORD_LENGTH = FrameRecord.HEADER_LENGTH + VnetHeader.LENGTH + Fixtures.FRAME_LENGTH;

    static long mac(final int half, final int host)
    {
        return Fixtures.BASE_MAC + half * 256L + host + 1;
    }

    static int port(final int half, final int host)
    {
        return 1 + half * PORTS_PER_HALF + host % PORTS_PER_HALF;
    }

    /** What the lanes share: the MAC table (every host learned) and the hand-off rings. */
    @State(Scope.Benchmark)
    public static class Shared
    {
        @Param({ "local", "cross", "cross-own-tx" })
        public String traffic;

        MacTable macTable;
        LaneHandoff handoff;
        int lanes;
        final AtomicInteger nextLane = new AtomicInteger();

        @Setup
        public void setup(final BenchmarkParams params)
        {
            lanes = params.getThreads();
            macTable = new MacTable(65536, 16, 300_000_000_000L);
            handoff = lanes == 1 ? LaneHandoff.single() : new LaneHandoff(lanes, LaneHandoff.DEFAULT_RING_BYTES);
            for (int half = 0; half < 2; half++)
            {
                for (int h = 0; h < HOSTS_PER_HALF; h++)
                {
                    macTable.learn(BD, mac(half, h), port(half, h), System.nanoTime());
                }
            }
        }
    }

    /** One lane: its forwarding agent, its sink ports, the frames its ports receive. */
    @State(Scope.Thread)
    public static class LaneState
    {
        ForwardingAgent agent;
        UnsafeBuffer records;
        int[] ingress;
        int next;

        @Setup
        public void setup(final Shared shared)
        {
            final int lane = shared.nextLane.getAndIncrement() % shared.lanes;
            final OneToOneRingBuffer ring = new OneToOneRingBuffer(
                new UnsafeBuffer(ByteBuffer.allocateDirect(4096 + RingBufferDescriptor.TRAILER_LENGTH)));
            agent = new ForwardingAgent(ring, new SwitchCounters(), shared.macTable, BATCH, new SystemNanoClock(),
                null, null, shared.handoff, lane);
            agent.onBridgeDomainCreated(BD);
            final int ports = 2 * PORTS_PER_HALF;
            final boolean ownTx = "cross-own-tx".equals(shared.traffic);
            final int[] members = new int[ports];
            for (int p = 1; p <= ports; p++)
            {
                members[p - 1] = p;
            }
            for (int p = 1; p <= ports; p++)
            {
                final int owner = shared.lanes == 1 || ownTx ? lane : (p - 1) / PORTS_PER_HALF;
                agent.onPortAdded(p, new SinkPort("sink" + p), BD, members, ForwardingAgent.KIND_BRIDGED, owner);
            }
            final boolean cross = shared.traffic.startsWith("cross");
            records = new UnsafeBuffer(ByteBuffer.allocateDirect(RECORDS * 128));
            ingress = new int[RECORDS];
            for (int i = 0; i < RECORDS; i++)
            {
                // One lane receives from both halves in turn; lane l of two from its own half.
                final int half = shared.lanes == 1 ? i & 1 : lane;
                final int src = i % HOSTS_PER_HALF;
                final int dstHalf = cross ? 1 - half : half;
                final long dst = mac(dstHalf, (src + 1) % HOSTS_PER_HALF);
                records.putLong(i * 128 + FrameRecord.RX_TIME_OFFSET, System.nanoTime());
                Fixtures.writeFrame(records, i * 128 + FrameRecord.VNET_HEADER_OFFSET, dst, mac(half, src));
                ingress[i] = port(half, src);
            }
        }
    }

    private static int forward(final LaneState state)
    {
        final int i = state.next;
        state.next = (i + 1) & (RECORDS - 1);
        state.agent.onMessage(state.ingress[i], state.records, i * 128, RECORD_LENGTH);
        if ((i & (BATCH - 1)) == BATCH - 1)
        {
            state.agent.endBatch();
            state.agent.doWork(); // what other lanes handed over: offered to this lane's ports
        }
        return i;
    }

    @Benchmark
    @Threads(1)
    public int oneLane(final LaneState state)
    {
        return forward(state);
    }

    @Benchmark
    @Threads(2)
    public int twoLanes(final LaneState state)
    {
        return forward(state);
    }
}
