package io.jvs.vxlan;

import io.jvs.tap.counters.Counter;

/**
 * Underlay frames the {@link Vtep} sees (it shares the interface with the host) but that are not VXLAN for it:
 * left to the kernel, counted for diagnostics, not drops.
 */
public enum RxIgnored implements Counter
{
    /** Neither IPv4 nor ARP (IPv6, LLDP, ...). */
    NOT_IPV4,
    /** IPv4 not addressed to the local VTEP address. */
    NOT_LOCAL,
    /** IPv4 to the local address but not UDP. */
    NOT_UDP,
    /** UDP to the local address on another destination port (the host's own traffic). */
    OTHER_UDP_PORT,
    /** Later fragments of any UDP datagram to the local address: no UDP header to tell what they are. */
    LATER_FRAGMENT,
    /** ARP frames (used to learn next-hop MACs). */
    ARP;
}
