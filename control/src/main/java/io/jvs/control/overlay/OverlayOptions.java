package io.jvs.control.overlay;

import java.util.List;

/**
 * The daemon's overlay flags. With no underlay, overlay networks work on this host only (a bridge domain each);
 * with an underlay and no etcd, the VTEP talks to the static {@code peers} and the cluster state lives in memory
 * (addresses are then unique per host only); with etcd, hosts find each other and share networks and addresses.
 *
 * @param underlay         interface carrying VXLAN (e.g. eth0); null for none.
 * @param underlayAddress  "a.b.c.d/prefix" on it; null: the interface's first IPv4 address.
 * @param underlayGateway  next hop for peers outside the underlay prefix; null: peers are on-link.
 * @param etcd             comma-separated http:// or https:// client URLs; null: store in the state directory.
 * @param etcdTls          CA and client certificate for https:// endpoints.
 * @param peers            static peer VTEP addresses (in addition to the hosts registered in etcd).
 * @param leaseTtlSeconds  how long a silent host stays in the others' peer lists.
 * @param innerMtu         MTU of sandbox interfaces on overlay networks (underlay MTU - 50 at most).
 * @param underlayRxFrames underlay AF_PACKET RX ring slots (each costs 128 KB of kernel memory).
 * @param keyRotationSeconds rotate encrypted networks' keys this often (0: only on demand).
 */
public record OverlayOptions(
    String underlay, String underlayAddress, String underlayGateway, String etcd, EtcdTls etcdTls, List<String> peers,
    long leaseTtlSeconds, int innerMtu, int underlayRxFrames, long keyRotationSeconds)
{
    /** Overlay networks on this host only: no underlay, no etcd. */
    public static OverlayOptions local()
    {
        return new OverlayOptions(null, null, null, null, EtcdTls.NONE, List.of(), OverlayControl.DEFAULT_LEASE_TTL_SECONDS,
            io.jvs.vxlan.OuterHeaders.DEFAULT_INNER_MTU, io.jvs.vxlan.VtepConfig.DEFAULT_UNDERLAY_RX_FRAMES, 0);
    }
}
