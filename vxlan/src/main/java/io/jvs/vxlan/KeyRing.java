package io.jvs.vxlan;

import java.util.ArrayList;
import java.util.List;

/**
 * The keys of one encrypted VNI as the data path sees them: the one its TX thread seals with, and every key
 * its RX side accepts (by the key id in the header; the current and, during a rotation, the previous or next one).
 * Immutable; published through a volatile field of the {@link VxlanTunnelPort}.
 */
public final class KeyRing
{
    public static final KeyRing EMPTY = new KeyRing(null, List.of());

    private final SealKey sealing;
    private final SealKey[] byId = new SealKey[SealedVxlan.MAX_KEY_ID + 1];
    private final List<SealKey> keys;

    KeyRing(final SealKey sealing, final List<SealKey> accepted)
    {
        this.sealing = sealing;
        for (final SealKey k : accepted)
        {
            if (null != byId[k.id()])
            {
                throw new IllegalArgumentException("key id " + k.id() + " given twice");
            }
            byId[k.id()] = k;
        }
        if (null != sealing && byId[sealing.id()] != sealing)
        {
            throw new IllegalArgumentException("sealing key " + sealing.id() + " is not among the accepted keys");
        }
        this.keys = List.copyOf(new ArrayList<>(accepted));
    }

    /** Null when the VNI has no key yet (sealed frames are then dropped as {@link TxDrop#NO_KEY}). */
    public SealKey sealing()
    {
        return sealing;
    }

    /** Null for an unknown id. */
    public SealKey byId(final int keyId)
    {
        return byId[keyId & 0xFF];
    }

    public List<SealKey> keys()
    {
        return keys;
    }
}
