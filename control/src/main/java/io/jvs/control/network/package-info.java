/**
 * Networks, sandboxes and endpoints as requests see them. {@link io.jvs.control.network.NetworkService} is the one
 * entry (one lock): it validates, allocates addresses ({@code NetworkTable}'s Ipams), makes the veths, journals and
 * undoes a half-made change. What differs between kinds of network is a {@link io.jvs.control.network.NetworkDriver}:
 * {@code BridgeDriver}, {@code LanDriver}, {@code OverlayDriver}, {@code NoNetworkDriver}. Beside them:
 * {@code EndpointPublisher} (published ports), {@code PeerNames} (the peers' names for the resolver, own hosts files), {@code SandboxLink} (a sandbox end's
 * address, routes and links), {@code NetworkRestore} (a restart's
 * rebuild), {@code NetworkViews} (inspect, stats, MAC table), {@code Naming} (ids and interface names).
 */
package io.jvs.control.network;
