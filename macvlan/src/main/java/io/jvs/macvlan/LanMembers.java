package io.jvs.macvlan;

import io.jvs.dataplane.parse.MacAddress;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongHashSet;

import java.util.Map;

/**
 * The containers of one LAN network as the data path needs them: their MACs (macvlan filter, and the only sources
 * allowed toward the LAN) and IPv4 address to MAC (ipvlan demultiplexing). Immutable once built; the control path
 * publishes a new one through a volatile field on every connect and disconnect, so readers need no lock.
 */
public final class LanMembers
{
    public static final long NONE = -1;
    public static final LanMembers EMPTY = new LanMembers(Map.of());

    private final LongHashSet macs = new LongHashSet();
    private final Long2LongHashMap macByIp = new Long2LongHashMap(NONE);

    /** @param macByIp IPv4 address (as an int) to the container's MAC. */
    public LanMembers(final Map<Integer, Long> macByIp)
    {
        for (final Map.Entry<Integer, Long> e : macByIp.entrySet())
        {
            final long mac = e.getValue();
            if (!MacAddress.isValidSource(mac))
            {
                throw new IllegalArgumentException("not a unicast MAC: " + MacAddress.toString(mac));
            }
            macs.add(mac);
            this.macByIp.put(e.getKey() & 0xFFFF_FFFFL, mac);
        }
    }

    public boolean hasMac(final long mac)
    {
        return macs.contains(mac);
    }

    /** @return the container's MAC, or {@link #NONE}. */
    public long macOf(final int ip)
    {
        return macByIp.get(ip & 0xFFFF_FFFFL);
    }

    public int size()
    {
        return macs.size();
    }
}
