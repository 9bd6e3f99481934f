package io.jvs.benchmarks;

import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import io.jvs.tap.PortFrameHandler;
import io.jvs.tap.TxClaim;
import io.jvs.vxlan.ArpTransmitter;
import io.jvs.dataplane.l3.Ipv4Addresses;
import io.jvs.vxlan.Vtep;
import io.jvs.vxlan.VtepConfig;
import io.jvs.vxlan.VxlanTunnelPort;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * One inner frame through VxlanTunnelPort.offer on VTEP A (flow hash, outer headers and the inner frame built
 * in an underlay "TX slot" claimed as from PacketSocketPort's TxClaim; flooded and sealed frames are built in
 * scratch and copied into the slot by offer, as on the real port) and back out of VTEP B's receive, read as the
 * switch reads a SharedLink (classify, validate, learn, in-place decap, hand to a handler with the port's id).
 * No syscalls: the underlays are in memory. With {@code encrypted} the VNI is sealed: A seals each frame
 * (AES-256-GCM) and B copies it out of the slot and opens it.
 * <p>
 * Run: {@code java <jvs.jvmFlags> -jar benchmarks/target/jvs-benchmarks.jar VxlanBenchmark -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class VxlanBenchmark
{
    private static final long MAC_A = 0x02_00_00_00_00_0AL;
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static final long UNDER_A = 0x02_AA_00_00_00_01L;
    private static final long UNDER_B = 0x02_BB_00_00_00_02L;

    /** Inner Ethernet frame length. */
    @Param({"64", "1400"})
    public int innerSize;

    /** An encrypted VNI: AES-256-GCM seal on A, open on B (SealedVxlan), the rest as plain. */
    @Param({"false", "true"})
    public boolean encrypted;

    private Wire wire;
    private Vtep a;
    private Vtep b;
    private VxlanTunnelPort portA;
    private VxlanTunnelPort portB;
    private UnsafeBuffer frame;
    private final Sink sink = new Sink();

    /**
     * A->B underlay: one "ring slot" that offer copies into or a claim builds in (like PacketSocketPort, which is
     * its own TxClaim), receive hands that slot to B.
     */
    static final class Wire implements PacketPort, TxClaim
    {
        final UnsafeBuffer slot = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
        int length;
        int claimed = -1;
        UnsafeBuffer pending;

        public TxClaim txClaim()
        {
            return this;
        }

        public int tryClaim(final int len)
        {
            if (len > slot.capacity() || length != 0)
            {
                claimed = -1;
                return -1;
            }
            claimed = len;
            return 0;
        }

        public MutableDirectBuffer buffer()
        {
            return slot;
        }

        public boolean commit(final int len)
        {
            if (claimed < len)
            {
                throw new IllegalStateException("commit " + len + " claimed " + claimed);
            }
            claimed = -1;
            length = len;
            return true;
        }

        public void abort()
        {
            claimed = -1;
        }

        public String name()
        {
            return "wire";
        }

        public int fd()
        {
            return -1;
        }

        public int receive(final FrameHandler handler, final int limit)
        {
            if (null != pending)
            {
                final UnsafeBuffer f = pending;
                pending = null;
                handler.onFrame(f, 0, f.capacity());
                return 1;
            }
            if (length == 0)
            {
                return 0;
            }
            final int n = length;
            length = 0;
            handler.onFrame(slot, 0, n);
            return 1;
        }

        public boolean offer(final DirectBuffer buffer, final int offset, final int len)
        {
            slot.putBytes(0, buffer, offset, len);
            length = len;
            return true;
        }

        public int flush()
        {
            return 0;
        }

        public int maxFrameLength()
        {
            return slot.capacity();
        }

        public void close()
        {
        }
    }

    static final class Sink implements PortFrameHandler
    {
        long frames;
        long bytes;

        public void onFrame(final int portId, final DirectBuffer buffer, final int offset, final int length)
        {
            frames++;
            bytes += length + buffer.getByte(offset + length - 1);
        }
    }

    private static final ArpTransmitter NO_ARP = new ArpTransmitter()
    {
        public void send(final DirectBuffer f, final int o, final int l)
        {
        }

        public void close()
        {
        }
    };

    @Setup(Level.Trial)
    public void setUp()
    {
        wire = new Wire();
        a = Vtep.create(VtepConfig.of("a", "192.168.9.1", 24), wire, UNDER_A, NO_ARP);
        b = Vtep.create(VtepConfig.of("b", "192.168.9.2", 24), wire, UNDER_B, NO_ARP);
        portA = a.openPort(42, "vx42", encrypted);
        portB = b.openPort(42, "vx42", encrypted);
        if (encrypted)
        {
            final byte[] key = new byte[io.jvs.vxlan.SealedVxlan.KEY_LENGTH];
            new java.security.SecureRandom().nextBytes(key);
            portA.setKeys(1, java.util.Map.of(1, key));
            portB.setKeys(1, java.util.Map.of(1, key));
        }
        a.setPeers(42, "192.168.9.2");
        b.setPeers(42, "192.168.9.1");
        wire.pending = arpReply(UNDER_B, Ipv4Addresses.parse("192.168.9.2"), UNDER_A, Ipv4Addresses.parse("192.168.9.1"));
        portB.bindReceive(1); // as the switch does when it attaches the port
        a.receive(sink, 1);
        frame = udpFrame(innerSize);
        if (!portA.offer(frame, 0, frame.capacity()) || b.receive(sink, 1) != 1)
        {
            throw new IllegalStateException("no round trip: " + portA + " " + b);
        }
    }

    @TearDown(Level.Trial)
    public void check()
    {
        if (sink.frames == 0 || b.decapsulated() != sink.frames)
        {
            throw new IllegalStateException("frames lost: " + sink.frames + " " + b);
        }
    }

    @Benchmark
    public int encapDecap()
    {
        portA.offer(frame, 0, frame.capacity());
        return b.receive(sink, 1);
    }

    private static UnsafeBuffer udpFrame(final int ethLength)
    {
        final ByteBuffer f = ByteBuffer.allocateDirect(10 + ethLength).order(ByteOrder.BIG_ENDIAN);
        f.position(10);
        putMac(f, MAC_B);
        putMac(f, MAC_A);
        f.putShort((short)0x0800);
        f.put((byte)0x45).put((byte)0).putShort((short)(ethLength - 14)).putShort((short)1).putShort((short)0)
            .put((byte)64).put((byte)17).putShort((short)0).putInt(0x0A000001).putInt(0x0A000002);
        f.putShort((short)1000).putShort((short)2000).putShort((short)(ethLength - 34)).putShort((short)0);
        return new UnsafeBuffer(f, 0, 10 + ethLength);
    }

    private static UnsafeBuffer arpReply(final long senderMac, final int senderIp, final long targetMac, final int targetIp)
    {
        final ByteBuffer f = ByteBuffer.allocate(10 + 60);
        f.position(10);
        putMac(f, targetMac);
        putMac(f, senderMac);
        f.putShort((short)0x0806).putShort((short)1).putShort((short)0x0800).put((byte)6).put((byte)4).putShort((short)2);
        putMac(f, senderMac);
        f.putInt(senderIp);
        putMac(f, targetMac);
        f.putInt(targetIp);
        return new UnsafeBuffer(f.array());
    }

    private static void putMac(final ByteBuffer b, final long mac)
    {
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            b.put((byte)(mac >>> shift));
        }
    }
}
