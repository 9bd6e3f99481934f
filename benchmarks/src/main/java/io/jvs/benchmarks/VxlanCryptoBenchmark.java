package io.jvs.benchmarks;

import io.jvs.vxlan.GcmProvider;
import io.jvs.vxlan.SealKey;
import io.jvs.vxlan.SealedVxlan;
import io.jvs.vxlan.VxlanHeader;
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
import org.openjdk.jmh.annotations.Warmup;

import java.security.Provider;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * The sealed-VXLAN codec alone: {@link SealKey#seal} of one inner frame (fresh nonce, cipher init, AAD, AES-GCM)
 * and {@link SealKey#open} of the result, without any header work, by each provider {@link GcmProvider} chooses from
 * (ACCP, the JDK's). What encryption adds per datagram on top of {@code VxlanBenchmark}. {@code openForged} is the
 * receiver's cost of one datagram whose tag does not verify (both providers throw {@code AEADBadTagException}).
 * <p>
 * Run: {@code java <jvs.jvmFlags> -jar benchmarks/target/jvs-benchmarks.jar VxlanCryptoBenchmark -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class VxlanCryptoBenchmark
{
    /** Inner Ethernet frame length. */
    @Param({"64", "1400"})
    public int innerSize;

    /** {@code accp}: Amazon Corretto Crypto Provider (AWS-LC); {@code jdk}: SunJCE. */
    @Param({"accp", "jdk"})
    public String provider;

    private SealKey sender;
    private SealKey receiver;
    private byte[] inner;
    private byte[] sealed;
    private byte[] opened;
    private int sealedLength;
    private byte[] forged;

    @Setup(Level.Trial)
    public void setUp()
    {
        final SecureRandom random = new SecureRandom();
        final byte[] key = new byte[SealedVxlan.KEY_LENGTH];
        random.nextBytes(key);
        final Provider p = "jdk".equals(provider) ? GcmProvider.jdk() : GcmProvider.accp();
        sender = new SealKey(1, key, random, p);
        receiver = new SealKey(1, key, random, p);
        inner = new byte[innerSize];
        random.nextBytes(inner);
        sealed = new byte[SealedVxlan.CIPHERTEXT_OFFSET + innerSize + SealedVxlan.TAG_LENGTH];
        opened = new byte[innerSize];
        final UnsafeBuffer header = new UnsafeBuffer(sealed);
        VxlanHeader.write(header, 0, 42);
        header.putByte(0, (byte)(VxlanHeader.FLAG_VNI_VALID | SealedVxlan.FLAG_ENCRYPTED));
        header.putByte(SealedVxlan.KEY_ID_OFFSET, (byte)1);
        sealedLength = VxlanHeader.LENGTH + sender.seal(inner, 0, innerSize, sealed, 0);
        if (receiver.open(sealed, 0, sealedLength, opened, 0) != innerSize)
        {
            throw new IllegalStateException("no round trip");
        }
        forged = sealed.clone();
        forged[sealedLength - 1] ^= 1; // last tag byte
        if (receiver.open(forged, 0, sealedLength, opened, 0) != -1)
        {
            throw new IllegalStateException("forgery opened");
        }
    }

    @Benchmark
    public int seal()
    {
        return sender.seal(inner, 0, innerSize, sealed, 0);
    }

    @Benchmark
    public int sealAndOpen()
    {
        sender.seal(inner, 0, innerSize, sealed, 0);
        return receiver.open(sealed, 0, sealedLength, opened, 0);
    }

    @Benchmark
    public int openForged()
    {
        return receiver.open(forged, 0, sealedLength, opened, 0);
    }
}
