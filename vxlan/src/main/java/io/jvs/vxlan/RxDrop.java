package io.jvs.vxlan;

import io.jvs.tap.counters.Counter;

/**
 * Why the {@link Vtep} dropped a frame that was addressed to its VXLAN port (local IPv4, UDP, destination
 * {@link VtepConfig#udpPort()}) or looked like it. Each is a counter; nothing is logged per packet.
 */
public enum RxDrop implements Counter
{
    /** Outer headers, VXLAN header or inner Ethernet header cut short. */
    TOO_SHORT("too_short"),
    /** Outer IPv4 header: bad version/IHL, or Total Length beyond the frame. */
    BAD_IP_HEADER("bad_ip_header"),
    BAD_IP_CHECKSUM("bad_ip_checksum"),
    /** First fragment of a fragmented datagram to the VXLAN port: jvs never reassembles (nor does Linux vxlan). */
    IP_FRAGMENT("ip_fragment"),
    /** UDP Length shorter than the header or beyond the IP payload. */
    BAD_UDP_LENGTH("bad_udp_length"),
    /** Non-zero UDP checksum that does not verify (zero means "not computed" and is accepted, RFC 768/7348). */
    BAD_UDP_CHECKSUM("bad_udp_checksum"),
    /** The I flag is clear. */
    BAD_FLAGS("bad_flags"),
    /** No tunnel port for the VNI. */
    UNKNOWN_VNI("unknown_vni"),
    /** Source IP is not a peer VTEP of the VNI (peers come from the control plane). */
    UNKNOWN_PEER("unknown_peer"),
    /** A GSO/partial-checksum underlay frame whose offsets do not point into the inner frame. */
    BAD_OFFLOAD("bad_offload"),
    /** The underlay handed over a GSO type other than TCPv4/TCPv6 (e.g. UDP GSO). */
    UNSUPPORTED_GSO("unsupported_gso"),
    /** The VNI's tunnel port is not attached to a switch (nothing receives from it yet, or any more). */
    PORT_DETACHED("port_detached"),
    /** Inner frame to or from the anycast gateway's router MAC, or ARP for the gateway: each host answers its own. */
    LOCAL_GATEWAY("local_gateway"),
    /** Plain VXLAN (no {@link SealedVxlan#FLAG_ENCRYPTED}) for an encrypted VNI. */
    PLAIN_ON_ENCRYPTED("plain_on_encrypted"),
    /** A sealed datagram for a VNI that is not encrypted. */
    SEALED_ON_PLAIN("sealed_on_plain"),
    /** A sealed datagram whose key id this host does not hold (never had it, or it was retired). */
    UNKNOWN_KEY("unknown_key"),
    /** The GCM tag did not verify (tampered header or ciphertext, wrong key bytes, cut short). */
    AUTH_FAILED("auth_failed");

    private final String label;

    RxDrop(final String label)
    {
        this.label = label;
    }

    @Override
    public String label()
    {
        return label;
    }
}
