package io.jvs.vxlan;

import io.jvs.tap.counters.Counter;

/** Why a {@link VxlanTunnelPort} dropped (part of) a frame the switch offered. Counted per port. */
public enum TxDrop implements Counter
{
    /** Shorter than virtio_net_hdr + Ethernet header. */
    TOO_SHORT,
    /** A non-GSO frame whose L3 packet exceeds the inner MTU (no fragmentation, like Linux vxlan with DF). */
    INNER_TOO_LONG,
    /** virtio_net_hdr offsets inconsistent with the frame (csum_start/csum_offset out of range, bad GSO headers). */
    BAD_OFFLOAD,
    /** GSO types jvs cannot segment (UDP/UFO, TCP over IPv6 with extension headers). */
    UNSUPPORTED_GSO,
    /** Flooded (broadcast/unknown unicast/multicast) but the VNI has no peers. */
    NO_PEERS,
    /** The peer's next-hop MAC is not resolved yet (ARP pending); per destination. */
    NEIGHBOUR_UNRESOLVED,
    /** The underlay TX ring had no free slot even after a kick; per outer frame. */
    UNDERLAY_FULL,
    /** To or from the anycast gateway's router MAC, or ARP for the gateway: answered on this host, not tunnelled. */
    LOCAL_GATEWAY,
    /** An encrypted VNI with no key installed yet (nothing leaves in clear). */
    NO_KEY,
    /** The cipher refused to seal (should not happen; counted rather than thrown on the TX thread). */
    SEAL_FAILED;
}
