package io.jvs.benchmarks;

import io.jvs.dataplane.l3.Checksum;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Checksum work of one NAT translation: the incremental updates (an address and a port into the TCP checksum,
 * an address into the IPv4 header checksum, RFC 1624) against recomputing an IPv4 header and a 1460-byte
 * segment, and a 64 KB GSO frame, from scratch (RFC 1071).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChecksumBenchmark
{
    private final UnsafeBuffer segment = new UnsafeBuffer(new byte[1500]);
    /** A 64 KB GSO frame's worth, off-heap like the rings: what an overlay sums per frame on each host. */
    private final UnsafeBuffer gsoFrame = new UnsafeBuffer(ByteBuffer.allocateDirect(65536));
    private int[] addresses;
    private int next;

    @Setup
    public void setup()
    {
        final SplittableRandom random = new SplittableRandom(5);
        final byte[] bytes = new byte[1500];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)random.nextInt();
        }
        segment.putBytes(0, bytes);
        for (int i = 0; i < gsoFrame.capacity(); i += bytes.length)
        {
            gsoFrame.putBytes(i, bytes, 0, Math.min(bytes.length, gsoFrame.capacity() - i));
        }
        addresses = new int[1024];
        for (int i = 0; i < addresses.length; i++)
        {
            addresses[i] = random.nextInt();
        }
    }

    @Benchmark
    public int incrementalNatUpdate()
    {
        final int i = next++ & 1023;
        final int oldIp = addresses[i];
        final int newIp = addresses[(i + 1) & 1023];
        int tcp = Checksum.update32(0x1234 + i, oldIp, newIp);
        tcp = Checksum.update16(tcp, i, 40000 + i);
        final int ip = Checksum.update32(0x4321 + i, oldIp, newIp);
        return tcp ^ ip;
    }

    @Benchmark
    public int partialNatUpdate()
    {
        final int i = next++ & 1023;
        return Checksum.updatePartial32(0x1234 + i, addresses[i], addresses[(i + 1) & 1023]);
    }

    @Benchmark
    public int fullIpv4Header()
    {
        segment.putInt(12, next++);
        return Checksum.compute(segment, 0, 20);
    }

    @Benchmark
    public int fullSegment1460()
    {
        segment.putInt(12, next++);
        return Checksum.compute(segment, 0, 1460);
    }

    @Benchmark
    public int fullGsoFrame65536()
    {
        gsoFrame.putInt(12, next++);
        return Checksum.compute(gsoFrame, 0, 65536);
    }
}
