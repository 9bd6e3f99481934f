package io.jvs.control.overlay;

import io.jvs.dataplane.parse.MacAddress;
import io.jvs.control.fabric.Fabric;
import io.jvs.control.ipam.Ipv4;
import io.jvs.vxlan.GcmProvider;
import io.jvs.vxlan.KeyRing;
import io.jvs.vxlan.RemoteEndpoints;
import io.jvs.vxlan.SealKey;
import io.jvs.vxlan.SealedVxlan;
import io.jvs.vxlan.RemoteVtep;
import io.jvs.vxlan.Vtep;
import io.jvs.vxlan.VxlanTunnelPort;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The data-path side of the overlay on this host: the {@link Vtep} on the underlay and one {@link VxlanTunnelPort}
 * per overlay network, a port of that network's bridge domain. Without an underlay ({@code vtep == null}) an
 * overlay network is a plain bridge domain on this host. Every VNI accepts and unicasts to the same peers (every jvs
 * host in the cluster plus static peers), but floods only to its own subset: the hosts with an endpoint on that
 * network, plus static peers the store does not know. Both are applied to ports opened later too. Thread safe (one
 * lock; control path only).
 */
public final class OverlayTunnels
{
    /** A tunnel port in the switch. */
    private record Attached(VxlanTunnelPort port, int portId)
    {
    }

    private final Vtep vtep;
    private final Fabric fabric;
    private final Map<Integer, Attached> byVni = new HashMap<>();
    private List<Integer> peers = List.of();
    /** Per VNI, the peers that get its floods; a VNI not listed floods to {@link #defaultFlood}. */
    private Map<Integer, List<Integer>> flood = Map.of();
    private List<Integer> defaultFlood = List.of();
    private Map<Integer, RemoteEndpoints> remoteEndpoints = Map.of();
    private Map<Integer, NetworkKeys.Installed> keys = Map.of();
    private final Set<Integer> encryptedVnis = new HashSet<>();

    public OverlayTunnels(final Vtep vtep, final Fabric fabric)
    {
        this.vtep = vtep;
        this.fabric = fabric;
    }

    public boolean hasUnderlay()
    {
        return vtep != null;
    }

    /** Inner MTU the sandboxes' interfaces get on overlay networks (encrypted ones: less the nonce and tag). */
    public int innerMtu(final boolean encrypted)
    {
        return (vtep == null ? io.jvs.vxlan.OuterHeaders.DEFAULT_INNER_MTU : vtep.config().innerMtu()) -
            (encrypted ? SealedVxlan.OVERHEAD : 0);
    }

    /** Inner MTU of an attached VNI's network. */
    public synchronized int innerMtuOf(final int vni)
    {
        return innerMtu(encryptedVnis.contains(vni));
    }

    public synchronized boolean isEncrypted(final int vni)
    {
        return encryptedVnis.contains(vni);
    }

    public String localAddress()
    {
        return vtep == null ? null : Ipv4.format(vtep.localIp());
    }

    /**
     * Opens the VNI's tunnel port and adds it to the bridge domain, with the current peers (and keys, if encrypted).
     * No-op without underlay.
     *
     * @param gateway the network's gateway address, answered by this host's router (0: none).
     */
    public synchronized void attach(final int vni, final int bridgeDomainId, final int gateway, final boolean encrypted)
    {
        if (encrypted)
        {
            encryptedVnis.add(vni);
        }
        if (vtep == null || byVni.containsKey(vni))
        {
            return;
        }
        final VxlanTunnelPort port = vtep.openPort(vni, "vx" + vni, encrypted);
        final int portId;
        try
        {
            vtep.setPeers(vni, peers, floodOf(vni));
            port.setRemoteEndpoints(remoteEndpoints.get(vni));
            port.setLocalGateway(gateway);
            installKeys(port, keys.get(vni));
            portId = fabric.attachPort(port, bridgeDomainId);
        }
        catch (final RuntimeException ex)
        {
            port.close();
            throw ex;
        }
        byVni.put(vni, new Attached(port, portId));
    }

    /** Removes the VNI's port from the switch (which closes it and unregisters the VNI). */
    public synchronized void detach(final int vni)
    {
        encryptedVnis.remove(vni);
        final Attached attached = byVni.remove(vni);
        if (attached != null)
        {
            fabric.detach(attached.portId());
        }
    }

    /** Replaces the peer VTEPs of every VNI, each flooding to all of them. */
    public void setPeers(final Collection<Integer> newPeers)
    {
        setPeers(newPeers, newPeers, Map.of());
    }

    /**
     * Replaces the peer VTEPs of every VNI and, per VNI, those that get its floods; each VNI's port is reprogrammed
     * only when its lists changed.
     *
     * @param floodAll  peers every VNI floods to (static peers the store knows nothing about); a subset of newPeers.
     * @param floodByVni per VNI, further peers that get its floods (hosts with an endpoint on it); peers only.
     */
    public synchronized void setPeers(final Collection<Integer> newPeers, final Collection<Integer> floodAll,
        final Map<Integer, ? extends Collection<Integer>> floodByVni)
    {
        final List<Integer> sorted = sorted(newPeers);
        final Set<Integer> peerSet = Set.copyOf(sorted);
        final List<Integer> always = sorted(floodAll);
        final Map<Integer, List<Integer>> newFlood = new HashMap<>();
        floodByVni.forEach((vni, members) ->
        {
            final Set<Integer> targets = new HashSet<>(always);
            members.stream().filter(peerSet::contains).forEach(targets::add);
            newFlood.put(vni, sorted(targets));
        });
        final boolean peersChanged = !sorted.equals(peers);
        final Map<Integer, List<Integer>> oldFlood = flood;
        final List<Integer> oldDefault = defaultFlood;
        peers = sorted;
        flood = Map.copyOf(newFlood);
        defaultFlood = always;
        if (vtep != null)
        {
            for (final int vni : byVni.keySet())
            {
                final List<Integer> before = oldFlood.getOrDefault(vni, oldDefault);
                if (peersChanged || !before.equals(floodOf(vni)))
                {
                    vtep.setPeers(vni, peers, floodOf(vni));
                }
            }
        }
    }

