/**
 * The switch's router, on the forwarding thread: gateways of bridge domains, the uplink, the host port, NAT.
 * <ul>
 * <li>{@code Router}: the per-packet pipeline (parse, local or forward, translate, send) and its batches;
 *     {@code RouterProxy}: its configuration as typed commands from the control thread;</li>
 * <li>{@code Interfaces}: legs, uplink, host port, MTUs, routes; {@code RouterLeg}: a leg's placeholder port;</li>
 * <li>{@code NeighbourResolver} (ARP and the packets waiting for it) over {@code NeighbourTable};</li>
 * <li>{@code NatEngine} (lookup, create, track, published ports) and {@code NatTranslator} (the rewrite, and
 *     ICMP errors about translated packets); {@code NatTuple}: the flyweight they share; {@code FlowBatch}: a
 *     batch's connection lookups made together;</li>
 * <li>{@code EgressAdmission} (TTL, MTU), {@code IcmpErrorSender} + {@code IcmpErrors} (errors the router sends,
 *     rate-limited by a {@code TokenBucket}), {@code EchoResponder} (pings to the router), {@code Transmitter}
 *     (frames out);</li>
 * <li>{@code RouterCounter}/{@code RouterCounters}: its counters; {@code Checksum}, {@code Ipv4Addresses}: shared
 *     with vxlan and control.</li>
 * </ul>
 */
package io.jvs.dataplane.l3;
