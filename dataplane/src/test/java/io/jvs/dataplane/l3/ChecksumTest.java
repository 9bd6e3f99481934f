package io.jvs.dataplane.l3;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Checksum against an independent, deliberately naive RFC 1071 implementation (byte pairs, carry folded at every
 * step), and incremental updates against recomputation from scratch.
 */
class ChecksumTest
{
    private static final Random RANDOM = new Random(42);

    /** Reference: 16-bit words one by one, end-around carry after each addition. */
    private static int referenceSum(final byte[] data, final int from, final int to)
    {
        int sum = 0;
        for (int i = from; i < to; i += 2)
        {
            final int hi = data[i] & 0xFF;
            final int lo = i + 1 < to ? data[i + 1] & 0xFF : 0;
            sum += (hi << 8) | lo;
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return sum;
    }

    private static int referenceChecksum(final byte[] data, final int from, final int to)
    {
        return ~referenceSum(data, from, to) & 0xFFFF;
    }

    @Test
    void fullChecksumMatchesReferenceForAllLengthsAndOffsets()
    {
        for (int round = 0; round < 2000; round++)
        {
            final byte[] data = new byte[1 + RANDOM.nextInt(300)];
            RANDOM.nextBytes(data);
            final int from = RANDOM.nextInt(data.length);
            final int to = from + RANDOM.nextInt(data.length - from + 1);
            assertEquals(referenceChecksum(data, from, to),
                Checksum.compute(new UnsafeBuffer(data), from, to - from), "round " + round);
        }
    }

    @Test
    void knownVectorFromRfc1071()
    {
        // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (before complement).
        final byte[] data = {0x00, 0x01, (byte)0xf2, 0x03, (byte)0xf4, (byte)0xf5, (byte)0xf6, (byte)0xf7};
        assertEquals(0xddf2, Checksum.fold(Checksum.sum(new UnsafeBuffer(data), 0, data.length, 0)));
        assertEquals(~0xddf2 & 0xFFFF, Checksum.compute(new UnsafeBuffer(data), 0, data.length));
    }

    @Test
    void incrementalUpdatesEqualRecomputation()
    {
        for (int round = 0; round < 20000; round++)
        {
            final byte[] data = new byte[8 + 2 * RANDOM.nextInt(40)];
            RANDOM.nextBytes(data);
            if (round % 7 == 0)
            {
                java.util.Arrays.fill(data, (byte)0); // edge: all-zero data, checksum 0xFFFF
            }
            final int checksum = referenceChecksum(data, 0, data.length);
            final int word = 2 * RANDOM.nextInt(data.length / 2 - 1);
            if (RANDOM.nextBoolean())
            {
                final int old = ((data[word] & 0xFF) << 8) | (data[word + 1] & 0xFF);
                final int now = RANDOM.nextInt(65536);
                data[word] = (byte)(now >>> 8);
                data[word + 1] = (byte)now;
                assertSameChecksum(referenceChecksum(data, 0, data.length), Checksum.update16(checksum, old, now));
            }
            else
            {
                final int old = ((data[word] & 0xFF) << 24) | ((data[word + 1] & 0xFF) << 16) |
                    ((data[word + 2] & 0xFF) << 8) | (data[word + 3] & 0xFF);
                final int now = RANDOM.nextInt();
                data[word] = (byte)(now >>> 24);
                data[word + 1] = (byte)(now >>> 16);
                data[word + 2] = (byte)(now >>> 8);
                data[word + 3] = (byte)now;
                assertSameChecksum(referenceChecksum(data, 0, data.length), Checksum.update32(checksum, old, now));
            }
        }
    }

    /** 0x0000 and 0xFFFF are both one's complement zero; RFC 1624 eqn. 3 may yield either for all-zero data. */
    private static void assertSameChecksum(final int expected, final int actual)
    {
        if (!((expected == 0 || expected == 0xFFFF) && (actual == 0 || actual == 0xFFFF)))
        {
            assertEquals(expected, actual);
        }
    }

    /** The router folds several changes at once: bit for bit what one update after the other gives, 0xFFFF/0 too. */
    @Test
    void changesFoldedOnceEqualUpdatesOneByOne()
    {
        final int[] edges = { 0, 0xFFFF, 0xFFFE, 1, 0x8000 };
        for (int round = 0; round < 200_000; round++)
        {
            int checksum = round < 1000 ? edges[round % edges.length] : RANDOM.nextInt(0x10000);
            long sum = ~checksum & 0xFFFF;
            final int changes = 1 + RANDOM.nextInt(5);
            for (int c = 0; c < changes; c++)
            {
                final boolean wide = RANDOM.nextBoolean();
                final int old = round < 1000 ? (RANDOM.nextBoolean() ? 0 : -1) : RANDOM.nextInt();
                final int now = RANDOM.nextInt(4) == 0 ? old : RANDOM.nextInt();
                if (wide)
                {
                    checksum = Checksum.update32(checksum, old, now);
                    sum += Checksum.change32(old, now);
                }
                else
                {
                    checksum = Checksum.update16(checksum, old & 0xFFFF, now & 0xFFFF);
                    sum += Checksum.change16(old & 0xFFFF, now & 0xFFFF);
                }
            }
            assertEquals(checksum, ~Checksum.fold(sum) & 0xFFFF, "round " + round);
        }
    }

    @Test
    void partialPseudoHeaderUpdateEqualsRecomputedPseudoHeaderSum()
    {
        for (int round = 0; round < 20000; round++)
        {
            final int src = RANDOM.nextInt();
            final int dst = RANDOM.nextInt();
            final int length = RANDOM.nextInt(65536);
            final int partial = Checksum.fold(Checksum.pseudoHeaderSum(src, dst, 6, length));
            final int newSrc = RANDOM.nextInt();
            final int newDst = RANDOM.nextInt();
            final int expected = Checksum.fold(Checksum.pseudoHeaderSum(newSrc, newDst, 6, length));
            int updated = Checksum.updatePartial32(partial, src, newSrc);
            updated = Checksum.updatePartial32(updated, dst, newDst);
            assertSameChecksum(expected, updated);
        }
    }

    @Test
    void partialThenFinishedEqualsFullTcpChecksum()
    {
        // What the kernel does with NEEDS_CSUM: finish = ~(partial + sum(L4 bytes)). NAT the partial value, finish,
        // and compare with a checksum computed from scratch over the translated segment.
        for (int round = 0; round < 2000; round++)
        {
            final byte[] segment = new byte[20 + RANDOM.nextInt(200)];
            RANDOM.nextBytes(segment);
            segment[16] = 0;
            segment[17] = 0;
            final int src = RANDOM.nextInt();
            final int dst = RANDOM.nextInt();
            final int partial = Checksum.fold(Checksum.pseudoHeaderSum(src, dst, 6, segment.length));
            final int newSrc = RANDOM.nextInt();
            final int newPort = RANDOM.nextInt(65536);
            int natPartial = Checksum.updatePartial32(partial, src, newSrc);
            segment[0] = (byte)(newPort >>> 8); // the port change is not applied to a partial sum
            segment[1] = (byte)newPort;
            final int finished = ~Checksum.fold(natPartial + referenceSum(segment, 0, segment.length)) & 0xFFFF;
            final int scratch = ~Checksum.fold(Checksum.pseudoHeaderSum(newSrc, dst, 6, segment.length) +
                referenceSum(segment, 0, segment.length)) & 0xFFFF;
            assertSameChecksum(scratch, finished);
        }
    }

    // ---- native-order sums (formerly io.jvs.vxlan.ChecksumTest) -------------------------------------------------

    /** Reference for the native-order checks: 16-bit words plus {@code initial}, carry folded once at the end. */
    private static int referenceChecksumWithInitial(
        final byte[] data, final int offset, final int length, final long initial)
    {
        long sum = initial;
        for (int i = 0; i < length; i += 2)
        {
            final int hi = data[offset + i] & 0xFF;
            final int lo = i + 1 < length ? data[offset + i + 1] & 0xFF : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)(~sum & 0xFFFF);
    }

    private static long referencePseudo4(final int src, final int dst, final int proto, final int length)
    {
        return (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + proto + length;
    }

    private static byte[] randomBytes(final Random random, final int n)
    {
        final byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    @Test
    void rfcExampleIpv4Header()
    {
        // Header from the classic example: checksum 0xB861.
        final byte[] h = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
            (byte)0xC0, (byte)0xA8, 0x00, 0x01, (byte)0xC0, (byte)0xA8, 0x00, (byte)0xC7};
        assertEquals(0xB861, Checksum.compute(new UnsafeBuffer(h), 0, 20));
        assertEquals(0xB861, referenceChecksumWithInitial(h, 0, 20, 0));
    }

    @Test
    void nativeSumMatchesReferenceAtEveryLengthAndAlignment()
    {
        final Random random = new Random(42);
        final byte[] data = randomBytes(random, 3000);
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        for (int offset = 0; offset < 9; offset++)
        {
            for (int length = 0; length < 300; length++)
            {
                assertEquals(referenceChecksumWithInitial(data, offset, length, 0),
                    Checksum.finishNative(Checksum.sumNative(buffer, offset, length)),
                    "offset=" + offset + " length=" + length);
            }
        }
        assertEquals(referenceChecksumWithInitial(data, 1, 2999, 0),
            Checksum.finishNative(Checksum.sumNative(buffer, 1, 2999)));
    }

    @Test
    void nativeSumReadsDirectBuffersAndViewsAndRefusesARangePastTheEnd()
    {
        final byte[] data = randomBytes(new Random(3), 2000);
        final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(data.length));
        direct.putBytes(0, data);
        final UnsafeBuffer view = new UnsafeBuffer(data, 100, 1000); // index 0 is data[100]
        for (final int length : new int[] {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 995})
        {
            assertEquals(referenceChecksumWithInitial(data, 5, length, 0),
                Checksum.finishNative(Checksum.sumNative(direct, 5, length)), "direct, length=" + length);
            assertEquals(referenceChecksumWithInitial(data, 105, length, 0),
                Checksum.finishNative(Checksum.sumNative(view, 5, length)), "view, length=" + length);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> Checksum.sumNative(view, 990, 11));
        assertThrows(IndexOutOfBoundsException.class, () -> Checksum.sumNative(direct, -1, 8));
    }

    @Test
    void nativePseudoHeaderMatchesReference()
    {
        final Random random = new Random(7);
        for (int i = 0; i < 1000; i++)
        {
            final int src = random.nextInt();
            final int dst = random.nextInt();
            final int length = random.nextInt(0x10000);
            assertEquals(referenceChecksumWithInitial(new byte[0], 0, 0, referencePseudo4(src, dst, 6, length)),
                Checksum.finishNative(Checksum.ipv4PseudoHeader(src, dst, 6, length)));
        }
    }

    @Test
    void unrolledHeaderSumMatchesReference()
    {
        final Random random = new Random(3);
        final byte[] data = randomBytes(random, 64);
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        for (int offset = 0; offset < 40; offset++)
        {
            assertEquals(referenceChecksumWithInitial(data, offset, 20, 0),
                Checksum.finishNative(Checksum.ipv4HeaderSum20(buffer, offset)), "offset=" + offset);
        }
    }

    @Test
    void networkOrderSumWithInitialFoldsLikeReference()
    {
        // sum(..., initial) is derived from the native-order loop; its fold must still be the network-order sum.
        for (int round = 0; round < 2000; round++)
        {
            final byte[] data = randomBytes(RANDOM, 1 + RANDOM.nextInt(300));
            if (round % 11 == 0)
            {
                java.util.Arrays.fill(data, (byte)0);
            }
            final int from = RANDOM.nextInt(data.length);
            final int length = RANDOM.nextInt(data.length - from + 1);
            final long initial = round % 3 == 0 ? 0 : Checksum.pseudoHeaderSum(RANDOM.nextInt(), RANDOM.nextInt(), 17,
                RANDOM.nextInt(65536));
            assertEquals(~referenceChecksumWithInitial(data, from, length, initial) & 0xFFFF,
                Checksum.fold(Checksum.sum(new UnsafeBuffer(data), from, length, initial)), "round " + round);
        }
    }
}