    private List<Integer> floodOf(final int vni)
    {
        return flood.getOrDefault(vni, defaultFlood);
    }

    private static List<Integer> sorted(final Collection<Integer> ips)
    {
        final List<Integer> list = new ArrayList<>(ips);
        list.sort(Integer::compareUnsigned);
        return List.copyOf(list);
    }

    /**
     * Replaces, per VNI, the endpoints on other hosts (from etcd): their MACs go straight to their VTEP and ARP for
     * their addresses is answered on this host. Malformed MACs or addresses are skipped.
     */
    public synchronized void setRemoteEndpoints(final Map<Integer, List<EndpointRecord>> byVniRecords)
    {
        final Map<Integer, RemoteEndpoints> built = new HashMap<>();
        byVniRecords.forEach((vni, records) ->
        {
            final Map<Integer, long[]> entries = new HashMap<>();
            for (final EndpointRecord e : records)
            {
                try
                {
                    final String ip = e.address().contains("/") ? e.address().substring(0, e.address().indexOf('/')) :
                        e.address();
                    entries.put(Ipv4.parse(ip), new long[] {MacAddress.parse(e.mac()), Ipv4.parse(e.host()) & 0xFFFF_FFFFL});
                }
                catch (final RuntimeException ignored)
                {
                    // A record another host wrote badly: that endpoint falls back to flooding and learning.
                }
            }
            built.put(vni, RemoteEndpoints.of(entries));
        });
        remoteEndpoints = built;
        byVni.forEach((vni, attached) -> attached.port().setRemoteEndpoints(built.get(vni)));
    }

    /** Per encrypted VNI, the keys to accept and the one to seal with (from the store, as of now). */
    public synchronized void setKeys(final Map<Integer, NetworkKeys.Installed> byVniKeys)
    {
        keys = Map.copyOf(byVniKeys);
        byVni.forEach((vni, attached) -> installKeys(attached.port(), keys.get(vni)));
    }

    private static void installKeys(final VxlanTunnelPort port, final NetworkKeys.Installed installed)
    {
        if (port.encrypted())
        {
            port.setKeys(installed == null ? 0 : installed.sealingId(), installed == null ? Map.of() : installed.keys());
        }
    }

    public synchronized List<String> peers()
    {
        return peers.stream().map(Ipv4::format).toList();
    }

    /** The peers the VNI's floods go to (for {@code jvs overlay} and tests). */
    public synchronized List<String> floodPeers(final int vni)
    {
        return floodOf(vni).stream().map(Ipv4::format).toList();
    }

    /** Per VNI: the port's peers with their ARP state, and its counters, for {@code jvs overlay}. */
    public synchronized Map<Integer, Map<String, Object>> portViews()
    {
        final Map<Integer, Map<String, Object>> views = new TreeMap<>();
        byVni.forEach((vni, attached) ->
        {
            final VxlanTunnelPort port = attached.port();
            final Map<String, Object> view = new LinkedHashMap<>();
            view.put("Port", attached.portId());
            view.put("Interface", port.name());
            view.put("Peers", port.peerList().stream().map(RemoteVtep::toString).toList());
            view.put("Flood", port.floodList().stream().map(r -> Ipv4.format(r.ip())).toList());
            view.put("RemoteMacs", port.remoteMacCount());
            view.put("Encrypted", port.encrypted());
            if (port.encrypted())
            {
                final KeyRing ring = port.keys();
                view.put("SealingKey", ring.sealing() == null ? 0 : ring.sealing().id());
                view.put("AcceptedKeys", ring.keys().stream().map(SealKey::id).sorted().toList());
                view.put("TxSealed", port.txSealed());
            }
            view.put("TxFrames", port.txFrames());
            view.put("TxOuterFrames", port.txOuterFrames());
            view.put("TxSegments", port.txSegments());
            view.put("TxUdpGsoFrames", port.txUdpGsoFrames());
            view.put("RemoteEndpoints", port.remoteEndpoints().size());
            view.put("TxFlooded", port.txFlooded());
            view.put("TxStaticUnicast", port.txStaticUnicast());
            view.put("ArpAnswered", port.arpAnswered());
            view.put("RxFrames", port.rxFrames());
            view.put("TxDrops", port.txDropCounts());
            views.put(vni, view);
        });
        return views;
    }

    /** VTEP-wide counters (receive drops by reason, ignored underlay traffic), empty without underlay. */
    public Map<String, Object> vtepView()
    {
        final Map<String, Object> view = new LinkedHashMap<>();
        if (vtep != null)
        {
            view.put("Interface", vtep.config().underlayInterface());
            view.put("Address", Ipv4.format(vtep.localIp()));
            view.put("InnerMtu", vtep.config().innerMtu());
            view.put("Sealing", GcmProvider.description());
            view.put("Decapsulated", vtep.decapsulated());
            view.put("RxUdpGsoFrames", vtep.rxUdpGsoFrames());
            view.put("RxCoalescedSegments", vtep.rxCoalescedSegments());
            view.put("RxCoalescedFrames", vtep.rxCoalescedFrames());
            view.put("Opened", vtep.opened());
            view.put("RxDrops", vtep.rxDropCounts());
            view.put("Ignored", vtep.ignoredCounts());
            view.put("Neighbours", vtep.neighbours().stream().map(Object::toString).toList());
        }
        return view;
    }
}
