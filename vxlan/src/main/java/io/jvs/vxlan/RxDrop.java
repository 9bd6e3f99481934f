package io.jvs.vxlan;

import io.jvs.tap.counters.Counter;

/**
 * Why the {@link Vtep} dropped a frame that was addressed to its VXLAN port (local IPv4, UDP, destination
 * {@link VtepConfig#udpPort()}) or looked like it. Each is a counter; nothing is logged per packet.
 */
public enum RxDrop implements Counter
{
    /** Outer headers, VXLAN header or inner Ethernet header cut short. */
    TOO_SHORT,
    /** Outer IPv4 header: bad version/IHL, or Total Length beyond the frame. */
    BAD_IP_HEADER,
    BAD_IP_CHECKSUM,
    /** First fragment of a fragmented datagram to the VXLAN port: jvs never reassembles (nor does Linux vxlan). */
    IP_FRAGMENT,
    /** UDP Length shorter than the header or beyond the IP payload. */
    BAD_UDP_LENGTH,
    /** Non-zero UDP checksum that does not verify (zero means "not computed" and is accepted, RFC 768/7348). */
    BAD_UDP_CHECKSUM,
    /** The I flag is clear. */
    BAD_FLAGS,
    /** No tunnel port for the VNI. */
    UNKNOWN_VNI,
    /** Source IP is not a peer VTEP of the VNI (peers come from the control plane). */
    UNKNOWN_PEER,
    /** A GSO/partial-checksum underlay frame whose offsets do not point into the inner frame. */
    BAD_OFFLOAD,
    /** The underlay handed over a GSO type other than TCPv4/TCPv6 (e.g. UDP GSO). */
    UNSUPPORTED_GSO,
    /** The VNI's tunnel port is not attached to a switch (nothing receives from it yet, or any more). */
    PORT_DETACHED,
    /** Inner frame to or from the anycast gateway's router MAC, or ARP for the gateway: each host answers its own. */
    LOCAL_GATEWAY,
    /** Plain VXLAN (no {@link SealedVxlan#FLAG_ENCRYPTED}) for an encrypted VNI. */
    PLAIN_ON_ENCRYPTED,
    /** A sealed datagram for a VNI that is not encrypted. */
    SEALED_ON_PLAIN,
    /** A sealed datagram whose key id this host does not hold (never had it, or it was retired). */
    UNKNOWN_KEY,
    /** The GCM tag did not verify (tampered header or ciphertext, wrong key bytes, cut short). */
    AUTH_FAILED;
}
