package io.jvs.macvlan;

/**
 * What one LAN network's port needs.
 *
 * @param name            a display name (the switch shows it as the port's interface), e.g. "eth0.10".
 * @param vid             802.1Q VLAN ID 1..4094, or 0 for untagged.
 * @param mode            macvlan, ipvlan l2 or ipvlan l3.
 * @param parentIp        the host's IPv4 address on the parent (ipvlan l3: source of ARP requests); 0 if none.
 * @param parentPrefix    its prefix length (ipvlan l3: which destinations are on the LAN itself).
 * @param lanGateway      the parent's default gateway on the LAN (ipvlan l3 next hop off the LAN); 0 if none.
 * @param gateway         ipvlan l3: the containers' gateway address, answered by jvs with the parent MAC.
 */
public record LanPortConfig(
    String name, int vid, LanMode mode, int parentIp, int parentPrefix, int lanGateway, int gateway)
{
    public LanPortConfig
    {
        if (null == name || name.isEmpty() || null == mode)
        {
            throw new IllegalArgumentException("name=" + name + " mode=" + mode);
        }
        if (mode == LanMode.IPVLAN_L3 && (parentIp == 0 || gateway == 0))
        {
            throw new IllegalArgumentException("ipvlan l3 needs the parent's address and a gateway");
        }
    }

    public static LanPortConfig of(final String name, final int vid, final LanMode mode)
    {
        return new LanPortConfig(name, vid, mode, 0, 0, 0, 0);
    }
}
