package io.jvs.vxlan;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The sealed payload codec on its own: round trip, tamper detection, AAD coverage, nonce uniqueness. */
class SealKeyTest
{
    private static final SecureRandom RANDOM = new SecureRandom();

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

    @Test
    void roundTripKeepsTheFrameAndHidesIt()
    {
        final SealKey tx = new SealKey(7, material(1), RANDOM);
        final SealKey rx = new SealKey(7, material(1), RANDOM);
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

    @Test
    void everyTamperedByteFailsAuthentication()
    {
        final SealKey tx = new SealKey(1, material(2), RANDOM);
        final SealKey rx = new SealKey(1, material(2), RANDOM);
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
        final SealKey wrongBytes = new SealKey(1, material(3), RANDOM);
        assertEquals(-1, open(wrongBytes, sealed, into), "same id, other key bytes");
    }

    @Test
    void theVniIsAuthenticated()
    {
        final SealKey key = new SealKey(9, material(4), RANDOM);
        final byte[] sealed = seal(key, 4096, Packets.random(new Random(6), 60));
        final byte[] moved = sealed.clone();
        VxlanHeader.write(new UnsafeBuffer(moved), 0, 4097); // same flags re-set below
        moved[0] = sealed[0];
        moved[SealedVxlan.KEY_ID_OFFSET] = sealed[SealedVxlan.KEY_ID_OFFSET];
        assertEquals(4097, VxlanHeader.vni(new UnsafeBuffer(moved), 0));
        assertEquals(-1, open(key, moved, new byte[100]), "a datagram replayed into another VNI does not open");
        assertEquals(60, open(key, sealed, new byte[100]));
    }

    @Test
    void noncesNeverRepeatAndCarryTheSalt()
    {
        final SealKey key = new SealKey(2, material(7), RANDOM);
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
        final SealKey again = new SealKey(2, material(7), RANDOM);
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
}
