package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpamTest
{
    private static int ip(final String text)
    {
        return Ipv4.parse(text);
    }

    @Test
    void handsOutLowestFreeAddressSkippingGateway()
    {
        final Ipam ipam = new Ipam(Cidr.parse("10.9.0.0/24"), ip("10.9.0.1"));
        assertEquals(ip("10.9.0.2"), ipam.allocate());
        assertEquals(ip("10.9.0.3"), ipam.allocate());
        ipam.release(ip("10.9.0.2"));
        assertFalse(ipam.isAllocated(ip("10.9.0.2")));
        assertEquals(ip("10.9.0.2"), ipam.allocate(), "released addresses are handed out again");
        assertEquals(ip("10.9.0.4"), ipam.allocate());
    }

    @Test
    void gatewayInTheMiddleIsSkipped()
    {
        final Ipam ipam = new Ipam(Cidr.parse("10.9.0.0/29"), ip("10.9.0.3"));
        assertEquals(List.of(ip("10.9.0.1"), ip("10.9.0.2"), ip("10.9.0.4"), ip("10.9.0.5"), ip("10.9.0.6")),
            List.of(ipam.allocate(), ipam.allocate(), ipam.allocate(), ipam.allocate(), ipam.allocate()));
        assertThrows(JvsException.class, ipam::allocate);
    }

    @Test
    void neverHandsOutNetworkBroadcastGatewayOrTwice()
    {
        final Cidr subnet = Cidr.parse("10.9.8.0/24");
        final Ipam ipam = new Ipam(subnet, ip("10.9.8.1"));
        final Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 253; i++)
        {
            final int address = ipam.allocate();
            assertTrue(seen.add(address), "handed out twice: " + Ipv4.format(address));
            assertTrue(subnet.contains(address));
            assertTrue(address != subnet.network() && address != subnet.broadcast() && address != ipam.gateway());
        }
        final JvsException full = assertThrows(JvsException.class, ipam::allocate);
        assertEquals("no available IPv4 addresses on subnet 10.9.8.0/24", full.getMessage());
        assertEquals(253, ipam.allocatedCount());
    }

    @Test
    void smallestSubnetHasOneEndpointAddress()
    {
        final Ipam ipam = new Ipam(Cidr.parse("10.9.0.4/30"), ip("10.9.0.5"));
        assertEquals(ip("10.9.0.6"), ipam.allocate());
        assertThrows(JvsException.class, ipam::allocate);
        assertThrows(JvsException.class, () -> new Ipam(Cidr.parse("10.9.0.4/31"), ip("10.9.0.4")));
    }

    @Test
    void refusesBadGateways()
    {
        final Cidr subnet = Cidr.parse("10.9.0.0/24");
        assertEquals("gateway 10.9.1.1 is outside subnet 10.9.0.0/24",
            assertThrows(JvsException.class, () -> new Ipam(subnet, ip("10.9.1.1"))).getMessage());
        assertThrows(JvsException.class, () -> new Ipam(subnet, ip("10.9.0.0")));
        assertThrows(JvsException.class, () -> new Ipam(subnet, ip("10.9.0.255")));
    }

    @Test
    void reserveAndReleaseAreChecked()
    {
        final Ipam ipam = new Ipam(Cidr.parse("10.9.0.0/24"), ip("10.9.0.1"));
        ipam.reserve(ip("10.9.0.2"));
        assertThrows(JvsException.class, () -> ipam.reserve(ip("10.9.0.2")));
        assertThrows(JvsException.class, () -> ipam.reserve(ip("10.9.0.1")));
        assertThrows(JvsException.class, () -> ipam.reserve(ip("10.9.1.2")));
        assertEquals(ip("10.9.0.3"), ipam.allocate());
        assertThrows(IllegalStateException.class, () -> ipam.release(ip("10.9.0.9")));
    }

    @Test
    void rangeLimitsAllocationAndAuxAddressesAreSkipped()
    {
        final Ipam ipam = new Ipam(Cidr.parse("10.9.0.0/24"), ip("10.9.0.1"), Cidr.parse("10.9.0.32/30"));
        ipam.reserve(ip("10.9.0.33")); // an aux address inside the range
        assertEquals(ip("10.9.0.32"), ipam.allocate());
        assertEquals(ip("10.9.0.34"), ipam.allocate());
        assertEquals(ip("10.9.0.35"), ipam.allocate());
        final JvsException full = assertThrows(JvsException.class, ipam::allocate);
        assertTrue(full.getMessage().contains("in range 10.9.0.32/30"), full.getMessage());
        ipam.release(ip("10.9.0.34"));
        assertEquals(ip("10.9.0.34"), ipam.allocate());
        // A range at the start skips the network address and the gateway; at the end the broadcast address.
        final Ipam low = new Ipam(Cidr.parse("10.9.0.0/24"), ip("10.9.0.1"), Cidr.parse("10.9.0.0/30"));
        assertEquals(ip("10.9.0.2"), low.allocate());
        assertEquals(ip("10.9.0.3"), low.allocate());
        assertThrows(JvsException.class, low::allocate);
        final Ipam high = new Ipam(Cidr.parse("10.9.0.0/24"), ip("10.9.0.1"), Cidr.parse("10.9.0.254/31"));
        assertEquals(ip("10.9.0.254"), high.allocate());
        assertThrows(JvsException.class, high::allocate);
        assertThrows(JvsException.class, () -> new Ipam(Cidr.parse("10.9.0.0/24"), ip("10.9.0.1"),
            Cidr.parse("10.9.1.0/28")));
        assertThrows(JvsException.class, () -> new Ipam(Cidr.parse("10.9.0.0/24"), ip("10.9.0.1"),
            Cidr.parse("10.9.0.0/16")));
    }

    @Test
    void poolSkipsSubnetsInUse()
    {
        final SubnetPool pool = SubnetPool.defaults();
        assertEquals(Cidr.parse("10.231.0.0/24"), pool.next(List.of()));
        assertEquals(Cidr.parse("10.231.2.0/24"), pool.next(List.of(Cidr.parse("10.231.0.0/23"),
            Cidr.parse("192.0.2.0/24"))));
        assertEquals(Cidr.parse("10.231.1.0/24"), pool.next(List.of(Cidr.parse("10.231.0.7/32"))));
        assertThrows(JvsException.class, () -> pool.next(List.of(Cidr.parse("10.0.0.0/8"))));
    }
}
