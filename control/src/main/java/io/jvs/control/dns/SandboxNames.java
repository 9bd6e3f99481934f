package io.jvs.control.dns;

import io.jvs.control.ipam.Ipv6Address;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The names each sandbox resolves, as Docker's embedded DNS has them on user-defined networks: every member of every
 * network the sandbox is on, by name and by address (PTR), including members behind other hosts on overlay networks.
 * Kept per network, not per sandbox, so a member joining or leaving costs O(1) whatever the network's size; a query
 * looks through the few networks of the asking sandbox.
 * <p>
 * Written by the control plane under its lock, read by the resolver's thread without locks: the per-network maps are
 * concurrent, a sandbox's list of networks is replaced whole (copy on write: a sandbox is on a few networks).
 */
public final class SandboxNames
{
    /** Interfaces in the kernel's order of creation: eth2 before eth10. */
    private static final Comparator<Membership> BY_INTERFACE = Comparator
        .comparingInt((Membership m) -> m.sandboxInterface().length())
        .thenComparing(Membership::sandboxInterface);

    /** One network's members: this host's endpoints, then (overlay) the other hosts'. */
    private static final class Members
    {
        final Map<String, Integer> byName = new ConcurrentHashMap<>();
        final Map<Integer, String> byAddress = new ConcurrentHashMap<>();
        /** The members with an IPv6 address (dual-stack networks; this host's endpoints only). */
        final Map<String, Ipv6Address> byName6 = new ConcurrentHashMap<>();
        volatile Map<String, Integer> remoteByName = Map.of();
        volatile Map<Integer, String> remoteByAddress = Map.of();

        Integer address(final String lowerCaseName)
        {
            final Integer local = byName.get(lowerCaseName);
            return local != null ? local : remoteByName.get(lowerCaseName);
        }

        String owner(final int address)
        {
            final String local = byAddress.get(address);
            return local != null ? local : remoteByAddress.get(address);
        }

        boolean isEmpty()
        {
            return byName.isEmpty() && byName6.isEmpty() && remoteByName.isEmpty();
        }
    }

    /** A sandbox on a network, through its interface there. */
    private record Membership(String networkId, String sandboxInterface, int address, Ipv6Address address6,
        Members members)
    {
    }

    /** The IPv4 address of a member of an IPv6-only network: it has none. */
    public static final int NO_ADDRESS = 0;

    private final Map<String, Members> networks = new ConcurrentHashMap<>();
    /** Sandbox -> its memberships, lowest interface first (eth0 names the sandbox itself, as its hosts file does). */
    private final Map<String, List<Membership>> sandboxes = new ConcurrentHashMap<>();

    /** {@code sandbox} is on {@code networkId} at {@code address} through {@code sandboxInterface}. */
    public void join(final String networkId, final String sandbox, final String sandboxInterface, final int address)
    {
        join(networkId, sandbox, sandboxInterface, address, null);
    }

    /** The same on a dual-stack network: {@code address6} is its IPv6 address there (null: none). */
    public void join(final String networkId, final String sandbox, final String sandboxInterface, final int address,
        final Ipv6Address address6)
    {
        final Members members = networks.computeIfAbsent(networkId, id -> new Members());
        if (address != NO_ADDRESS)
        {
            members.byName.put(sandbox.toLowerCase(Locale.ROOT), address);
            members.byAddress.put(address, sandbox);
        }
        if (address6 != null)
        {
            members.byName6.put(sandbox.toLowerCase(Locale.ROOT), address6);
        }
        sandboxes.compute(sandbox, (name, old) ->
        {
            final List<Membership> list = new ArrayList<>(old == null ? List.of() : old);
            list.removeIf(m -> m.networkId().equals(networkId));
            list.add(new Membership(networkId, sandboxInterface, address, address6, members));
            list.sort(BY_INTERFACE);
            return List.copyOf(list);
        });
    }

