package io.jvs.vxlan;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.Provider;
import java.util.Arrays;

/**
 * Chooses, once per JVM, the JCA provider whose {@code AES/GCM/NoPadding} seals and opens encrypted overlay
 * datagrams ({@link SealKey}): the Amazon Corretto Crypto Provider (ACCP: AWS-LC through JNI, AES-NI and carry-less
 * multiply in native code) when its native library loads and passes a round trip here, else the JDK's own
 * (SunJCE, with the JDK's AES/GHASH intrinsics). ACCP is used as an explicit provider object and never installed
 * in the JVM's provider list, so nothing else in the process changes.
 * <p>
 * Why ACCP: with the same {@code Key} object its re-init only sets a new nonce on a kept native context, so a
 * datagram costs tens of bytes of garbage instead of the JDK's ~1 KB GHASH table per {@code Cipher.init}
 * (docs/overlay.md, "Cost"). Its jar carries the x86-64 Linux library only: on any other platform, or when the
 * library cannot be extracted or loaded, the JDK provider seals and {@link #description()} says why.
 * <p>
 * {@code -Djvs.crypto.provider=jdk} forces the JDK provider (A/B measurements, or a host where ACCP misbehaves).
 */
public final class GcmProvider
{
    /** System property: {@code jdk} forces the JDK's provider; anything else (or unset) prefers ACCP. */
    public static final String PROPERTY = "jvs.crypto.provider";
    public static final String JDK = "jdk";
    private static final String JDK_PROVIDER = "SunJCE";

    private static final Provider PROVIDER;
    private static final String DESCRIPTION;

    static
    {
        final Provider jdk = jdk();
        if (JDK.equalsIgnoreCase(System.getProperty(PROPERTY, "")))
        {
            PROVIDER = jdk;
            DESCRIPTION = describe(jdk) + " (-D" + PROPERTY + "=" + JDK + ")";
        }
        else
        {
            Provider accp = null;
            String reason;
            try
            {
                accp = roundTrip(Accp.provider());
                reason = null;
            }
            catch (final LinkageError | RuntimeException ex) // no jar, no native library, or a failed self-check
            {
                reason = ex.getClass().getSimpleName() + ": " + ex.getMessage();
            }
            PROVIDER = null != accp ? accp : jdk;
            DESCRIPTION = null != accp ? describe(accp) + " (AWS-LC, native)" :
                describe(jdk) + " (ACCP unavailable: " + reason + ")";
        }
    }

    private GcmProvider()
    {
    }

    /** The provider every {@link SealKey} made without an explicit one uses. */
    public static Provider provider()
    {
        return PROVIDER;
    }

    /** Which provider seals, for the daemon's start line and {@code jvs overlay}: e.g. "AES-256-GCM by ...". */
    public static String description()
    {
        return DESCRIPTION;
    }

    /** The JDK's AES-GCM provider (the fallback). */
    public static Provider jdk()
    {
        final Provider p = java.security.Security.getProvider(JDK_PROVIDER);
        if (null == p)
        {
            throw new IllegalStateException(JDK_PROVIDER + " (the JDK's " + SealedVxlan.TRANSFORMATION +
                ") is not installed in this JVM");
        }
        return p;
    }

    /**
     * ACCP when its native library loaded and it passes the round trip, for benchmarks and tests that compare the
     * two; throws (with ACCP's own reason) otherwise.
     */
    public static Provider accp()
    {
        return roundTrip(Accp.provider());
    }

    private static String describe(final Provider p)
    {
        return "AES-256-GCM by " + p.getName() + " " + p.getVersionStr();
    }

    /** A seal, an open and a refused forgery with a throw-away key: the provider works the way SealKey uses it. */
    private static Provider roundTrip(final Provider p)
    {
        try
        {
            final SecretKeySpec key = new SecretKeySpec(new byte[SealedVxlan.KEY_LENGTH], "AES");
            final GCMParameterSpec nonce =
                new GCMParameterSpec(SealedVxlan.TAG_BITS, new byte[SealedVxlan.NONCE_LENGTH]);
            final byte[] plain = "jvs sealed vxlan".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            final byte[] aad = new byte[SealedVxlan.AAD_LENGTH];
            final Cipher c = Cipher.getInstance(SealedVxlan.TRANSFORMATION, p);
            c.init(Cipher.ENCRYPT_MODE, key, nonce);
            c.updateAAD(aad);
            final byte[] sealed = c.doFinal(plain);
            c.init(Cipher.DECRYPT_MODE, key, nonce);
            c.updateAAD(aad);
            if (!Arrays.equals(plain, c.doFinal(sealed)))
            {
                throw new IllegalStateException(p.getName() + " did not round-trip AES-GCM");
            }
            sealed[0] ^= 1;
            c.init(Cipher.DECRYPT_MODE, key, nonce);
            c.updateAAD(aad);
            try
            {
                c.doFinal(sealed);
            }
            catch (final javax.crypto.AEADBadTagException expected)
            {
                return p;
            }
            throw new IllegalStateException(p.getName() + " opened a forged AES-GCM message");
        }
        catch (final java.security.GeneralSecurityException ex)
        {
            throw new IllegalStateException(p.getName() + ": " + ex.getMessage(), ex);
        }
    }

    /** The only place that names ACCP's classes, so GcmProvider links (and falls back) without ACCP's jar. */
    private static final class Accp
    {
        static Provider provider()
        {
            final com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider accp =
                com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider.INSTANCE;
            accp.assertHealthy(); // throws ACCP's loading error (e.g. no native library for this platform)
            return accp;
        }
    }
}
