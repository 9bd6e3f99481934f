package io.jvs.vxlan;

import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.UdpHeader;
import io.jvs.tap.VnetHeader;

/**
 * Where each header sits in an encapsulated frame as jvs writes it to the underlay port (IPv4 underlay, no
 * IP options, no VLAN tag), offsets from the start of the virtio_net_hdr:
 * <pre>
 *  0          10              24             44         52           60
 *  +----------+---------------+--------------+----------+------------+------------------------+
 *  | vnet hdr | outer Ethernet| outer IPv4   | UDP      | VXLAN      | inner Ethernet frame   |
 *  | (GSO_NONE| dst,src,0x0800| 20 B, no DF, | src=hash | I, VNI     | (what the switch       |
 *  |  flags 0)| 14 B          | TTL 64       | dst=4789 | 8 B        |  offered, segmented)   |
 *  +----------+---------------+--------------+----------+------------+------------------------+
 * </pre>
 * The encapsulation overhead is {@link #OVERHEAD} = 50 bytes: outer IPv4 length = inner IP packet + 14 + 8 + 8 + 20,
 * so an inner MTU of 1450 fits a 1500-byte underlay MTU.
 */
public final class OuterHeaders
{
    public static final int ETHERNET_OFFSET = VnetHeader.LENGTH;
    public static final int IPV4_OFFSET = ETHERNET_OFFSET + EthernetHeader.HEADER_LENGTH;
    public static final int UDP_OFFSET = IPV4_OFFSET + Ipv4Header.MIN_HEADER_LENGTH;
    public static final int VXLAN_OFFSET = UDP_OFFSET + UdpHeader.HEADER_LENGTH;
    public static final int INNER_OFFSET = VXLAN_OFFSET + VxlanHeader.LENGTH;

    /** Outer Ethernet + IPv4 + UDP + VXLAN. */
    public static final int OVERHEAD = INNER_OFFSET - ETHERNET_OFFSET;

    /** Linux vxlan's default: ip4_dst_hoplimit, i.e. net.ipv4.ip_default_ttl = 64. */
    public static final int TTL = 64;
    /** Linux vxlan without "df set" sends DF clear (checked with tcpdump: "flags [none]"). */
    public static final int IPV4_FLAGS = 0;
    /** Linux's default vxlan source port range: the ephemeral range 32768..60999 ([min, max) = 32768, 61000). */
    public static final int SOURCE_PORT_MIN = 32768;
    public static final int SOURCE_PORT_MAX = 61000;
    public static final int DEFAULT_INNER_MTU = 1450;

    private OuterHeaders()
    {
    }
}
