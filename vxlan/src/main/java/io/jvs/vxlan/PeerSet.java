package io.jvs.vxlan;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The peer VTEPs of one VNI as one immutable snapshot: the head-end replication list, and lookups by id (TX: a
 * remote MAC entry's id is used only while that peer is still in the set) and by IP (RX: frames from non-peers
 * are dropped). The control plane replaces the whole snapshot; the data path reads it through a volatile field.
 */
public final class PeerSet
{
    public static final PeerSet EMPTY = new PeerSet(List.of());

    private final RemoteVtep[] peers;
    private final IntIndex<RemoteVtep> byId;
    private final IntIndex<RemoteVtep> byIp;

    PeerSet(final List<RemoteVtep> peers)
    {
        this.peers = peers.toArray(new RemoteVtep[0]);
        final Map<Integer, RemoteVtep> ids = new LinkedHashMap<>();
        final Map<Integer, RemoteVtep> ips = new LinkedHashMap<>();
        for (final RemoteVtep peer : peers)
        {
            if (ids.put(peer.id, peer) != null || ips.put(peer.ip, peer) != null)
            {
                throw new IllegalArgumentException("duplicate peer " + peer);
            }
        }
        byId = new IntIndex<>(ids);
        byIp = new IntIndex<>(ips);
    }

    /** The flood list; do not modify. */
    RemoteVtep[] peers()
    {
        return peers;
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
}
