package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IPAM and its address types at the edges of their ranges: the smallest usable subnet and the one past it, /0 and
 * /32, the longest dotted quad, a pool used up to its last subnet. Found by mutation testing
 * (docs/mutation-testing.md).
 */
class IpamEdgesTest
{
    @Test
    void theConstructorRefusesASubnetTooSmallAndKnowsItsGateway()
    {
        final Cidr smallest = Cidr.parse("10.9.0.0/" + Ipam.MAX_PREFIX);
        final Ipam ipam = new Ipam(smallest, Ipv4.parse("10.9.0.1"));
        assertEquals(Ipv4.parse("10.9.0.1"), ipam.gateway());
        assertEquals(smallest, ipam.subnet());
        assertThrows(JvsException.class, () -> new Ipam(Cidr.parse("10.9.0.0/31"), Ipv4.parse("10.9.0.1")));

        final JvsException broadcast = assertThrows(JvsException.class,
            () -> new Ipam(smallest, Ipv4.parse("10.9.0.3")));
        assertTrue(broadcast.getMessage().contains("is the broadcast address"), broadcast.getMessage());
        final JvsException network = assertThrows(JvsException.class,
            () -> new Ipam(smallest, Ipv4.parse("10.9.0.0")));
        assertTrue(network.getMessage().contains("is the network address"), network.getMessage());
    }

    @Test
    void isAllocatedAnswersForTheSubnetsOwnAddressesOnly()
    {
        final Ipam ipam = new Ipam(Cidr.parse("10.9.1.0/24"), Ipv4.parse("10.9.1.1"));
        final int first = ipam.allocate();
        assertEquals(Ipv4.parse("10.9.1.2"), first);
        assertTrue(ipam.isAllocated(first));
        assertFalse(ipam.isAllocated(first + 1));
        assertFalse(ipam.isAllocated(Ipv4.parse("10.9.2.2")), "same offset in another subnet");
    }

    @Test
    void cidrAndIpv4AcceptTheirWholeRange()
    {
        assertEquals(0, Cidr.parseLenient("0.0.0.0/0").prefix());
        assertEquals(0, Cidr.parseLenient("10.1.2.3/0").network());
        assertEquals(32, Cidr.parseLenient("10.1.2.3/32").prefix());
        assertEquals(32, Cidr.parseLenient("10.1.2.3").prefix());
        assertThrows(JvsException.class, () -> Cidr.parseLenient("10.1.2.3/33"));
        assertEquals(Ipv4.parse("100.100.100.100"), Ipv4.tryParse("100.100.100.100"), "15 characters");
        assertEquals(-1, Ipv4.tryParse("100.100.100.1000"));
        assertEquals("02:42:c0:a8:01:02", Ipv4.dockerMac(Ipv4.parse("192.168.1.2")));
    }

    @Test
    void aPoolHandsOutItsLastSubnetAndThenNothing()
    {
        final SubnetPool pool = new SubnetPool(Cidr.parse("10.40.0.0/29"), Ipam.MAX_PREFIX);
        final List<Cidr> inUse = new ArrayList<>();
        inUse.add(pool.next(inUse));
        inUse.add(pool.next(inUse));
        assertEquals(List.of(Cidr.parse("10.40.0.0/30"), Cidr.parse("10.40.0.4/30")), inUse);
        assertThrows(JvsException.class, () -> pool.next(inUse), "not 10.40.0.8/30, outside the pool");

        assertEquals(Cidr.parse("10.41.0.0/24"), new SubnetPool(Cidr.parse("10.41.0.0/24"), 24).next(List.of()),
            "a pool of one subnet");
        assertThrows(IllegalArgumentException.class, () -> new SubnetPool(Cidr.parse("10.41.0.0/24"), 23));
        assertThrows(IllegalArgumentException.class, () -> new SubnetPool(Cidr.parse("10.41.0.0/24"), 31));
    }
}
