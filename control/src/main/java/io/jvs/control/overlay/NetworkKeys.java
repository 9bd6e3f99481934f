package io.jvs.control.overlay;

import io.jvs.vxlan.SealedVxlan;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The AES-256-GCM keys of one encrypted overlay network, as stored at {@link ClusterKeys#keys}. Times are epoch
 * milliseconds of the host clocks (the windows are seconds wide, so ordinary clock skew only shifts them):
 * <ul>
 *   <li>a key is <em>accepted</em> on receive from the moment a host reads it until its {@code retireAt}
 *       (0: never);</li>
 *   <li>the <em>sealing</em> key is the accepted key with the latest {@code activeFrom} that has passed.</li>
 * </ul>
 * A rotation ({@link #rotate}) adds a key whose {@code activeFrom} is {@link #SWITCH_DELAY_MILLIS} ahead, so every
 * host accepts it before any host sends with it, and retires the previous key {@link #GRACE_MILLIS} after the
 * switch, so datagrams sealed just before the switch still open. At most these two keys are listed.
 *
 * @param keys oldest first.
 */
public record NetworkKeys(String networkId, List<Key> keys)
{
    /** Time every host has to see a new key before anyone sends with it (watch latency, 2 s resync, skew). */
    public static final long SWITCH_DELAY_MILLIS = 3000;
    /** How long the previous key still opens datagrams after the switch. */
    public static final long GRACE_MILLIS = 10_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** @param key 32 random bytes, base64. */
    public record Key(int id, String key, long activeFrom, long retireAt)
    {
        boolean acceptedAt(final long now)
        {
            return retireAt == 0 || now < retireAt;
        }

        byte[] bytes()
        {
            return Base64.getDecoder().decode(key);
        }

        @Override
        public String toString()
        {
            return "Key{id=" + id + ", activeFrom=" + activeFrom + ", retireAt=" + retireAt + '}'; // not the bytes
        }
    }

    /** What a host programs into the tunnel port at one instant. */
    public record Installed(int sealingId, Map<Integer, byte[]> keys)
    {
    }

    /** A network's first key: id 1, active at once. */
    public static NetworkKeys first(final String networkId)
    {
        return new NetworkKeys(networkId, List.of(new Key(SealedVxlan.MIN_KEY_ID, randomKey(), 0, 0)));
    }

    static String randomKey()
    {
        final byte[] k = new byte[SealedVxlan.KEY_LENGTH];
        RANDOM.nextBytes(k);
        return Base64.getEncoder().encodeToString(k);
    }

    /** The keys to program at {@code now}: every accepted one, and the sealing one (0 if none is active yet). */
    public Installed at(final long now)
    {
        final Map<Integer, byte[]> accepted = new LinkedHashMap<>();
        Key sealing = null;
        for (final Key k : keys)
        {
            if (k.acceptedAt(now))
            {
                accepted.put(k.id(), k.bytes());
                if (k.activeFrom() <= now && (sealing == null || k.activeFrom() >= sealing.activeFrom()))
                {
                    sealing = k;
                }
            }
        }
        return new Installed(sealing == null ? 0 : sealing.id(), accepted);
    }

    /** The next instant after {@code now} at which {@link #at} changes, or Long.MAX_VALUE. */
    public long nextChangeAfter(final long now)
    {
        long next = Long.MAX_VALUE;
        for (final Key k : keys)
        {
            if (k.activeFrom() > now)
            {
                next = Math.min(next, k.activeFrom());
            }
            if (k.retireAt() > now)
            {
                next = Math.min(next, k.retireAt());
            }
        }
        return next;
    }

    /**
     * A new random key with the next free id, sealing from {@code now + SWITCH_DELAY_MILLIS}; the key sealing now
     * is kept until {@link #GRACE_MILLIS} after that; every other key is dropped.
     */
    public NetworkKeys rotate(final long now)
    {
        final int sealingId = at(now).sealingId();
        final long switchAt = now + SWITCH_DELAY_MILLIS;
        final List<Key> next = new ArrayList<>();
        int maxId = 0;
        for (final Key k : keys)
        {
            maxId = Math.max(maxId, k.id());
            if (k.id() == sealingId)
            {
                next.add(new Key(k.id(), k.key(), k.activeFrom(), switchAt + GRACE_MILLIS));
            }
        }
        int id = maxId % SealedVxlan.MAX_KEY_ID + 1;
        if (id == sealingId)
        {
            id = id % SealedVxlan.MAX_KEY_ID + 1;
        }
        next.add(new Key(id, randomKey(), switchAt, 0));
        next.sort(Comparator.comparingLong(Key::activeFrom));
        return new NetworkKeys(networkId, List.copyOf(next));
    }

    /** When the newest key started (or starts) sealing. */
    public long newestActiveFrom()
    {
        return keys.stream().mapToLong(Key::activeFrom).max().orElse(0);
    }
}
