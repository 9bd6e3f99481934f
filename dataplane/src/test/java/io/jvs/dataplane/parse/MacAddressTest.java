package io.jvs.dataplane.parse;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MacAddressTest
{
    @Test
    void roundTrips()
    {
        final long mac = MacAddress.parse("02:42:ac:11:00:02");
        assertEquals(0x0242_AC11_0002L, mac);
        assertEquals("02:42:ac:11:00:02", MacAddress.toString(mac));
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[8]);
        MacAddress.write(buffer, 1, mac);
        assertEquals(0x02, buffer.getByte(1));
        assertEquals((byte)0xAC, buffer.getByte(3));
        assertEquals(mac, MacAddress.read(buffer, 1));
        assertEquals(0xFFFF_FFFF_FFFFL, MacAddress.read(new UnsafeBuffer(new byte[] {-1, -1, -1, -1, -1, -1}), 0));
    }

    @Test
    void pairIsTheTwoAddressesOneAfterTheOther()
    {
        final long first = MacAddress.parse("ff:fe:fd:fc:fb:fa");
        final long second = MacAddress.parse("82:42:ac:11:00:02");
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[15]);
        buffer.setMemory(0, 15, (byte)0x55);
        MacAddress.writePair(buffer, 1, first, second);
        assertEquals(first, MacAddress.read(buffer, 1));
        assertEquals(second, MacAddress.read(buffer, 7));
        assertEquals(0x55, buffer.getByte(0));
        assertEquals(0x55, buffer.getByte(13));
    }

    @Test
    void classifies()
    {
        assertTrue(MacAddress.isMulticast(MacAddress.BROADCAST));
        assertTrue(MacAddress.isBroadcast(MacAddress.BROADCAST));
        assertTrue(MacAddress.isMulticast(MacAddress.parse("01:00:5e:00:00:01")));
        assertTrue(MacAddress.isMulticast(MacAddress.parse("33:33:00:00:00:01")));
        assertFalse(MacAddress.isMulticast(MacAddress.parse("02:42:ac:11:00:02")));
        assertFalse(MacAddress.isValidSource(0));
        assertFalse(MacAddress.isValidSource(MacAddress.parse("01:00:5e:00:00:01")));
        assertTrue(MacAddress.isValidSource(MacAddress.parse("00:00:00:00:00:01")));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("02:42:ac:11:00"));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("02:42:ac:11:00:zz"));
    }
}
