package io.jvs.vxlan;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * One AES-256-GCM key of an encrypted VNI with its two {@link Cipher}s: {@link #seal} runs on the port's TX thread
 * only, {@link #open} on the Vtep's RX thread only, so neither cipher is shared between threads.
 * <p>
 * Nonces ({@link SealedVxlan} layout): a 4-byte salt and an 8-byte counter, both drawn at random when the key is
 * installed on this host, then the counter goes up by one per sealed datagram. A nonce therefore never repeats
 * under this key on this host; two hosts (or two runs of one host) collide only if they drew the same salt
 * (2^-32) <em>and</em> their counter ranges overlap (each run uses a tiny part of 2^64). The JDK also refuses to
 * encrypt twice with the same key and nonce, which the counter satisfies.
 * <p>
 * Allocation: each datagram re-inits its cipher with the same {@code Key} object and a reused {@link NonceSpec}, so
 * jvs allocates nothing; what the provider allocates inside {@code init}/{@code doFinal} remains: a few tens of bytes
 * with ACCP, ~1 KB with the JDK's provider (its GHASH table). {@link GcmProvider} chooses; docs/overlay.md has the
 * measured bytes per datagram.
 */
public final class SealKey
{
    private final int id;
    private final byte[] material;
    private final SecretKeySpec key;
    private final Cipher sealer;
    private final Cipher opener;
    private final NonceSpec sealNonce = new NonceSpec();
    private final NonceSpec openNonce = new NonceSpec();
    private final byte[] salt = new byte[SealedVxlan.SALT_LENGTH];
    private long counter;

    /** A key sealed and opened by {@link GcmProvider#provider()}. */
    public SealKey(final int id, final byte[] material, final SecureRandom random)
    {
        this(id, material, random, GcmProvider.provider());
    }

    public SealKey(final int id, final byte[] material, final SecureRandom random, final Provider provider)
    {
        SealedVxlan.checkKeyId(id);
        if (null == material || material.length != SealedVxlan.KEY_LENGTH)
        {
            throw new IllegalArgumentException("key length=" + (null == material ? -1 : material.length) + ", " +
                SealedVxlan.KEY_LENGTH + " expected (AES-256)");
        }
        this.id = id;
        this.material = material.clone();
        this.key = new SecretKeySpec(this.material, "AES");
        try
        {
            this.sealer = Cipher.getInstance(SealedVxlan.TRANSFORMATION, provider);
            this.opener = Cipher.getInstance(SealedVxlan.TRANSFORMATION, provider);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(SealedVxlan.TRANSFORMATION + " is not available from " + provider, ex);
        }
        random.nextBytes(salt);
        counter = random.nextLong();
    }

    /** The JCA provider that seals and opens with this key. */
    public Provider provider()
    {
        return sealer.getProvider();
    }

    public int id()
    {
        return id;
    }

    /** Same id and same key bytes (a store update that changed nothing keeps the installed key and its nonces). */
    public boolean sameAs(final int otherId, final byte[] otherMaterial)
    {
        return id == otherId && Arrays.equals(material, otherMaterial);
    }

    /**
     * TX thread. The VXLAN header (the AAD, with {@link SealedVxlan#FLAG_ENCRYPTED} and this key's id) must already
     * be at {@code out[vxlan]}; writes the nonce, the ciphertext of {@code plain[plainOffset, +length)} and the tag
     * after it. {@code plain} and {@code out} must not overlap.
     *
     * @return bytes written after the VXLAN header (nonce + ciphertext + tag), or -1 if the cipher failed.
     */
    public int seal(final byte[] plain, final int plainOffset, final int length, final byte[] out, final int vxlan)
    {
        final long c = counter++;
        final byte[] n = sealNonce.next();
        System.arraycopy(salt, 0, n, 0, SealedVxlan.SALT_LENGTH);
        for (int i = 0; i < Long.BYTES; i++)
        {
            n[SealedVxlan.COUNTER_OFFSET_IN_NONCE + i] = (byte)(c >>> (56 - 8 * i));
        }
        System.arraycopy(n, 0, out, vxlan + SealedVxlan.NONCE_OFFSET, SealedVxlan.NONCE_LENGTH);
        try
        {
            sealer.init(Cipher.ENCRYPT_MODE, key, sealNonce);
            sealer.updateAAD(out, vxlan + SealedVxlan.AAD_OFFSET, SealedVxlan.AAD_LENGTH);
            return SealedVxlan.NONCE_LENGTH +
                sealer.doFinal(plain, plainOffset, length, out, vxlan + SealedVxlan.CIPHERTEXT_OFFSET);
        }
        catch (final GeneralSecurityException ex)
        {
            return -1;
        }
    }

    /**
     * RX thread. Opens the sealed payload at {@code in[vxlan, +payloadLength)} (VXLAN header through tag) into
     * {@code out[outOffset]}; no plaintext is written there unless the tag verifies (ACCP zeroes that range on
     * failure).
     *
     * @return the inner frame's length, or -1 when the tag (over header and ciphertext) does not verify.
     */
    public int open(final byte[] in, final int vxlan, final int payloadLength, final byte[] out, final int outOffset)
    {
        final int sealedLength = payloadLength - SealedVxlan.CIPHERTEXT_OFFSET;
        if (sealedLength < SealedVxlan.TAG_LENGTH)
        {
            return -1;
        }
        System.arraycopy(in, vxlan + SealedVxlan.NONCE_OFFSET, openNonce.next(), 0, SealedVxlan.NONCE_LENGTH);
        try
        {
            opener.init(Cipher.DECRYPT_MODE, key, openNonce);
            opener.updateAAD(in, vxlan + SealedVxlan.AAD_OFFSET, SealedVxlan.AAD_LENGTH);
            return opener.doFinal(in, vxlan + SealedVxlan.CIPHERTEXT_OFFSET, sealedLength, out, outOffset);
        }
        catch (final AEADBadTagException ex)
        {
            return -1;
        }
        catch (final GeneralSecurityException ex)
        {
            return -1;
        }
    }

    public String toString()
    {
        return "SealKey{id=" + id + '}'; // never the key bytes
    }
}
