package io.jvs.vxlan;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.security.Provider;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The sealed payload codec on its own: round trip, tamper detection, AAD coverage, nonce uniqueness; each with both
 * providers {@link GcmProvider} chooses from (ACCP and the JDK's), and across them (same wire format).
 */
class SealKeyTest
{
    private static final SecureRandom RANDOM = new SecureRandom();

    /** ACCP's jar carries the x86-64 Linux library only (the machines jvs is built and tested on). */
    private static boolean accpExpected()
    {
        return "amd64".equals(System.getProperty("os.arch")) && "Linux".equals(System.getProperty("os.name"));
    }

    static List<Provider> providers()
    {
        return accpExpected() ? List.of(GcmProvider.accp(), GcmProvider.jdk()) : List.of(GcmProvider.jdk());
    }

    private static byte[] material(final int seed)
    {
        final byte[] k = new byte[SealedVxlan.KEY_LENGTH];
        new Random(seed).nextBytes(k);
        return k;
    }

    /** [VXLAN hdr with E, VNI, key id][nonce][ciphertext][tag], as the TX side writes it. */
    private static byte[] seal(final SealKey key, final int vni, final byte[] inner)
    {
        final byte[] out = new byte[SealedVxlan.CIPHERTEXT_OFFSET + inner.length + SealedVxlan.TAG_LENGTH];
        final UnsafeBuffer b = new UnsafeBuffer(out);
        VxlanHeader.write(b, 0, vni);
        b.putByte(0, (byte)(VxlanHeader.FLAG_VNI_VALID | SealedVxlan.FLAG_ENCRYPTED));
        b.putByte(SealedVxlan.KEY_ID_OFFSET, (byte)key.id());
        final int n = key.seal(inner, 0, inner.length, out, 0);
        assertEquals(SealedVxlan.NONCE_LENGTH + inner.length + SealedVxlan.TAG_LENGTH, n);
        return out;
    }

    private static int open(final SealKey key, final byte[] sealed, final byte[] into)
    {
        return key.open(sealed, 0, sealed.length, into, 3);
    }

    @ParameterizedTest
    @MethodSource("providers")
    void roundTripKeepsTheFrameAndHidesIt(final Provider provider)
    {
        final SealKey tx = new SealKey(7, material(1), RANDOM, provider);
        final SealKey rx = new SealKey(7, material(1), RANDOM, provider);
        for (final int size : new int[]{14, 64, 1400, 9000})
        {
            final byte[] inner = Packets.random(new Random(size), size);
            final byte[] sealed = seal(tx, 4096, inner);
            final byte[] ciphertext = Arrays.copyOfRange(sealed, SealedVxlan.CIPHERTEXT_OFFSET,
                SealedVxlan.CIPHERTEXT_OFFSET + size);
            assertFalse(Arrays.equals(inner, ciphertext), "ciphertext differs from the frame");
            final byte[] into = new byte[size + 3];
            assertEquals(size, open(rx, sealed, into));
            assertArrayEquals(inner, Arrays.copyOfRange(into, 3, 3 + size));
        }
    }

    @ParameterizedTest
    @MethodSource("providers")
    void everyTamperedByteFailsAuthentication(final Provider provider)
    {
        final SealKey tx = new SealKey(1, material(2), RANDOM, provider);
        final SealKey rx = new SealKey(1, material(2), RANDOM, provider);
        final byte[] inner = Packets.random(new Random(5), 100);
        final byte[] sealed = seal(tx, 4096, inner);
        final byte[] into = new byte[200];
        for (int i = 0; i < sealed.length; i++)
        {
            final byte[] t = sealed.clone();
            t[i] ^= 0x01;
            assertEquals(-1, open(rx, t, into), "flipped byte " + i);
        }
        assertEquals(100, open(rx, sealed, into), "untouched copy still opens (no replay protection)");
        assertEquals(-1, rx.open(sealed, 0, sealed.length - 1, into, 0), "cut short");
        assertEquals(-1, rx.open(sealed, 0, SealedVxlan.CIPHERTEXT_OFFSET + 3, into, 0), "shorter than a tag");
        final SealKey wrongBytes = new SealKey(1, material(3), RANDOM, provider);
        assertEquals(-1, open(wrongBytes, sealed, into), "same id, other key bytes");
    }

    @ParameterizedTest
    @MethodSource("providers")
    void theVniIsAuthenticated(final Provider provider)
    {
        final SealKey key = new SealKey(9, material(4), RANDOM, provider);
        final byte[] sealed = seal(key, 4096, Packets.random(new Random(6), 60));
        final byte[] moved = sealed.clone();
        VxlanHeader.write(new UnsafeBuffer(moved), 0, 4097); // same flags re-set below
        moved[0] = sealed[0];
        moved[SealedVxlan.KEY_ID_OFFSET] = sealed[SealedVxlan.KEY_ID_OFFSET];
        assertEquals(4097, VxlanHeader.vni(new UnsafeBuffer(moved), 0));
        assertEquals(-1, open(key, moved, new byte[100]), "a datagram replayed into another VNI does not open");
        assertEquals(60, open(key, sealed, new byte[100]));
    }

    @ParameterizedTest
    @MethodSource("providers")
    void noncesNeverRepeatAndCarryTheSalt(final Provider provider)
    {
        final SealKey key = new SealKey(2, material(7), RANDOM, provider);
        final Set<String> nonces = new HashSet<>();
        byte[] salt = null;
        long previous = 0;
        for (int i = 0; i < 100_000; i++)
        {
            final byte[] sealed = seal(key, 1, new byte[14]);
            final byte[] nonce = Arrays.copyOfRange(sealed, SealedVxlan.NONCE_OFFSET,
                SealedVxlan.NONCE_OFFSET + SealedVxlan.NONCE_LENGTH);
            assertTrue(nonces.add(Arrays.toString(nonce)), "nonce repeated at " + i);
            final byte[] s = Arrays.copyOf(nonce, SealedVxlan.SALT_LENGTH);
            final long counter = new UnsafeBuffer(nonce).getLong(SealedVxlan.COUNTER_OFFSET_IN_NONCE,
                java.nio.ByteOrder.BIG_ENDIAN);
            if (null != salt)
            {
                assertArrayEquals(salt, s, "salt fixed per key");
                assertEquals(previous + 1, counter, "counter +1 per datagram");
            }
            salt = s;
            previous = counter;
        }
        final SealKey again = new SealKey(2, material(7), RANDOM, provider);
        final byte[] first = seal(again, 1, new byte[14]);
        assertFalse(nonces.contains(Arrays.toString(Arrays.copyOfRange(first, SealedVxlan.NONCE_OFFSET,
            SealedVxlan.NONCE_OFFSET + SealedVxlan.NONCE_LENGTH))), "a reinstalled key starts elsewhere");
    }

    @Test
    void badKeysAreRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> new SealKey(0, material(1), RANDOM));
        assertThrows(IllegalArgumentException.class, () -> new SealKey(256, material(1), RANDOM));
        assertThrows(IllegalArgumentException.class, () -> new SealKey(1, new byte[16], RANDOM));
    }

    @Test
    void theTwoProvidersReadEachOther()
    {
        assumeTrue(accpExpected(), "no ACCP library for this platform");
        final Provider accp = GcmProvider.accp();
        final Provider jdk = GcmProvider.jdk();
        final byte[] inner = Packets.random(new Random(8), 1400);
        final byte[] into = new byte[1403];
        assertEquals(1400,
            open(new SealKey(5, material(9), RANDOM, jdk), seal(new SealKey(5, material(9), RANDOM, accp), 4096, inner),
                into));
        assertArrayEquals(inner, Arrays.copyOfRange(into, 3, 1403));
        Arrays.fill(into, (byte)0);
        assertEquals(1400,
            open(new SealKey(5, material(9), RANDOM, accp), seal(new SealKey(5, material(9), RANDOM, jdk), 4096, inner),
                into));
        assertArrayEquals(inner, Arrays.copyOfRange(into, 3, 1403));
    }

    @Test
    void theNativeProviderSealsOnLinuxX8664()
    {
        assumeTrue(accpExpected(), "no ACCP library for this platform");
        assumeFalse(GcmProvider.JDK.equals(System.getProperty(GcmProvider.PROPERTY)), "JDK provider forced");
        assertSame(GcmProvider.accp(), GcmProvider.provider(), GcmProvider.description());
        assertSame(GcmProvider.provider(), new SealKey(1, material(1), RANDOM).provider());
        assertTrue(GcmProvider.description().contains("AmazonCorrettoCryptoProvider"), GcmProvider.description());
    }
}
