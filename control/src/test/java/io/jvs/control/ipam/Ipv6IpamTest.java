package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** IPv6 addresses, prefixes, allocation and the ULA pool. */
class Ipv6IpamTest
{
    @ParameterizedTest
    @CsvSource({
        "2001:db8:0:0:0:0:0:1, 2001:db8::1",
        "2001:DB8::0001, 2001:db8::1",
        "::, ::",
        "::1, ::1",
        "fe80::, fe80::",
        "2001:db8:0:1:0:0:0:0, 2001:db8:0:1::",
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
        "2001:0:0:1:1:0:0:1, 2001::1:1:0:0:1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "2001:db8:1:0:1:1:1:1, 2001:db8:1:0:1:1:1:1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "::ffff:10.0.0.1, ::ffff:a00:1"})
    void parsesAndFormatsAsRfc5952(final String text, final String formatted)
    {
        assertEquals(formatted, Ipv6Address.parse(text).toString());
        assertEquals(Ipv6Address.parse(text), Ipv6Address.parse(formatted));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1", "10.0.0.1", "2001:db8::1::2", "2001:db8::g", "localhost", "fe80::1%eth0",
        "[::1]", "12345::", "1:2:3:4:5:6:7:8:9", " ::1"})
    void refusesWhatIsNoIpv6Address(final String text)
    {
        assertNull(Ipv6Address.tryParse(text));
        assertEquals(JvsException.Kind.INVALID,
            assertThrows(JvsException.class, () -> Ipv6Address.parse(text)).kind());
    }

    @Test
    void bytesRoundTripAndArithmeticCarries()
    {
        final Ipv6Address address = Ipv6Address.parse("2001:db8::ffff:ffff:ffff:ffff");
        assertArrayEquals(new byte[]{0x20, 0x01, 0x0d, (byte)0xb8, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1},
            address.toBytes());
        assertEquals(address, Ipv6Address.of(address.toBytes()));
        assertEquals("2001:db8:0:1::", address.plus(1).toString());
        assertTrue(address.compareTo(address.plus(1)) < 0);
        assertTrue(Ipv6Address.parse("8000::").compareTo(Ipv6Address.parse("7fff::")) > 0); // unsigned
    }

    @Test
    void prefixesParseContainAndOverlap()
    {
        final Cidr6 a = Cidr6.parse("2001:db8:1::/64");
        assertEquals("2001:db8:1::/64", a.toString());
        assertEquals("2001:db8:1:0:ffff:ffff:ffff:ffff", a.last().toString());
        assertTrue(a.contains(Ipv6Address.parse("2001:db8:1::42")));
        assertFalse(a.contains(Ipv6Address.parse("2001:db8:2::42")));
        assertTrue(a.overlaps(Cidr6.parse("2001:db8::/32")));
        assertTrue(Cidr6.parse("2001:db8::/32").overlaps(a));
        assertFalse(a.overlaps(Cidr6.parse("2001:db8::/48")));
        assertTrue(a.overlaps(Cidr6.parse("2001:db8:1::80/121")));
        assertFalse(a.overlaps(Cidr6.parse("2001:db8:2::/64")));
        assertTrue(Cidr6.parse("::/0").overlaps(a));
        assertEquals("2001:db8:1::80/121", Cidr6.parse("2001:db8:1::80/121").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"2001:db8::", "2001:db8::/129", "2001:db8::/-1", "2001:db8::/6 4", "10.0.0.0/24",
        "2001:db8::g/64", "/64", "2001:db8::/"})
    void refusesMalformedPrefixes(final String text)
    {
        final JvsException ex = assertThrows(JvsException.class, () -> Cidr6.parse(text));
        assertEquals(JvsException.Kind.INVALID, ex.kind());
        assertTrue(ex.getMessage().startsWith("invalid CIDR address"), ex.getMessage());
    }

    @Test
    void refusesHostBitsNamingTheNetwork()
    {
        assertEquals("invalid subnet 2001:db8:1::5/64: it should be 2001:db8:1::/64",
            assertThrows(JvsException.class, () -> Cidr6.parse("2001:db8:1::5/64")).getMessage());
    }

    @Test
    void allocatesSequentiallyAfterTheDefaultGateway()
    {
        final Ipv6Subnet config = Ipv6Subnet.parse("2001:db8:1::/64", null, null);
        assertEquals("2001:db8:1::1", config.gateway().toString());
        final Ipam6 ipam = new Ipam6(config);
        assertEquals("2001:db8:1::2", ipam.allocate().toString());
        assertEquals("2001:db8:1::3", ipam.allocate().toString());
        ipam.release(Ipv6Address.parse("2001:db8:1::2"));
        assertEquals("2001:db8:1::2", ipam.allocate().toString());
        assertEquals("2001:db8:1::4", ipam.allocate().toString());
        assertEquals(3, ipam.allocatedCount());
    }

    @Test
    void skipsAGatewayInTheMiddleAndReservedAddresses()
    {
        final Ipam6 ipam = new Ipam6(Ipv6Subnet.parse("2001:db8::/120", "2001:db8::2", null));
        ipam.reserve(Ipv6Address.parse("2001:db8::3"));
        assertEquals("2001:db8::1", ipam.allocate().toString());
        assertEquals("2001:db8::4", ipam.allocate().toString());
        assertEquals(JvsException.Kind.CONFLICT,
            assertThrows(JvsException.class, () -> ipam.reserve(Ipv6Address.parse("2001:db8::4"))).kind());
        assertEquals(JvsException.Kind.INVALID,
            assertThrows(JvsException.class, () -> ipam.reserve(Ipv6Address.parse("2001:db8::2"))).kind());
        assertEquals(JvsException.Kind.INVALID,
            assertThrows(JvsException.class, () -> ipam.reserve(Ipv6Address.parse("2001:db8::"))).kind());
    }

    @Test
    void exhaustsASmallPrefixWithOneClearError()
    {
        final Ipam6 ipam = new Ipam6(Ipv6Subnet.parse("2001:db8::/126", null, null));
        final List<String> given = new ArrayList<>();
        given.add(ipam.allocate().toString());
        given.add(ipam.allocate().toString());
        assertEquals(List.of("2001:db8::2", "2001:db8::3"), given); // IPv6: the last address is a host address
        final JvsException ex = assertThrows(JvsException.class, ipam::allocate);
        assertEquals(JvsException.Kind.CONFLICT, ex.kind());
        assertEquals("no available IPv6 addresses on subnet 2001:db8::/126", ex.getMessage());
    }

    @Test
    void allocatesOnlyInsideTheRange()
    {
        final Ipam6 ipam = new Ipam6(Ipv6Subnet.parse("2001:db8:1::/64", null, "2001:db8:1::100/126"));
        assertEquals("2001:db8:1::100", ipam.allocate().toString());
        assertEquals("2001:db8:1::101", ipam.allocate().toString());
        assertEquals("2001:db8:1::102", ipam.allocate().toString());
        assertEquals("2001:db8:1::103", ipam.allocate().toString());
        assertEquals("no available IPv6 addresses on subnet 2001:db8:1::/64 in range 2001:db8:1::100/126",
            assertThrows(JvsException.class, ipam::allocate).getMessage());
        ipam.reserve(Ipv6Address.parse("2001:db8:1::5")); // a runtime's own choice outside the range
    }

    @Test
    void refusesBadGatewaysRangesAndTinyPrefixes()
    {
        assertEquals("gateway 2001:db8:2::1 is outside subnet 2001:db8:1::/64", assertThrows(JvsException.class,
            () -> Ipv6Subnet.parse("2001:db8:1::/64", "2001:db8:2::1", null)).getMessage());
        assertEquals("gateway 2001:db8:1:: is the subnet-router anycast address of subnet 2001:db8:1::/64",
            assertThrows(JvsException.class, () -> Ipv6Subnet.parse("2001:db8:1::/64", "2001:db8:1::", null))
                .getMessage());
        assertEquals("ip range 2001:db8:2::/80 is not inside subnet 2001:db8:1::/64", assertThrows(
            JvsException.class, () -> Ipv6Subnet.parse("2001:db8:1::/64", null, "2001:db8:2::/80")).getMessage());
        assertTrue(assertThrows(JvsException.class, () -> Ipv6Subnet.parse("2001:db8::/127", null, null))
            .getMessage().contains("too small"));
        assertThrows(JvsException.class, () -> Ipv6Subnet.parse("2001:db8::/64", "nonsense", null));
    }

    @Test
    void poolCarvesFreeSlash64sAndReportsExhaustion()
    {
        final SubnetPool6 pool = SubnetPool6.defaults();
        assertEquals("fd4a:7c5e:91b3::/48", pool.pool().toString());
        final List<Cidr6> used = new ArrayList<>();
        used.add(pool.next(used));
        assertEquals("fd4a:7c5e:91b3::/64", used.get(0).toString());
        used.add(Cidr6.parse("fd4a:7c5e:91b3:1::/80")); // overlaps the second /64: skipped
        assertEquals("fd4a:7c5e:91b3:2::/64", pool.next(used).toString());

        final SubnetPool6 small = new SubnetPool6(Cidr6.parse("fd00:1::/63"), 64);
        final List<Cidr6> taken = new ArrayList<>();
        taken.add(small.next(taken));
        taken.add(small.next(taken));
        assertEquals("fd00:1:0:1::/64", taken.get(1).toString());
        final JvsException ex = assertThrows(JvsException.class, () -> small.next(taken));
        assertEquals(JvsException.Kind.CONFLICT, ex.kind());
        assertTrue(ex.getMessage().contains("exhausted"), ex.getMessage());
        assertThrows(JvsException.class, () -> new SubnetPool6(Cidr6.parse("fd00::/64"), 48));
    }
}
