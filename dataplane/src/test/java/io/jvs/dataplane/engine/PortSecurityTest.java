package io.jvs.dataplane.engine;

import io.jvs.dataplane.testing.Frames;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Frames built byte by byte ({@link Frames}), judged as a secured port's ingress. */
class PortSecurityTest
{
    private static final int PORT = 7;
    private static final long MAC = Frames.mac("02:42:0a:5d:00:02");
    private static final long OTHER_MAC = Frames.mac("02:42:0a:5d:00:09");
    private static final long BROADCAST = Frames.mac("ff:ff:ff:ff:ff:ff");
    private static final int IP = 0x0A5D_0002;    // 10.93.0.2
    private static final int OTHER_IP = 0x0A5D_0009;
    private static final int PEER = 0x0A5D_0003;
    private static final int ARP = 0x0806;
    private static final int IPV4 = 0x0800;
    private static final int IPV6 = 0x86DD;

    private final PortSecurity security = new PortSecurity(SwitchCounters.MAX_PORTS);

    @Test
    void aPortNotSecuredTakesAnything()
    {
        assertTrue(permits(OTHER_MAC, Frames.ethernet(BROADCAST, OTHER_MAC, IPV4, Frames.ipv4(17, OTHER_IP, PEER, 0,
            Frames.udp(1, 2, new byte[4])))));
        assertFalse(security.isSecured(PORT));
    }

    @Test
    void itsOwnMacAndAddressPassAndAnyOtherSourceIsRefused()
    {
        security.secure(PORT, MAC, IP, 0, 0);
        assertTrue(permits(MAC, ipv4(MAC, IP)), "its own");
        assertFalse(permits(OTHER_MAC, ipv4(OTHER_MAC, IP)), "another source MAC");
        assertFalse(permits(MAC, ipv4(MAC, OTHER_IP)), "another IPv4 source");
        assertFalse(permits(MAC, Frames.ethernet(BROADCAST, MAC, IPV4, new byte[12])), "an IPv4 header cut short");
    }

    @Test
    void arpMayOnlyClaimItsOwnSenderOrProbe()
    {
        security.secure(PORT, MAC, IP, 0, 0);
        assertTrue(permits(MAC, arp(MAC, IP)), "its own");
        assertTrue(permits(MAC, arp(MAC, 0)), "a probe (duplicate address detection) from 0.0.0.0");
        assertFalse(permits(MAC, arp(MAC, OTHER_IP)), "claims another's address (ARP spoofing)");
        assertFalse(permits(MAC, arp(OTHER_MAC, IP)), "claims another sender MAC");
    }

    @Test
    void vlanTagsAreRefusedOtherEtherTypesPassOnTheMac()
    {
        security.secure(PORT, MAC, IP, 0, 0);
        assertFalse(permits(MAC, Frames.ethernetVlan(BROADCAST, MAC, 5, IPV4, Frames.ipv4(17, IP, PEER, 0,
            Frames.udp(1, 2, new byte[4])))), "a tag would carry any address past the check");
        assertTrue(permits(MAC, Frames.ethernet(BROADCAST, MAC, 0x88CC, new byte[46])), "LLDP, say");
    }

    @Test
    void ipv6FromItsAddressLinkLocalOrUnspecifiedOnly()
    {
        final byte[] global = Frames.ethernet(BROADCAST, MAC, IPV6, Frames.ipv6(17, false, new byte[8])); // fd00::1
        assertFalse(permitsAfterSecuring(0, 0, global), "no IPv6 address given: its global source is refused");
        assertTrue(permitsAfterSecuring(0xFD00_0000_0000_0000L, 1, global), "its own address");
        assertFalse(permitsAfterSecuring(0xFD00_0000_0000_0000L, 2, global), "another address");
        final byte[] linkLocal = global.clone();
        linkLocal[14 + 8] = (byte)0xFE;
        linkLocal[14 + 9] = (byte)0x80;
        assertTrue(permitsAfterSecuring(0, 0, linkLocal), "fe80::/10");
        final byte[] unspecified = global.clone();
        for (int i = 0; i < 16; i++)
        {
            unspecified[14 + 8 + i] = 0;
        }
        assertTrue(permitsAfterSecuring(0, 0, unspecified), ":: (duplicate address detection)");
    }

    @Test
    void clearingForgetsThePortAndAMacIsRequired()
    {
        security.secure(PORT, MAC, IP, 0, 0);
        security.clear(PORT);
        assertTrue(permits(OTHER_MAC, ipv4(OTHER_MAC, OTHER_IP)));
        assertThrows(IllegalArgumentException.class, () -> security.secure(PORT, 0, IP, 0, 0));
    }

    private boolean permitsAfterSecuring(final long ipv6High, final long ipv6Low, final byte[] frame)
    {
        security.secure(PORT, MAC, IP, ipv6High, ipv6Low);
        return permits(MAC, frame);
    }

    private boolean permits(final long source, final byte[] frame)
    {
        final byte[] padded = new byte[frame.length + 3];
        System.arraycopy(frame, 0, padded, 3, frame.length); // not at offset 0: offsets must be honoured
        return security.permits(PORT, source, new UnsafeBuffer(padded), 3, frame.length);
    }

    private static byte[] ipv4(final long mac, final int src)
    {
        return Frames.ethernet(BROADCAST, mac, IPV4, Frames.ipv4(17, src, PEER, 0, Frames.udp(1, 2, new byte[4])));
    }

    private static byte[] arp(final long sha, final int spa)
    {
        return Frames.ethernet(BROADCAST, sha == OTHER_MAC ? MAC : sha, ARP, Frames.arp(1, sha, spa, 0, PEER));
    }
}
