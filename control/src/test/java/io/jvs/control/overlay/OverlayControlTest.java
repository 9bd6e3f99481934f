package io.jvs.control.overlay;

import io.jvs.control.common.JvsException;
import io.jvs.control.ipam.Cidr;
import io.jvs.control.ipam.Ipv4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several "hosts" (OverlayControl instances) over one in-memory store: the cluster rules (unique names, VNIs,
 * subnets and addresses, removal refused while any host has endpoints, leased membership) without etcd or root.
 * The same code runs against etcd in {@code io.jvs.control.it.OverlayMultiHostTest}.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OverlayControlTest
{
    private final AtomicLong clock = new AtomicLong();
    private final LocalKv kv = new LocalKv(clock::get);
    private final List<OverlayControl> hosts = new ArrayList<>();
    private int ids;

    @AfterEach
    void close()
    {
        hosts.forEach(OverlayControl::close);
        kv.close();
    }

    private OverlayControl host(final String address, final long ttlSeconds)
    {
        final OverlayControl control = OverlayControl.start(kv, new OverlayTunnels(null, null),
            new OverlayControl.Settings(address, List.of(), ttlSeconds));
        hosts.add(control);
        return control;
    }

    private OverlayNetwork define(final OverlayControl host, final String name, final String subnet, final Integer vni)
    {
        return host.define(new OverlayControl.Definition(name, subnet, null, vni, false, false),
            String.format("%064x", ++ids), List.of());
    }

    @Test
    void dockerNetworksCreateOrJoinByNameAndTheLastOneRemovesOnlyWhatDockerCreated()
    {
        final OverlayControl a = host("192.0.2.1", 10);
        final OverlayControl b = host("192.0.2.2", 10);
        final OverlayControl.Definition web = new OverlayControl.Definition("web", "10.60.0.0/24", "10.60.0.1", null,
            false, false);
        final OverlayNetwork created = a.attachDocker(web, "a".repeat(64), List.of(), "d1");
        final OverlayNetwork joined = b.attachDocker(new OverlayControl.Definition("web", "10.60.0.0/24", null,
            created.vni(), false, false), "b".repeat(64), List.of(), "d2");
        assertEquals(created.id(), joined.id(), "joined by name");

        final OverlayControl c = host("192.0.2.3", 10);
        final List<String> before = keys();
        for (final OverlayControl.Definition bad : List.of(
            new OverlayControl.Definition("web", "10.61.0.0/24", null, null, false, false),
            new OverlayControl.Definition("web", "10.60.0.0/24", "10.60.0.9", null, false, false),
            new OverlayControl.Definition("web", "10.60.0.0/24", null, created.vni() + 1, false, false),
            new OverlayControl.Definition("web", "10.60.0.0/24", null, null, false, true),
            new OverlayControl.Definition("web", "10.60.0.0/24", null, null, true, false)))
        {
            final JvsException ex = assertThrows(JvsException.class,
                () -> c.attachDocker(bad, "c".repeat(64), List.of(), "d3"));
            assertTrue(ex.getMessage().contains("exists in the cluster with other options"), ex.getMessage());
        }
        assertEquals(before, keys(), "refusals write nothing");

        assertTrue(assertThrows(JvsException.class, () -> a.undefine(created.id())).getMessage()
            .contains("used by Docker networks on hosts 192.0.2.1, 192.0.2.2"));
        final int held = b.allocate(created.id(), "sb", Ipv4::dockerMac);
        assertFalse(a.detachDocker(created.id()), "b still maps it");
        assertFalse(b.detachDocker(created.id()), "b's endpoint still uses it");
        b.release(created.id(), held);
        a.attachDocker(web, "x".repeat(64), List.of(), "d4");
        assertTrue(a.detachDocker(created.id()), "the last Docker network of a Docker-made network, no endpoints");
        a.undefine(created.id());
        assertTrue(keys().stream().noneMatch(k -> k.startsWith(ClusterKeys.DOCKER)), keys().toString());

        // made by jvs: Docker's last detach does not ask for its removal
        final OverlayNetwork own = define(a, "own", "10.62.0.0/24", null);
        b.attachDocker(new OverlayControl.Definition("own", "10.62.0.0/24", null, null, false, false), "e".repeat(64),
            List.of(), "d5");
        assertFalse(b.detachDocker(own.id()));
    }

    @Test
    void dockerIpamAllocationsSkipAddressesDockerStillHoldsAndReleaseOnlyTheirOwnPlaceholder()
    {
        final OverlayControl a = host("192.0.2.1", 10);
        final OverlayControl b = host("192.0.2.2", 10);
        final OverlayNetwork net = define(a, "n", "10.63.0.0/24", null);
        final int first = a.allocate(net.id(), "docker-ipam", Ipv4::dockerMac, 0, x -> x == Ipv4.parse("10.63.0.2"));
        assertEquals(Ipv4.parse("10.63.0.3"), first, "10.63.0.2 is still Docker's on this host");
        assertThrows(JvsException.class, () -> b.allocate(net.id(), "x", Ipv4::dockerMac, first, x -> false),
            "held by another host");
        assertEquals(Ipv4.parse("10.63.0.9"), b.allocate(net.id(), "x", Ipv4::dockerMac, Ipv4.parse("10.63.0.9"),
            x -> false));
        assertThrows(JvsException.class, () -> a.allocate(net.id(), "y", Ipv4::dockerMac, Ipv4.parse("10.63.0.1"),
            x -> false), "the gateway");

        b.releaseIfHeld(net.id(), first, "docker-ipam"); // not b's
        a.releaseIfHeld(net.id(), Ipv4.parse("10.63.0.9"), "docker-ipam"); // b's
        assertTrue(a.reclaim(net.id(), "docker-0123456789ab", first, "02:42:0a:3f:00:03"), "the endpoint takes it");
        a.releaseIfHeld(net.id(), first, "docker-ipam"); // an endpoint's now: only its removal frees it
        assertEquals(List.of("10.63.0.3", "10.63.0.9"), keys().stream().filter(k -> k.startsWith(ClusterKeys.ENDPOINTS))
            .map(k -> k.substring(k.lastIndexOf('/') + 1, k.indexOf('='))).sorted().toList());
        a.release(net.id(), first);
        final int again = a.allocate(net.id(), "docker-ipam", Ipv4::dockerMac, 0, x -> false);
        a.releaseIfHeld(net.id(), again, "docker-ipam");
        assertEquals(1, keys().stream().filter(k -> k.startsWith(ClusterKeys.ENDPOINTS)).count());
    }

    private List<String> keys()
    {
        return kv.range(ClusterKeys.ROOT).entries().stream().map(e -> e.key() + "=" + e.value()).sorted().toList();
    }

    @Test
    void encryptedNetworksGetAKeyInTheSameTransactionAndRotate()
    {
        final OverlayControl a = host("192.0.2.1", 10);
        final OverlayControl b = host("192.0.2.2", 10);
        final OverlayNetwork plain = define(a, "plain", null, null);
        final OverlayNetwork secret = a.define(new OverlayControl.Definition("secret", null, null, null, false, true),
            "e".repeat(64), List.of());
        assertTrue(secret.encrypted());
        final ClusterState seen = ClusterState.parse(kv.range(ClusterKeys.ROOT));
        final NetworkKeys first = seen.keys(secret.id()).orElseThrow();
        assertTrue(seen.keys(plain.id()).isEmpty(), "no key for a plain network");
        assertEquals(1, first.keys().size());
        final long now = System.currentTimeMillis();
        assertEquals(1, first.at(now).sealingId());
        assertEquals(32, first.at(now).keys().get(1).length);

        final NetworkKeys rotated = b.rotateKey(secret.id(), 0);
        assertEquals(2, rotated.keys().size());
        final NetworkKeys.Key next = rotated.keys().get(1);
        assertEquals(2, next.id());
        assertNotEquals(first.keys().get(0).key(), next.key());
        assertEquals(1, rotated.at(now).sealingId(), "the old key seals until the switch");
        assertEquals(Set.of(1, 2), rotated.at(now).keys().keySet(), "both accepted at once");
        assertNull(a.rotateKey(secret.id(), 3_600_000), "rotate-if-older leaves a fresh key alone");
        assertEquals(JvsException.Kind.INVALID, assertThrows(JvsException.class,
            () -> a.rotateKey(plain.id(), 0)).kind());

        a.undefine(secret.id());
        assertTrue(ClusterState.parse(kv.range(ClusterKeys.ROOT)).keys(secret.id()).isEmpty(), "key removed with it");
    }

    @Test
    void encryptionWithAnUnderlayButNoSharedStoreIsRefused()
    {
        final io.jvs.tap.PacketPort idle = new io.jvs.tap.PacketPort()
        {
            public String name()
            {
                return "idle";
            }

            public int fd()
            {
                return -1;
            }

            public int receive(final io.jvs.tap.FrameHandler handler, final int limit)
            {
                return 0;
            }

            public boolean offer(final org.agrona.DirectBuffer buffer, final int offset, final int length)
            {
                return true;
            }

            public int flush()
            {
                return 0;
            }

            public int maxFrameLength()
            {
                return 70_000;
            }

            public void close()
            {
            }
        };
        final io.jvs.vxlan.Vtep vtep = io.jvs.vxlan.Vtep.create(io.jvs.vxlan.VtepConfig.of("u0", "192.0.2.1", 24),
            idle, 0x02_00_00_00_00_01L, null);
        final OverlayControl a = OverlayControl.start(kv, new OverlayTunnels(vtep, null),
            new OverlayControl.Settings("192.0.2.1", List.of("192.0.2.2"), 10));
        hosts.add(a);
        final JvsException refused = assertThrows(JvsException.class, () -> a.define(
            new OverlayControl.Definition("secret", null, null, null, false, true), "f".repeat(64), List.of()));
        assertTrue(refused.getMessage().contains("needs --etcd"), refused.getMessage());
        assertTrue(a.define(new OverlayControl.Definition("plain", null, null, null, false, false), "d".repeat(64),
            List.of()).vni() > 0, "plain networks still work with static peers");
    }

    @Test
    void keyScheduleSwitchesThenRetires()
    {
        final NetworkKeys one = NetworkKeys.first("n");
        final long t0 = 1_000_000;
        final NetworkKeys two = one.rotate(t0);
        final long switchAt = t0 + NetworkKeys.SWITCH_DELAY_MILLIS;
        assertEquals(1, two.at(switchAt - 1).sealingId());
        assertEquals(2, two.at(switchAt).sealingId());
        assertEquals(Set.of(1, 2), two.at(switchAt + NetworkKeys.GRACE_MILLIS - 1).keys().keySet());
        assertEquals(Set.of(2), two.at(switchAt + NetworkKeys.GRACE_MILLIS).keys().keySet(), "old key retired");
        assertEquals(switchAt, two.nextChangeAfter(t0));
        assertEquals(switchAt + NetworkKeys.GRACE_MILLIS, two.nextChangeAfter(switchAt));
        assertEquals(Long.MAX_VALUE, two.nextChangeAfter(switchAt + NetworkKeys.GRACE_MILLIS));
        final NetworkKeys three = two.rotate(switchAt + 20_000);
        assertEquals(List.of(2, 3), three.keys().stream().map(NetworkKeys.Key::id).toList(), "only two listed");
        NetworkKeys wrap = new NetworkKeys("n", List.of(new NetworkKeys.Key(255, "AA==", 0, 0)));
        wrap = wrap.rotate(t0);
        assertEquals(1, wrap.keys().get(1).id(), "ids wrap 255 -> 1");
    }

    @Test
    void namesVnisAndSubnetsAreUniqueAcrossHosts()
    {
        final OverlayControl a = host("192.0.2.1", 10);
        final OverlayControl b = host("192.0.2.2", 10);
        final OverlayNetwork first = define(a, "blue", null, null);
        assertEquals(OverlayControl.FIRST_VNI, first.vni());
        assertEquals("10.232.0.0/24", first.subnet());
        assertEquals("10.232.0.1", first.gateway());
        final OverlayNetwork second = define(b, "green", null, null);
        assertEquals(OverlayControl.FIRST_VNI + 1, second.vni());
        assertEquals("10.232.1.0/24", second.subnet(), "the pool skips subnets another host took");

        assertEquals(JvsException.Kind.CONFLICT, assertThrows(JvsException.class,
            () -> define(b, "blue", "10.99.0.0/24", null)).kind());
        final JvsException vniTaken = assertThrows(JvsException.class, () -> define(b, "red", "10.99.0.0/24", 4096));
        assertTrue(vniTaken.getMessage().contains("vni 4096 is used by network blue"), vniTaken.getMessage());
        final JvsException overlap = assertThrows(JvsException.class, () -> define(b, "red", "10.232.0.128/25", null));
        assertTrue(overlap.getMessage().contains("overlaps with network blue"), overlap.getMessage());
        final JvsException local = assertThrows(JvsException.class, () -> b.define(
            new OverlayControl.Definition("red", "10.50.0.0/24", null, null, false, false), "x".repeat(64),
            List.of(Cidr.parse("10.50.0.0/16"))));
        assertTrue(local.getMessage().contains("route of this host"), local.getMessage());
        assertEquals(JvsException.Kind.INVALID, assertThrows(JvsException.class,
            () -> define(b, "red", null, 1 << 24)).kind());
        assertEquals(7777, define(b, "red", "10.99.0.0/24", 7777).vni());
        assertEquals(Set.of("blue", "green", "red"), names(kv));
    }

    @Test
    void addressesAreUniqueAcrossHostsEvenWhenAllocatedConcurrently() throws Exception
    {
        final OverlayControl a = host("192.0.2.1", 10);
        final OverlayControl b = host("192.0.2.2", 10);
        final OverlayNetwork net = define(a, "blue", "10.40.0.0/26", null); // 61 usable addresses after the gateway
        ClusterRaces.addressesAreUniqueUnderConcurrentAllocation(a, b, net, kv);
        final ClusterState state = ClusterState.parse(kv.range(ClusterKeys.ROOT));
        assertEquals(Ipv4.parse("10.40.0.2"), state.endpoints(net.id()).stream().mapToInt(e -> Ipv4.parse(e.address()))
            .min().orElseThrow(), "lowest first");
        assertEquals(20, state.endpoints(net.id()).stream().filter(e -> e.host().equals("192.0.2.2")).count());
        final EndpointRecord sample = state.endpoints(net.id()).get(0);
        assertEquals(Ipv4.dockerMac(Ipv4.parse(sample.address())), sample.mac());

        b.release(net.id(), Ipv4.parse("10.40.0.2"));
        assertEquals(Ipv4.parse("10.40.0.2"), a.allocate(net.id(), "again", Ipv4::dockerMac), "lowest free reused");
    }

    @Test
    void concurrentDefinesGetDistinctVnisAndOneNameWinsOnce() throws Exception
    {
        ClusterRaces.concurrentDefinesGetDistinctVnisAndOneNameWinsOnce(host("192.0.2.1", 10), host("192.0.2.2", 10),
            "race");
    }

    @Test
    void compareAndSwapLosesNoUpdateAndRefusesConflicts() throws Exception
    {
        ClusterRaces.compareAndSwapLosesNoUpdate(List.of(kv), "/test/counter", 50);
        ClusterRaces.conflictingWritesAreRefused(kv, kv, "/test/key");
    }

    @Test
    void removalIsRefusedWhileAnyHostHasEndpoints()
    {
        final OverlayControl a = host("192.0.2.1", 10);
        final OverlayControl b = host("192.0.2.2", 10);
        final OverlayNetwork net = define(a, "blue", null, null);
        final int address = b.allocate(net.id(), "bsb", Ipv4::dockerMac);
        final JvsException refused = assertThrows(JvsException.class, () -> a.undefine(net.id()));
        assertTrue(refused.getMessage().contains("bsb@192.0.2.2"), refused.getMessage());
        b.release(net.id(), address);
        a.undefine(net.id());
        assertEquals(Set.of(), names(kv));
        assertEquals(OverlayControl.FIRST_VNI, define(b, "again", null, null).vni(), "VNI free again");
    }

    @Test
    void hostsSeeEachOtherAsPeersAndASilentHostDropsOutAfterItsLease()
    {
        final OverlayControl a = host("192.0.2.1", 3);
        final OverlayControl b = host("192.0.2.2", 3);
        final OverlayNetwork net = define(a, "blue", null, null);
        b.allocate(net.id(), "bsb", Ipv4::dockerMac);
        waitFor(() -> a.tunnels().peers().equals(List.of("192.0.2.2")), "a sees b");
        waitFor(() -> b.tunnels().peers().equals(List.of("192.0.2.1")), "b sees a");

        // b leaves cleanly: its lease is revoked, its membership and endpoints go at once
        b.close();
        waitFor(() -> a.tunnels().peers().isEmpty(), "a drops b after b left");
        assertTrue(a.state().endpoints(net.id()).isEmpty(), "b's endpoints went with its lease");
    }

    @Test
    void aHostWhoseLeaseExpiredJoinsAgainWithItsEndpoints()
    {
        final OverlayControl a = host("192.0.2.1", 1);
        final OverlayNetwork net = define(a, "blue", null, null);
        final int address = a.allocate(net.id(), "asb", Ipv4::dockerMac);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(5)); // as if etcd had not heard from a for 5 s
        kv.expireNow();
        assertTrue(ClusterState.parse(kv.range(ClusterKeys.ROOT)).hosts().isEmpty(), "lease expired");
        waitFor(() ->
        {
            final ClusterState s = ClusterState.parse(kv.range(ClusterKeys.ROOT));
            return s.hosts().containsKey("192.0.2.1") && s.endpoints(net.id()).size() == 1 &&
                s.endpoints(net.id()).get(0).address().equals(Ipv4.format(address));
        }, "a registers again with its endpoint");
    }

    @Test
    void aRestartedHostTakesItsEndpointsOverWithoutTheAddressesEverBeingFree() throws Exception
    {
        final OverlayControl a = host("192.0.2.1", 10);
        final OverlayControl b = host("192.0.2.2", 10);
        final OverlayNetwork net = define(a, "blue", "10.40.0.0/24", null);
        final int kept = a.allocate(net.id(), "asb", Ipv4::dockerMac);
        final int lost = a.allocate(net.id(), "gone", Ipv4::dockerMac);
        final long oldLease = ClusterState.parse(kv.range(ClusterKeys.ROOT)).hosts().get("192.0.2.1").lease();
        a.haltWithoutLeaving(); // SIGKILL: the lease stays until it expires
        hosts.remove(a);

        final OverlayControl restarted = host("192.0.2.1", 10);
        final ClusterState joined = ClusterState.parse(kv.range(ClusterKeys.ROOT));
        assertEquals(2, joined.endpoints(net.id()).size(), "the endpoints never left the store");
        assertFalse(kv.keepAlive(oldLease), "the predecessor's lease is revoked");
        assertEquals(2, restarted.inherited().size());
        assertNotEquals(oldLease, joined.hosts().get("192.0.2.1").lease());

        assertTrue(restarted.reclaim(net.id(), "asb", kept, Ipv4.dockerMac(kept)));
        assertEquals(1, restarted.releaseUnclaimed().size(), "the endpoint that did not come back is released");
        final ClusterState after = ClusterState.parse(kv.range(ClusterKeys.ROOT));
        assertEquals(List.of(new EndpointRecord(net.id(), "asb", Ipv4.format(kept), Ipv4.dockerMac(kept),
            "192.0.2.1")), after.endpoints(net.id()));
        assertEquals(lost, b.allocate(net.id(), "bsb", Ipv4::dockerMac), "the released address is free again");
        assertNotEquals(kept, b.allocate(net.id(), "bsb2", Ipv4::dockerMac), "the kept one is not");

        // the kept endpoint lives on the new lease: it survives the old lease's TTL
        clock.addAndGet(TimeUnit.SECONDS.toNanos(8));
        kv.expireNow();
        assertTrue(ClusterState.parse(kv.range(ClusterKeys.ROOT)).endpoints(net.id()).stream()
            .anyMatch(e -> e.address().equals(Ipv4.format(kept))), "kept under the new lease");
    }

    @Test
    void aHostRestartedAfterItsLeaseExpiredCannotClaimAnAddressAnotherHostTook() throws Exception
    {
        final OverlayControl a = host("192.0.2.1", 1);
        final OverlayControl b = host("192.0.2.2", 60);
        final OverlayNetwork net = define(a, "blue", "10.40.0.0/24", null);
        final int address = a.allocate(net.id(), "asb", Ipv4::dockerMac);
        a.haltWithoutLeaving();
        hosts.remove(a);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(5));
        kv.expireNow();
        assertEquals(address, b.allocate(net.id(), "bsb", Ipv4::dockerMac), "free once a's lease expired");

        final OverlayControl restarted = host("192.0.2.1", 1);
        assertTrue(restarted.inherited().isEmpty());
        assertFalse(restarted.reclaim(net.id(), "asb", address, Ipv4.dockerMac(address)), "b holds it now");
        final int other = Ipv4.parse("10.40.0.9");
        assertTrue(restarted.reclaim(net.id(), "asb2", other, Ipv4.dockerMac(other)), "a free one is claimed again");
        assertEquals("192.0.2.1", ClusterState.parse(kv.range(ClusterKeys.ROOT)).endpoints(net.id()).stream()
            .filter(e -> e.address().equals("10.40.0.9")).findFirst().orElseThrow().host());
    }

    @Test
    void staticPeersAreAddedToRegisteredHostsButNeverThisHost()
    {
        final OverlayControl a = OverlayControl.start(kv, new OverlayTunnels(null, null),
            new OverlayControl.Settings("192.0.2.1", List.of("192.0.2.1", "192.0.2.9"), 10));
        hosts.add(a);
        host("192.0.2.2", 10);
        waitFor(() -> a.tunnels().peers().equals(List.of("192.0.2.2", "192.0.2.9")), "static + registered peers");
    }

    @Test
    void aNetworkFloodsOnlyToHostsWithAnEndpointOnItPlusUnregisteredStaticPeers()
    {
        final OverlayControl a = OverlayControl.start(kv, new OverlayTunnels(null, null),
            new OverlayControl.Settings("192.0.2.1", List.of("192.0.2.9", "192.0.2.3"), 10));
        hosts.add(a);
        final OverlayControl b = host("192.0.2.2", 10);
        final OverlayControl c = host("192.0.2.3", 10);
        final OverlayNetwork blue = define(a, "blue", null, null);
        final OverlayNetwork red = define(a, "red", null, null);
        waitFor(() -> a.tunnels().peers().equals(List.of("192.0.2.2", "192.0.2.3", "192.0.2.9")), "all peers");
        // .9 is static and unknown to the store: it gets every flood; .3 is static too but registered (which a sees
        // at its next reconcile: until then .3 counts as an unknown static peer and gets every flood too)
        waitFor(() -> a.tunnels().floodPeers(blue.vni()).equals(List.of("192.0.2.9")), "no endpoint anywhere yet");

        final int bAddress = b.allocate(blue.id(), "bsb", Ipv4::dockerMac);
        a.allocate(blue.id(), "asb", Ipv4::dockerMac); // this host's own endpoint never makes it a target of itself
        waitFor(() -> a.tunnels().floodPeers(blue.vni()).equals(List.of("192.0.2.2", "192.0.2.9")), "b joins blue");
        assertEquals(List.of("192.0.2.9"), a.tunnels().floodPeers(red.vni()), "red untouched");
        waitFor(() -> b.tunnels().floodPeers(blue.vni()).equals(List.of("192.0.2.1")), "b floods blue to a only");
        assertEquals(List.of(), b.tunnels().floodPeers(red.vni()), "b: nobody has red");

        final int cAddress = c.allocate(blue.id(), "csb", Ipv4::dockerMac);
        waitFor(() -> b.tunnels().floodPeers(blue.vni()).equals(List.of("192.0.2.1", "192.0.2.3")), "c joins blue");
        c.release(blue.id(), cAddress);
        waitFor(() -> b.tunnels().floodPeers(blue.vni()).equals(List.of("192.0.2.1")), "c's last endpoint left");
        b.release(blue.id(), bAddress);
        waitFor(() -> a.tunnels().floodPeers(blue.vni()).equals(List.of("192.0.2.9")), "b's last endpoint left");
        assertEquals(List.of("192.0.2.2", "192.0.2.3", "192.0.2.9"), a.tunnels().peers(), "still peers for unicast");
    }

    private static Set<String> names(final ClusterKv kv)
    {
        final Set<String> names = new HashSet<>();
        ClusterState.parse(kv.range(ClusterKeys.ROOT)).networks().values().forEach(n -> names.add(n.name()));
        return names;
    }

    private static void waitFor(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out waiting: " + what);
            }
            try
            {
                Thread.sleep(20);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new AssertionError(ex);
            }
        }
    }
}
