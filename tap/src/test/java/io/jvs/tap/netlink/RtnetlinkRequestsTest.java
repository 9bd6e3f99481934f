package io.jvs.tap.netlink;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The exact bytes of the requests. The expected hex of veth, address and route requests is what iproute2's {@code ip}
 * sent for the same command (captured with {@code strace -e trace=sendmsg -e write=3}); link changes by name differ
 * from {@code ip}'s (which looks the ifindex up first) only in carrying IFLA_IFNAME.
 */
final class RtnetlinkRequestsTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
    private final NetlinkEncoder encoder = new NetlinkEncoder().wrap(buffer, 0, 4096);

    @Test
    void vethWithPeerInNamespaceIsWhatIpSends()
    {
        // ip link add nlx23110a mtu 1400 type veth peer name nlx23110b address 02:42:0a:00:00:02 mtu 1400 netns NS
        // (the namespace's fd was 4)
        RtnetlinkRequests.newVeth(encoder, 0x6b170a5b, "nlx23110a", "nlx23110b",
            Rtnetlink.mac("02:42:0a:00:00:02"), 1400, 4);
        assertBytes(
            "88000000 1000 0506 5b0a176b 00000000" +
            "00000000 00000000 00000000 00000000" +
            "0800 0400 78050000" +
            "0e00 0300 6e6c7832333131306100 0000" +
            "5000 1200" +
            "  0800 0100 76657468" +
            "  4400 0200" +
            "    4000 0100" +
            "      00000000 00000000 00000000 00000000" +
            "      0a00 0100 02420a000002 0000" +
            "      0800 0400 78050000" +
            "      0800 1c00 04000000" +
            "      0e00 0300 6e6c7832333131306200 0000");
    }

    @Test
    void ipv4AddressIsWhatIpSends()
    {
        // ip addr add 10.1.2.3/24 dev (ifindex 1282)
        RtnetlinkRequests.newIpv4Address(encoder, 0x6b170a65, 1282, 0x0a010203, 24);
        assertBytes(
            "28000000 1400 0506 650a176b 00000000" +
            "02 18 00 00 02050000" +
            "0800 0200 0a010203" +
            "0800 0100 0a010203");
    }

    @Test
    void defaultRouteIsWhatIpSends()
    {
        // ip route add default via 10.1.2.3 dev (ifindex 1282): ip's 10.99.0.0/16 capture without RTA_DST
        RtnetlinkRequests.newIpv4DefaultRoute(encoder, 0x6b170a65, 0x0a010203, 1282);
        assertBytes(
            "2c000000 1800 0506 650a176b 00000000" +
            "02 00 00 00 fe 03 00 01 00000000" +
            "0800 0500 0a010203" +
            "0800 0400 02050000");
    }

    @Test
    void linkUpByName()
    {
        RtnetlinkRequests.linkUp(encoder, 7, "eth0");
        assertBytes(
            "2c000000 1000 0500 07000000 00000000" +
            "00000000 00000000 01000000 01000000" +
            "0900 0300 65746830 00 000000");
    }

    @Test
    void mtuAndDeleteAndGetByName()
    {
        RtnetlinkRequests.linkMtu(encoder, 1, "eth0", 9000);
        assertBytes(
            "34000000 1000 0500 01000000 00000000" +
            "00000000 00000000 00000000 00000000" +
            "0800 0400 28230000" +
            "0900 0300 65746830 00 000000");

        RtnetlinkRequests.deleteLink(encoder, 2, "jv1");
        assertBytes(
            "28000000 1100 0500 02000000 00000000" +
            "00000000 00000000 00000000 00000000" +
            "0800 0300 6a763100");

        RtnetlinkRequests.getLink(encoder, 3, 5, null);
        assertBytes(
            "20000000 1200 0100 03000000 00000000" +
            "00000000 05000000 00000000 00000000");
    }

    @Test
    void dumpsAskForEverything()
    {
        RtnetlinkRequests.dumpLinks(encoder, 9);
        assertBytes(
            "20000000 1200 0103 09000000 00000000" +
            "00000000 00000000 00000000 00000000");

        RtnetlinkRequests.dumpIpv4Routes(encoder, 10);
        assertBytes(
            "1c000000 1a00 0103 0a000000 00000000" +
            "02000000 00000000 00000000");
    }

    @Test
    void macAddressText()
    {
        assertEquals("02420a000002", HexFormat.of().formatHex(Rtnetlink.mac("02:42:0a:00:00:02")));
        assertThrows(IllegalArgumentException.class, () -> Rtnetlink.mac("02:42"));
    }

    @Test
    void aRequestTooBigForTheBufferIsRefusedNotOverrun()
    {
        final NetlinkEncoder small = new NetlinkEncoder().wrap(buffer, 0, 40);
        small.begin(16, 1, 1).ifInfo(0, 0, 0, 0);
        assertThrows(IllegalStateException.class, () -> small.putString(3, "a-name-that-does-not-fit"));
    }

    private void assertBytes(final String expectedHex)
    {
        final int length = encoder.finish();
        final byte[] actual = new byte[length];
        buffer.getBytes(0, actual);
        assertEquals(expectedHex.replace(" ", ""), HexFormat.of().formatHex(actual));
    }
}
