package io.jvs.control.overlay;

import io.jvs.control.common.JvsException;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipv4;
import io.jvs.control.netns.IpTool;
import io.jvs.control.state.StateTables;
import io.jvs.vxlan.GcmProvider;
import io.jvs.vxlan.Vtep;
import io.jvs.vxlan.VtepConfig;

/**
 * Everything the overlay holds open on one host, in the order it must be let go: {@link #leave} first (revokes
 * the lease: the other hosts drop this one at once), then the switch (it owns the tunnel ports), then
 * {@link #close} (the VTEP's underlay socket, the store's connection).
 */
public final class OverlayRuntime implements AutoCloseable
{
    private final ClusterKv kv;
    private final Vtep vtep;
    private final OverlayControl control;

    private OverlayRuntime(final ClusterKv kv, final Vtep vtep, final OverlayControl control)
    {
        this.kv = kv;
        this.vtep = vtep;
        this.control = control;
    }

    /**
     * @param tables the daemon's state tables: without etcd the cluster store lives there, so overlay networks and
     *               endpoints survive a restart as bridge networks do.
     */
    public static OverlayRuntime start(final OverlayOptions options, final Fabric fabric, final IpTool ip,
        final StateTables tables)
    {
        if (options.underlay() == null && (options.etcd() != null || !options.peers().isEmpty()))
        {
            throw JvsException.invalid("--etcd and --peers need --underlay IFACE: the VXLAN traffic needs an interface");
        }
        Vtep vtep = null;
        ClusterKv kv = null;
        try
        {
            String hostAddress = null;
            if (options.underlay() != null)
            {
                final String cidr = options.underlayAddress() != null ? options.underlayAddress() :
                    ip.ipv4Addresses(options.underlay()).stream().findFirst().map(IpTool.InterfaceAddress::cidr)
                        .orElseThrow(() -> JvsException.invalid("underlay " + options.underlay() +
                            " has no IPv4 address: give --underlay-address CIDR"));
                final int slash = cidr.indexOf('/');
                if (slash < 0)
                {
                    throw JvsException.invalid("--underlay-address " + cidr + " needs a prefix, e.g. 192.0.2.10/24");
                }
                hostAddress = Ipv4.format(Ipv4.parse(cidr.substring(0, slash)));
                final int prefix = Cidr.parseLenient(cidr).prefix();
                VtepConfig config = VtepConfig.of(options.underlay(), hostAddress, prefix)
                    .withInnerMtu(options.innerMtu())
                    .withUnderlayRing(new io.jvs.tap.RingConfig(VtepConfig.UNDERLAY_FRAME_SIZE,
                        options.underlayRxFrames(), VtepConfig.DEFAULT_UNDERLAY_TX_FRAMES));
                if (options.underlayGateway() != null)
                {
                    config = config.withGateway(Ipv4.format(Ipv4.parse(options.underlayGateway())));
                }
                try
                {
                    vtep = Vtep.open(config, fabric.counters());
                }
                catch (final RuntimeException ex)
                {
                    throw new JvsException(JvsException.Kind.INVALID, "cannot open the VTEP on " + options.underlay() +
                        ": " + ex.getMessage(), ex);
                }
            }
            kv = options.etcd() != null ? EtcdKv.connect(options.etcd(), options.etcdTls()) : LocalKv.durable(tables);
            final OverlayControl control = OverlayControl.start(kv, new OverlayTunnels(vtep, fabric),
                new OverlayControl.Settings(hostAddress, options.peers(), options.leaseTtlSeconds(),
                    options.keyRotationSeconds()));
            return new OverlayRuntime(kv, vtep, control);
        }
        catch (final RuntimeException ex)
        {
            if (kv != null)
            {
                kv.close();
            }
            if (vtep != null)
            {
                vtep.close();
            }
            throw ex;
        }
    }

    public OverlayControl control()
    {
        return control;
    }

    /** One line for the daemon's start message. */
    public String describe()
    {
        return vtep == null ? "overlay: this host only (no --underlay)" :
            "overlay: VTEP " + Ipv4.format(vtep.localIp()) + " on " + vtep.config().underlayInterface() + ", " +
            kv.describe() + (control.tunnels().peers().isEmpty() ? "" : ", peers " + control.tunnels().peers()) +
            ", encrypted networks sealed with " + GcmProvider.description();
    }

    /** Revokes this host's lease (its membership and endpoints disappear from the cluster at once). */
    public void leave()
    {
        control.close();
    }

    /** After the switch released the tunnel ports. */
    @Override
    public void close()
    {
        try
        {
            if (vtep != null)
            {
                vtep.close();
            }
        }
        finally
        {
            kv.close();
        }
    }
}
