package io.jvs.macvlan;

/** How a network's containers appear on the parent's LAN. */
public enum LanMode
{
    /** Each container is its own station with its own MAC; jvs bridges the LAN and the containers. */
    MACVLAN("macvlan"),
    /** Containers share the parent's MAC toward the LAN; jvs rewrites MACs and demultiplexes by IPv4 address. */
    IPVLAN_L2("ipvlan l2"),
    /** No broadcast to the LAN: jvs routes between the containers' subnet and the LAN with the parent's MAC. */
    IPVLAN_L3("ipvlan l3");

    private final String label;

    LanMode(final String label)
    {
        this.label = label;
    }

    public String label()
    {
        return label;
    }
}
