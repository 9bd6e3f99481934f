package io.jvs.benchmarks;

import io.jvs.dataplane.engine.ForwardingAgent;
import io.jvs.dataplane.engine.ReceiveAgent;
import io.jvs.dataplane.engine.SwitchCounters;
import io.jvs.dataplane.mac.MacTable;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
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

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * One SHARED-mode duty cycle on in-memory ports, reported per frame: the receive agent takes a batch from each
 * of 4 replaying ports into the ring, the forwarding agent reads the ring (parse, learn, lookup, offer), flushes,
 * records RX-to-TX latency and ages the MAC table. No syscalls: this is the switch's own cost per frame.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SharedDutyCycleBenchmark
{
    static final int PORTS = 4;
    static final int BATCH = 64;
    static final int HOSTS = 64;
    static final int FRAMES_PER_CYCLE = PORTS * BATCH;

    private ReceiveAgent receive;
    private ForwardingAgent forwarding;

    @Setup
    public void setup()
    {
        final OneToOneRingBuffer ring = new OneToOneRingBuffer(
            new UnsafeBuffer(ByteBuffer.allocateDirect((1 << 20) + RingBufferDescriptor.TRAILER_LENGTH)));
        final SwitchCounters counters = new SwitchCounters();
        receive = new ReceiveAgent(ring, counters, BATCH, null);
        // BATCH * PORTS so one forwarding read drains one receive cycle.
        forwarding = new ForwardingAgent(ring, counters, new MacTable(65536, 16, 300_000_000_000L),
            FRAMES_PER_CYCLE, new SystemNanoClock(), ForwardingAgent.newLatencyRecorder());
        forwarding.onBridgeDomainCreated(1);
        final int[] members = new int[PORTS];
        for (int p = 1; p <= PORTS; p++)
        {
            members[p - 1] = p;
        }
        for (int p = 1; p <= PORTS; p++)
        {
            // Port p replays frames of the hosts that live on it, each to the next host (on another port).
            final int perPort = HOSTS / PORTS;
            final UnsafeBuffer frames = new UnsafeBuffer(ByteBuffer.allocateDirect(perPort * 128));
            final int[] offsets = new int[perPort];
            final int[] lengths = new int[perPort];
            for (int k = 0; k < perPort; k++)
            {
                final int host = (p - 1) + k * PORTS;
                offsets[k] = k * 128;
                lengths[k] = Fixtures.writeFrame(
                    frames, k * 128, Fixtures.hostMac((host + 1) % HOSTS), Fixtures.hostMac(host));
            }
            final SinkPort port = new SinkPort("replay" + p, frames, offsets, lengths);
            forwarding.onPortAdded(p, port, 1, members);
            receive.onPortAdded(p, port, 1);
        }
        cycle(); // first cycle floods and learns every host
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES_PER_CYCLE)
    public int cycle()
    {
        return receive.doWork() + forwarding.doWork();
    }
}
