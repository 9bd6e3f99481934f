package io.jvs.vxlan;

import javax.crypto.spec.GCMParameterSpec;

/**
 * The GCM parameters of one {@link javax.crypto.Cipher}, reused for every datagram so that a new nonce costs no
 * allocation: {@link #next()} hands out one of two nonce arrays in turn for the caller to fill, and {@link #getIV()}
 * returns that array itself instead of a copy.
 * <p>
 * Why two arrays: a provider keeps the nonce array of the last encrypt init and refuses the next one when it is
 * equal (its guard against GCM nonce reuse: ACCP and SunJCE both compare the arrays), so one array rewritten in place
 * would compare equal to itself every time. With two, the array a provider still holds from the previous datagram is
 * never the one being written; the one written was last used two datagrams ago, whose operation has finished.
 * <p>
 * This bends {@link GCMParameterSpec#getIV()}'s "new array each call" for the two providers {@link GcmProvider}
 * chooses from, which read the nonce during the same datagram's {@code init}/{@code doFinal}; SealKeyTest runs
 * both. Not thread-safe: one per cipher, on that cipher's thread.
 */
final class NonceSpec extends GCMParameterSpec
{
    private final byte[][] nonces = {new byte[SealedVxlan.NONCE_LENGTH], new byte[SealedVxlan.NONCE_LENGTH]};
    private int current;

    NonceSpec()
    {
        super(SealedVxlan.TAG_BITS, new byte[SealedVxlan.NONCE_LENGTH]);
    }

    /** The array for the next datagram's nonce (fill all {@link SealedVxlan#NONCE_LENGTH} bytes, then init). */
    byte[] next()
    {
        current ^= 1;
        return nonces[current];
    }

    /** The array last returned by {@link #next()}, not a copy. */
    @Override
    public byte[] getIV()
    {
        return nonces[current];
    }
}
