package io.jvs.control.network;

import io.jvs.control.ipam.Ipv4;
import io.jvs.control.ipam.Ipv6Address;
import io.jvs.control.netns.IpTool;
import io.jvs.control.state.Endpoint;
import io.jvs.control.state.Network;
import io.jvs.control.state.NetworkStore;

import java.util.List;

/**
 * The kernel side of a sandbox's endpoint once its veth exists: MTU, IPv6 off, address, up, the default route, the
 * host end up; and, after a disconnect, a default route through another network. Nothing here undoes itself: deleting
 * the veth takes the address and routes along ({@code NetworkService} does).
 */
final class SandboxLink
{
    private final IpTool ip;
    private final NetworkStore store;

    SandboxLink(final IpTool ip, final NetworkStore store)
    {
        this.ip = ip;
        this.store = store;
    }

    /**
     * @param mtu     both ends' MTU; 0 keeps the kernel's.
     * @param address the sandbox end's address, in {@code network}'s subnet.
     * @param address6 the sandbox end's IPv6 address on a dual-stack network; null keeps IPv6 off.
     */
    void configure(final Network network, final String sandbox, final String sandboxInterface,
        final String hostInterface, final int mtu, final int address, final Ipv6Address address6,
        final AttachProbe probe)
    {
        if (mtu > 0)
        {
            ip.setMtu(sandbox, sandboxInterface, mtu);
            ip.setMtu(null, hostInterface, mtu);
        }
        probe.after(AttachStep.MTU);
        if (address6 == null)
        {
            ip.disableIpv6InNamespace(sandbox, sandboxInterface);
        }
        else
        {
            ip.enableIpv6InNamespace(sandbox, sandboxInterface);
        }
        probe.after(AttachStep.IPV6_OFF);
        if (network.hasIpv4())
        {
            ip.addAddress(sandbox, sandboxInterface, Ipv4.format(address) + "/" + network.subnet().prefix());
        }
        probe.after(AttachStep.ADDRESS_ADDED);
        ip.linkUp(sandbox, sandboxInterface);
        probe.after(AttachStep.LINK_UP);
        if (network.hasIpv4() && !network.internal() && ip.defaultRouteDevice(sandbox).isEmpty())
        {
            ip.addDefaultRoute(sandbox, Ipv4.format(network.gateway()), sandboxInterface);
        }
        if (address6 != null)
        {
            // after the link is up: only then does the prefix route the default route goes through exist
            ip.addIpv6Address(sandbox, sandboxInterface, address6, network.ipv6().subnet().prefix());
            if (!network.internal() && !ip.hasIpv6DefaultRoute(sandbox))
            {
                ip.addIpv6DefaultRoute(sandbox, network.ipv6().gateway(), sandboxInterface);
            }
        }
        probe.after(AttachStep.ROUTE);
        ip.disableIpv6OnHost(hostInterface);
        ip.linkUp(null, hostInterface);
        probe.after(AttachStep.HOST_LINK);
    }

    /**
     * After a disconnect took a default route away, Docker-like: route via another (non-internal) network, for IPv4
     * and for IPv6 each.
     */
    void restoreDefaultRoute(final String sandbox)
    {
        if (ip.defaultRouteDevice(sandbox).isEmpty())
        {
            for (final Endpoint endpoint : store.endpointsOfSandbox(sandbox))
            {
                final Network network = store.network(endpoint.networkId()).orElseThrow();
                if (!network.internal() && network.hasIpv4())
                {
                    ip.addDefaultRoute(sandbox, Ipv4.format(network.gateway()), endpoint.sandboxInterface());
                    break;
                }
            }
        }
        restoreIpv6DefaultRoute(sandbox);
    }

    /** The same for IPv6: the default route via another dual-stack, non-internal network, if there is one. */
    private void restoreIpv6DefaultRoute(final String sandbox)
    {
        final List<Endpoint> endpoints = store.endpointsOfSandbox(sandbox);
        if (endpoints.stream().noneMatch(e -> e.address6() != null) || ip.hasIpv6DefaultRoute(sandbox))
        {
            return;
        }
        for (final Endpoint endpoint : endpoints)
        {
            final Network network = store.network(endpoint.networkId()).orElseThrow();
            if (!network.internal() && endpoint.address6() != null)
            {
                ip.addIpv6DefaultRoute(sandbox, network.ipv6().gateway(), endpoint.sandboxInterface());
                return;
            }
        }
    }
}
