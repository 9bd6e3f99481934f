package io.jvs.control.dns;

import io.jvs.control.ipam.Ipv6Address;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SandboxNamesTest
{
    private static final int A1 = 0x0A000002;
    private static final int B1 = 0x0A000003;
    private static final int C2 = 0x0A010002;
    private static final int A2 = 0x0A010003;

    private final SandboxNames names = new SandboxNames();

    @Test
    void aSandboxResolvesTheMembersOfItsNetworksOnly()
    {
        names.join("n1", "a", "eth0", A1);
        names.join("n1", "B", "eth0", B1);
        names.join("n2", "c", "eth0", C2);
        assertEquals(B1, names.address("a", "b"), "peer, case-insensitive");
        assertEquals(A1, names.address("a", "a"), "itself");
        assertNull(names.address("a", "c"), "not on a shared network");
        assertNull(names.address("c", "a"));
        assertEquals("B", names.owner("a", B1), "PTR keeps the name as given");
        assertNull(names.owner("c", B1));
        assertNull(names.address("nobody", "a"), "not a member of anything");
    }

    @Test
    void ipv6AddressesResolveOnDualStackNetworksOnly()
    {
        final Ipv6Address a6 = Ipv6Address.parse("fd00:1::2");
        final Ipv6Address b6 = Ipv6Address.parse("fd00:1::3");
        names.join("v4", "a", "eth0", A2);
        names.join("v4", "c", "eth0", C2);
        names.join("ds", "a", "eth1", A1, a6);
        names.join("ds", "b", "eth0", B1, b6);
        assertEquals(b6, names.address6("a", "b"));
        assertEquals(a6, names.address6("b", "a"));
        assertEquals(a6, names.address6("a", "a"), "itself: its first IPv6 address, on eth1");
        assertEquals(Optional.of(a6), names.ownAddress6("a"));
        assertEquals(Optional.of(A2), names.ownAddress("a"), "the IPv4 name stays on eth0");
        assertNull(names.address6("a", "c"), "c is a peer without IPv6");
        assertEquals(C2, names.address("a", "c"));
        names.leave("ds", "b");
        assertNull(names.address6("a", "b"));
        names.leave("ds", "a");
        assertEquals(Optional.empty(), names.ownAddress6("a"));
    }

    @Test
    void leavingTakesTheNameAwayAndTheOwnNameIsTheLowestInterfaces()
    {
        names.join("n2", "a", "eth10", A2);
        names.join("n1", "a", "eth2", A1);
        names.join("n1", "b", "eth0", B1);
        assertEquals(Optional.of(A1), names.ownAddress("a"), "eth2 before eth10");
        assertEquals(A1, names.address("a", "a"));
        names.leave("n1", "a");
        assertEquals(Optional.of(A2), names.ownAddress("a"));
        assertNull(names.address("b", "a"), "b no longer shares a network with a");
        assertNull(names.owner("b", A1));
        names.leave("n2", "a");
        assertEquals(Optional.empty(), names.ownAddress("a"));
        names.leave("n2", "a"); // quiet
    }

    @Test
    void remoteMembersResolveAfterLocalOnesAndAreReplacedWhole()
    {
        names.join("ov", "a", "eth0", A1);
        names.setRemote("ov", Map.of("far", C2, "a", A2));
        assertEquals(C2, names.address("a", "far"));
        assertEquals("far", names.owner("a", C2));
        assertEquals(A1, names.address("a", "a"), "the local member wins");
        names.setRemote("ov", Map.of());
        assertNull(names.address("a", "far"), "gone from the cluster");
    }
}
