package io.jvs.vxlan;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The peer VTEPs of one VNI as one immutable snapshot: lookups by id (TX: a remote MAC entry's id is used only
 * while that peer is still in the set) and by IP (RX: frames from non-peers are dropped), and the head-end
 * replication list, a subset of the peers (the VTEPs that have the VNI: a cluster floods broadcast and unknown
 * unicast only to hosts with an endpoint on the network, and still accepts and unicasts to every peer). The control
 * plane replaces the whole snapshot; the data path reads it through a volatile field.
 */
public final class PeerSet
{
    public static final PeerSet EMPTY = new PeerSet(List.of());

    private final RemoteVtep[] peers;
    private final RemoteVtep[] flood;
    private final IntIndex<RemoteVtep> byId;
    private final IntIndex<RemoteVtep> byIp;

    PeerSet(final List<RemoteVtep> peers)
    {
        this(peers, peers);
    }

    /** @param flood the peers that get broadcast, multicast and unknown unicast; each must be one of {@code peers}. */
    PeerSet(final List<RemoteVtep> peers, final List<RemoteVtep> flood)
    {
        this.peers = peers.toArray(new RemoteVtep[0]);
        this.flood = flood.toArray(new RemoteVtep[0]);
        final Map<Integer, RemoteVtep> ids = new LinkedHashMap<>();
        final Map<Integer, RemoteVtep> ips = new LinkedHashMap<>();
        for (final RemoteVtep peer : peers)
        {
            if (ids.put(peer.id, peer) != null || ips.put(peer.ip, peer) != null)
            {
                throw new IllegalArgumentException("duplicate peer " + peer);
            }
        }
        for (final RemoteVtep f : flood)
        {
            if (ids.get(f.id) != f)
            {
                throw new IllegalArgumentException("flood target " + f + " is not a peer");
            }
        }
        byId = new IntIndex<>(ids);
        byIp = new IntIndex<>(ips);
    }

    /** The head-end replication list; do not modify. */
    RemoteVtep[] flood()
    {
        return flood;
    }

    public int size()
    {
        return peers.length;
    }

    public RemoteVtep byId(final int id)
    {
        return byId.get(id);
    }

    public RemoteVtep byIp(final int ip)
    {
        return byIp.get(ip);
    }

    public List<RemoteVtep> toList()
    {
        return List.of(peers);
    }

    public List<RemoteVtep> floodList()
    {
        return List.of(flood);
    }
}
