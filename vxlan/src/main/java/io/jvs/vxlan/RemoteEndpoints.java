package io.jvs.vxlan;

import io.jvs.dataplane.parse.MacAddress;

import java.util.Map;

/**
 * The remote endpoints of one VNI as the control plane knows them (etcd: MAC/IP -> VTEP), an immutable snapshot
 * that the TX thread reads behind a volatile field. Two open-addressing tables, no allocation on lookup:
 * <pre>
 *   byMac: slot = mac (0 = empty)     -> vtepIp     (static MAC -> VTEP, ahead of learning)
 *   byIp:  slot = ip | 1L << 32       -> mac        (ARP answered locally)
 * </pre>
 */
public final class RemoteEndpoints
{
    public static final RemoteEndpoints EMPTY = new RemoteEndpoints(new long[2], new int[2], new long[2], new long[2]);
    /** No entry. */
    public static final long NONE = 0;

    private static final long IP_PRESENT = 1L << 32;

    private final long[] macKeys;
    private final int[] macVteps;
    private final long[] ipKeys;
    private final long[] ipMacs;

    private RemoteEndpoints(final long[] macKeys, final int[] macVteps, final long[] ipKeys, final long[] ipMacs)
    {
        this.macKeys = macKeys;
        this.macVteps = macVteps;
        this.ipKeys = ipKeys;
        this.ipMacs = ipMacs;
    }

    /**
     * @param entries inner IPv4 address -> {mac, vtep IPv4}; entries with a zero or multicast MAC are skipped.
     */
    public static RemoteEndpoints of(final Map<Integer, long[]> entries)
    {
        int capacity = 2;
        while (capacity < entries.size() * 2)
        {
            capacity <<= 1;
        }
        final long[] macKeys = new long[capacity];
        final int[] macVteps = new int[capacity];
        final long[] ipKeys = new long[capacity];
        final long[] ipMacs = new long[capacity];
        final int mask = capacity - 1;
        entries.forEach((ip, macAndVtep) ->
        {
            final long mac = macAndVtep[0] & MacAddress.MASK;
            if (mac == 0 || MacAddress.isMulticast(mac))
            {
                return;
            }
            int i = hash(mac, mask);
            while (macKeys[i] != 0 && macKeys[i] != mac)
            {
                i = (i + 1) & mask;
            }
            macKeys[i] = mac;
            macVteps[i] = (int)macAndVtep[1];
            final long key = (ip & 0xFFFF_FFFFL) | IP_PRESENT;
            int j = hash(key, mask);
            while (ipKeys[j] != 0 && ipKeys[j] != key)
            {
                j = (j + 1) & mask;
            }
            ipKeys[j] = key;
            ipMacs[j] = mac;
        });
        return new RemoteEndpoints(macKeys, macVteps, ipKeys, ipMacs);
    }

    /** @return the VTEP address of a remote MAC, or 0. */
    public int vtepOf(final long mac)
    {
        final long[] keys = macKeys;
        final int mask = keys.length - 1;
        int i = hash(mac, mask);
        for (int n = 0; n <= mask; n++)
        {
            final long k = keys[i];
            if (k == 0)
            {
                return 0;
            }
            if (k == mac)
            {
                return macVteps[i];
            }
            i = (i + 1) & mask;
        }
        return 0;
    }

    /** @return the MAC of a remote inner IPv4 address, or {@link #NONE}. */
    public long macOf(final int ip)
    {
        final long key = (ip & 0xFFFF_FFFFL) | IP_PRESENT;
        final long[] keys = ipKeys;
        final int mask = keys.length - 1;
        int i = hash(key, mask);
        for (int n = 0; n <= mask; n++)
        {
            final long k = keys[i];
            if (k == 0)
            {
                return NONE;
            }
            if (k == key)
            {
                return ipMacs[i];
            }
            i = (i + 1) & mask;
        }
        return NONE;
    }

    public int size()
    {
        int n = 0;
        for (final long k : macKeys)
        {
            n += k != 0 ? 1 : 0;
        }
        return n;
    }

    private static int hash(final long key, final int mask)
    {
        return (int)((key * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }
}
