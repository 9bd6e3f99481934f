package io.jvs.benchmarks;

import io.jvs.dataplane.engine.FrameRecord;
import io.jvs.dataplane.engine.ForwardingAgent;
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
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The forwarding agent's per-frame work on in-memory ring records: Ethernet parse, learn, lookup, forwarding
 * decision and offer to a counting sink port, with a flush every {@link #BATCH} frames (as a duty cycle does).
 * "unicast" frames go to a known host on another port; "broadcast" floods to the 3 other ports.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class L2PipelineBenchmark
{
    static final int BATCH = 64;
    static final int PORTS = 4;
    static final int HOSTS = 64;
    static final int RECORDS = 1024;
    static final int RECORD_LENGTH = FrameRecord.HEADER_LENGTH + VnetHeader.LENGTH + Fixtures.FRAME_LENGTH;

    @Param({ "unicast", "broadcast" })
    public String traffic;

    private ForwardingAgent agent;
    private UnsafeBuffer records;
    private SinkPort[] sinks;
    private int next;

    @Setup
    public void setup()
    {
        final OneToOneRingBuffer unusedRing = new OneToOneRingBuffer(
            new UnsafeBuffer(ByteBuffer.allocateDirect(4096 + RingBufferDescriptor.TRAILER_LENGTH)));
        agent = new ForwardingAgent(
            unusedRing, new SwitchCounters(), new MacTable(65536, 16, 300_000_000_000L), BATCH,
            new SystemNanoClock(), null);
        agent.onBridgeDomainCreated(1);
        sinks = new SinkPort[PORTS + 1];
        final int[] members = new int[PORTS];
        for (int p = 1; p <= PORTS; p++)
        {
            members[p - 1] = p;
        }
        for (int p = 1; p <= PORTS; p++)
        {
            sinks[p] = new SinkPort("sink" + p);
            agent.onPortAdded(p, sinks[p], 1, members);
        }
        records = Fixtures.records(RECORDS, HOSTS, "broadcast".equals(traffic));
        // Learn every host first so unicast frames find their destination.
        final UnsafeBuffer learn = Fixtures.records(HOSTS, HOSTS, true);
        for (int h = 0; h < HOSTS; h++)
        {
            agent.onMessage(Fixtures.hostPort(h, PORTS), learn, h * 128, RECORD_LENGTH);
        }
        agent.endBatch();
    }

    @Benchmark
    public int forwardOneFrame()
    {
        final int i = next;
        next = (i + 1) & (RECORDS - 1);
        agent.onMessage(Fixtures.hostPort(i % HOSTS, PORTS), records, i * 128, RECORD_LENGTH);
        if ((i & (BATCH - 1)) == BATCH - 1)
        {
            agent.endBatch();
        }
        return i;
    }
}