    /** {@code sandbox} left {@code networkId}; quiet if it was not on it. */
    public void leave(final String networkId, final String sandbox)
    {
        final Members members = networks.get(networkId);
        if (members != null)
        {
            final Integer address = members.byName.remove(sandbox.toLowerCase(Locale.ROOT));
            if (address != null)
            {
                members.byAddress.remove(address, sandbox);
            }
            members.byName6.remove(sandbox.toLowerCase(Locale.ROOT));
            if (members.isEmpty())
            {
                networks.remove(networkId, members);
            }
        }
        sandboxes.computeIfPresent(sandbox, (name, old) ->
        {
            final List<Membership> list = old.stream().filter(m -> !m.networkId().equals(networkId)).toList();
            return list.isEmpty() ? null : list;
        });
    }

    /** The members of {@code networkId} on other hosts now (overlay): name -> address; replaces the last ones. */
    public void setRemote(final String networkId, final Map<String, Integer> remote)
    {
        if (remote.isEmpty() && !networks.containsKey(networkId))
        {
            return;
        }
        final Members members = networks.computeIfAbsent(networkId, id -> new Members());
        final Map<String, Integer> byName = new HashMap<>();
        final Map<Integer, String> byAddress = new HashMap<>();
        remote.forEach((name, address) ->
        {
            byName.putIfAbsent(name.toLowerCase(Locale.ROOT), address);
            byAddress.putIfAbsent(address, name);
        });
        members.remoteByAddress = Map.copyOf(byAddress);
        members.remoteByName = Map.copyOf(byName);
        if (members.isEmpty())
        {
            networks.remove(networkId, members);
        }
    }

    /** The address of the sandbox itself: the one on its lowest interface (eth0), as its hosts file names it. */
    public Optional<Integer> ownAddress(final String sandbox)
    {
        final List<Membership> list = sandboxes.get(sandbox);
        return list == null ? Optional.empty() : list.stream().map(Membership::address).filter(a -> a != NO_ADDRESS)
            .findFirst();
    }

    /** The sandbox's own IPv6 address: the one on its lowest interface that has one. */
    public Optional<Ipv6Address> ownAddress6(final String sandbox)
    {
        final List<Membership> list = sandboxes.get(sandbox);
        return list == null ? Optional.empty() :
            list.stream().map(Membership::address6).filter(a -> a != null).findFirst();
    }

    /**
     * Any thread: the IPv6 address {@code name} (lower case) has for {@code sandbox} on a dual-stack network they
     * share, or null (no such peer, or no IPv6 between them).
     */
    public Ipv6Address address6(final String sandbox, final String lowerCaseName)
    {
        final List<Membership> list = sandboxes.get(sandbox);
        if (list == null)
        {
            return null;
        }
        if (lowerCaseName.equalsIgnoreCase(sandbox))
        {
            return ownAddress6(sandbox).orElse(null);
        }
        for (final Membership membership : list)
        {
            final Ipv6Address address = membership.members().byName6.get(lowerCaseName);
            if (address != null)
            {
                return address;
            }
        }
        return null;
    }

    /** Any thread: the address {@code name} (lower case) has for {@code sandbox}, or null if it is no peer's. */
    public Integer address(final String sandbox, final String lowerCaseName)
    {
        final List<Membership> list = sandboxes.get(sandbox);
        if (list == null)
        {
            return null;
        }
        if (lowerCaseName.equalsIgnoreCase(sandbox))
        {
            return ownAddress(sandbox).orElse(null);
        }
        for (final Membership membership : list)
        {
            final Integer address = membership.members().address(lowerCaseName);
            if (address != null)
            {
                return address;
            }
        }
        return null;
    }

    /** Any thread: the name owning {@code address} on one of {@code sandbox}'s networks, or null. */
    public String owner(final String sandbox, final int address)
    {
        final List<Membership> list = sandboxes.get(sandbox);
        if (list == null)
        {
            return null;
        }
        for (final Membership membership : list)
        {
            final String owner = membership.members().owner(address);
            if (owner != null)
            {
                return owner;
            }
        }
        return null;
    }

    /** Forgets everything (a restore fills the table again). */
    public void clear()
    {
        networks.clear();
        sandboxes.clear();
    }
}
