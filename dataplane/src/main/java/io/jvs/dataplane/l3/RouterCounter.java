package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.FrameParser;
import io.jvs.tap.counters.Counter;

/**
 * Every event the router and NAT count, under the label shown by {@code jvs stats} / {@code jvs nat ls}.
 * Drops end in their reason; the rest are activity counts, and the last is a gauge. All written by the thread the
 * router runs on.
 */
public enum RouterCounter implements Counter
{
    ROUTED("routed", "IPv4 packets forwarded between interfaces"),
    ARP_REPLIES_SENT("arp_replies_sent", "ARP replies for a router address"),
    ARP_REQUESTS_SENT("arp_requests_sent", "ARP requests for a next hop"),
    ICMP_ECHO_REPLIES("icmp_echo_replies", "echo replies sent for a router address"),
    NAT_TRANSLATED("nat_translated", "packets translated by an existing connection"),
    NAT_CREATED("nat_created", "connections created (SNAT, DNAT, hairpin)"),
    NAT_EXPIRED("nat_expired", "connections removed on timeout"),
    NAT_ICMP_ERRORS("nat_icmp_errors", "ICMP errors translated back to the inner flow"),
    ICMP_TIME_EXCEEDED("icmp_time_exceeded", "ICMP time exceeded sent (TTL expired in transit)"),
    ICMP_NET_UNREACHABLE("icmp_net_unreachable", "ICMP net unreachable sent (no route)"),
    ICMP_HOST_UNREACHABLE("icmp_host_unreachable", "ICMP host unreachable sent (next hop did not answer ARP)"),
    ICMP_PORT_UNREACHABLE("icmp_port_unreachable", "ICMP port unreachable sent (UDP to a router address)"),
    ICMP_FRAG_NEEDED("icmp_frag_needed", "ICMP fragmentation needed sent (DF set, larger than the egress MTU)"),
    ICMP_ERRORS_SUPPRESSED("icmp_errors_suppressed",
        "no ICMP error allowed (about an ICMP error, a non-first fragment, broadcast/multicast, bad source)"),
    ICMP_ERRORS_RATE_LIMITED("icmp_errors_rate_limited", "ICMP error not sent: over the rate limit"),
    DROP_NAT_MISS("drop_nat_miss", "to the uplink address: no connection, no published port"),
    DROP_NAT_PORTS_EXHAUSTED("drop_nat_ports_exhausted", "no free NAT port for the remote endpoint"),
    DROP_NAT_TABLE_FULL("drop_nat_table_full", "connection table full"),
    DROP_NAT_FRAGMENT("drop_nat_fragment", "IPv4 fragment that would need translation"),
    DROP_NAT_UNTRACKED("drop_nat_untracked", "protocol NAT cannot translate (not TCP/UDP/ICMP echo)"),
    DROP_NAT_BAD_OFFLOAD("drop_nat_bad_offload", "NEEDS_CSUM not pointing at the L4 checksum"),
    DROP_NO_ROUTE("drop_no_route", "no route (internal network, no uplink, between networks)"),
    DROP_TTL("drop_ttl_expired", "TTL / IPv6 hop limit would reach 0"),
    DROP_TOO_BIG("drop_too_big", "larger than the egress MTU (not fragmented)"),
    DROP_ARP_UNRESOLVED("drop_arp_unresolved", "next hop did not answer ARP in time"),
    DROP_ARP_QUEUE_FULL("drop_arp_queue_full", "no room to hold a packet while resolving"),
    DROP_TO_ROUTER("drop_to_router", "addressed to a router address, not echo/NAT"),
    DROP_NOT_IPV4("drop_not_ipv4", "to the router MAC but not IPv4, IPv6 or ARP"),
    DROP_VLAN("drop_vlan", "tagged frame at the router"),
    DROP_MALFORMED_ETHERNET("drop_malformed_ethernet", "bad Ethernet header"),
    DROP_MALFORMED_ARP("drop_malformed_arp", "truncated or non-Ethernet/IPv4 ARP"),
    DROP_MALFORMED_IPV4("drop_malformed_ipv4", "truncated IPv4, bad version/IHL/total length"),
    DROP_MALFORMED_TCP("drop_malformed_tcp", "truncated TCP or data offset < 5"),
    DROP_MALFORMED_UDP("drop_malformed_udp", "truncated UDP or bad length"),
    DROP_MALFORMED_ICMP("drop_malformed_icmp", "truncated ICMP or ICMP error without its inner header"),
    DROP_TX("drop_tx", "egress port refused the frame (full or too long)"),
    DROP_ICC("drop_icc", "routed back into its own network, which has inter-container communication off"),
    DROP_ECHO_BAD_SOURCE("drop_echo_bad_source",
        "echo request from 0.0.0.0/8, loopback, multicast, a broadcast address: not answered"),
    DROP_BAD_CHECKSUM("drop_bad_checksum", "echo request to the router with a bad IPv4 header or ICMP checksum"),
    ROUTED_IPV6("routed_ipv6", "IPv6 packets forwarded between interfaces"),
    NDP_ADVERTS_SENT("ndp_adverts_sent", "neighbour advertisements for a router address"),
    NDP_SOLICITS_SENT("ndp_solicits_sent", "neighbour solicitations for a next hop (multicast or probe)"),
    NDP_ROUTER_ADVERTS_SENT("ndp_router_adverts_sent", "router advertisements answering a router solicitation"),
    ICMPV6_ECHO_REPLIES("icmpv6_echo_replies", "ICMPv6 echo replies sent for a router address"),
    ICMPV6_TIME_EXCEEDED("icmpv6_time_exceeded", "ICMPv6 time exceeded sent (hop limit expired in transit)"),
    ICMPV6_PACKET_TOO_BIG("icmpv6_packet_too_big", "ICMPv6 packet too big sent (larger than the egress MTU)"),
    ICMPV6_UNREACHABLE("icmpv6_unreachable",
        "ICMPv6 destination unreachable sent (no route, beyond scope, address or port unreachable)"),
    DROP_MALFORMED_IPV6("drop_malformed_ipv6",
        "truncated IPv6, payload length past the frame, bad or too long extension-header chain"),
    DROP_BAD_ICMPV6_CHECKSUM("drop_bad_icmpv6_checksum", "ICMPv6 to the router (echo, NDP) with a bad checksum"),
    DROP_NDP_INVALID("drop_ndp_invalid", "neighbour discovery message failing RFC 4861 validation"),
    DROP_NDP_UNRESOLVED("drop_ndp_unresolved", "IPv6 next hop did not answer neighbour solicitations in time"),
    DROP_NDP_QUEUE_FULL("drop_ndp_queue_full", "no room to hold an IPv6 packet while resolving"),
    DROP_NO_ADDRESS_FAMILY("drop_no_address_family",
        "IPv4 or IPv6 to a router interface without an address of that family"),
    /** Gauge, set rather than counted. */
    NAT_CONNECTIONS("nat_connections", "live connections");

    private final String label;
    private final String description;

    RouterCounter(final String label, final String description)
    {
        this.label = label;
        this.description = description;
    }

    @Override
    public String label()
    {
        return label;
    }

    public String description()
    {
        return description;
    }

    /** The drop of a frame the parser refused at {@code layer} ({@link FrameParser#failedLayer()}). */
    static RouterCounter malformed(final int layer)
    {
        return switch (layer)
        {
            case FrameParser.LAYER_ARP -> DROP_MALFORMED_ARP;
            case FrameParser.LAYER_IPV4 -> DROP_MALFORMED_IPV4;
            case FrameParser.LAYER_TCP -> DROP_MALFORMED_TCP;
            case FrameParser.LAYER_UDP -> DROP_MALFORMED_UDP;
            case FrameParser.LAYER_ICMP -> DROP_MALFORMED_ICMP;
            case FrameParser.LAYER_IPV6 -> DROP_MALFORMED_IPV6;
            default -> DROP_MALFORMED_ETHERNET;
        };
    }
}
