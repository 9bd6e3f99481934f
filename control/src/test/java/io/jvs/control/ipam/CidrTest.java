package io.jvs.control.ipam;

import io.jvs.control.common.JvsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CidrTest
{
    @Test
    void parsesNetworkAddressAndPrefix()
    {
        final Cidr cidr = Cidr.parse("10.231.4.0/24");
        assertEquals(Ipv4.parse("10.231.4.0"), cidr.network());
        assertEquals(24, cidr.prefix());
        assertEquals(256, cidr.size());
        assertEquals(Ipv4.parse("10.231.4.255"), cidr.broadcast());
        assertEquals("10.231.4.0/24", cidr.toString());
    }

    @Test
    void parsesExtremes()
    {
        assertEquals(0, Cidr.parse("0.0.0.0/0").network());
        assertEquals(-1, Cidr.parse("255.255.255.255/32").network());
        assertEquals(1L << 32, Cidr.parse("0.0.0.0/0").size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0/24", "10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.256/24", "a.b.c.d/8",
        "10.0.0.0/", "/24", "10.00.0.0/24", " 10.0.0.0/24", "10.0.0.0/24 ", "10.0.0.0/2 4", "", "10..0.0/8",
        "10.0.0.0.0/8", "10.0.0.0/0x18"})
    void refusesMalformedText(final String text)
    {
        final JvsException ex = assertThrows(JvsException.class, () -> Cidr.parse(text));
        assertEquals(JvsException.Kind.INVALID, ex.kind());
        assertTrue(ex.getMessage().startsWith("invalid CIDR address"), ex.getMessage());
    }

    @Test
    void refusesHostBitsNamingTheNetwork()
    {
        final JvsException ex = assertThrows(JvsException.class, () -> Cidr.parse("10.1.2.3/16"));
        assertEquals("invalid subnet 10.1.2.3/16: it should be 10.1.0.0/16", ex.getMessage());
    }

    @Test
    void lenientParsingMasksHostBits()
    {
        assertEquals(Cidr.parse("192.0.2.0/24"), Cidr.parseLenient("192.0.2.7/24"));
        assertEquals(Cidr.parse("192.0.2.7/32"), Cidr.parseLenient("192.0.2.7"));
    }

    @Test
    void containsAndOverlaps()
    {
        final Cidr a = Cidr.parse("10.0.0.0/16");
        final Cidr b = Cidr.parse("10.0.5.0/24");
        final Cidr c = Cidr.parse("10.1.0.0/24");
        assertTrue(a.contains(Ipv4.parse("10.0.255.255")));
        assertFalse(a.contains(Ipv4.parse("10.1.0.0")));
        assertTrue(a.overlaps(b));
        assertTrue(b.overlaps(a));
        assertFalse(a.overlaps(c));
        assertFalse(b.overlaps(c));
        assertTrue(Cidr.parse("0.0.0.0/0").overlaps(c));
        assertTrue(Cidr.parse("200.0.0.0/8").contains(Ipv4.parse("200.1.2.3")), "high addresses are signed ints");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "1.2.3.4 ", "", "1.2.3.a"})
    void ipv4RefusesMalformed(final String text)
    {
        assertThrows(JvsException.class, () -> Ipv4.parse(text));
    }

    @Test
    void ipv4RoundTripsAndDockerMac()
    {
        assertEquals("172.17.0.2", Ipv4.format(Ipv4.parse("172.17.0.2")));
        assertEquals("255.255.255.255", Ipv4.format(Ipv4.parse("255.255.255.255")));
        assertEquals("02:42:ac:11:00:02", Ipv4.dockerMac(Ipv4.parse("172.17.0.2")));
    }
}
