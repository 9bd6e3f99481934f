package io.jvs.control.network;

/**
 * The steps of {@link NetworkService#connect} and {@link NetworkService#disconnect}, in order, as an
 * {@link AttachProbe} sees them: each is reported once it is done.
 */
public enum AttachStep
{
    /** The request is valid: network, sandbox, no such endpoint yet, the namespace exists. */
    CHECKED,
    /** The network's IPAM gave an address. */
    ADDRESS,
    /** A free host interface name and the sandbox's next ethN (one netlink dump in the sandbox). */
    INTERFACE_NAMES,
    /** The attach intent journaled (the host interface's name): a crash from here on is undone at the next start. */
    INTENT,
    /** The veth pair, its peer born in the sandbox with its name and MAC. */
    VETH,
    /** Both ends' MTU, when the network's driver needs one. */
    MTU,
    /** IPv6 off on the sandbox end. */
    IPV6_OFF,
    /** The address on the sandbox end. */
    ADDRESS_ADDED,
    /** The sandbox end up. */
    LINK_UP,
    /** The default route via the gateway, if the sandbox had none. */
    ROUTE,
    /** The host end: IPv6 off, up. */
    HOST_LINK,
    /** The host end a switch port (its rings mapped, the switch told through its command queue). */
    PORT,
    /** The endpoint journaled. */
    JOURNAL,
    /** The driver's part. */
    DRIVER,
    /** Published ports. */
    PUBLISH,
    /** The peers' names (the resolver's table) and the sandbox's own hosts file. */
    PEER_NAMES,

    /** Disconnect: the driver's part and the published ports undone. */
    UNPUBLISHED,
    /** Disconnect: the switch port gone (the switch told, the rings unmapped). */
    PORT_DETACHED,
    /** Disconnect: the veth deleted (its peer, address and routes go with it). */
    LINK_DELETED,
    /** Disconnect: the endpoint's journal record removed and its address released. */
    FORGOTTEN,
    /** Disconnect: out of the peers' names. */
    NAMES_LEFT,
    /** Disconnect: a default route through another network, if the sandbox lost its own. */
    ROUTE_RESTORED
}
