package io.jvs.tap.netlink;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Parsing answers as the kernel writes them, built here byte by byte (not with the encoder under test): acks,
 * errors with and without extended-ack text, a multipart RTM_NEWLINK dump, route dumps.
 */
final class NetlinkDecoderTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
    private int end;

    @Test
    void ackIsAnErrorMessageWithErrorZero()
    {
        // The ack of a capped request (NETLINK_CAP_ACK), as seen from the kernel with strace.
        hex("24000000 0200 0001 a90a176b 9f080000 00000000 28000000 1000 0500 a90a176b 00000000");
        assertEquals(NetlinkHeaderDescriptor.NLMSG_ERROR, NetlinkDecoder.type(buffer, 0));
        assertEquals(0x6b170aa9, NetlinkDecoder.seq(buffer, 0));
        assertEquals(0, NetlinkDecoder.error(buffer, 0));
        assertNull(NetlinkDecoder.errorText(buffer, 0));
        assertEquals(36, NetlinkDecoder.next(buffer, 0, end));
    }

    @Test
    void errorCarriesNegatedErrnoAndKernelText()
    {
        // EINVAL (-22), capped, with NLMSGERR_ATTR_MSG "MTU too small" (14 bytes with its NUL).
        hex("38000000 0200 0003 05000000 00000000 eaffffff 20000000 1000 0500 05000000 00000000" +
            "1200 0100 4d545520746f6f20736d616c6c00 0000");
        assertEquals(-22, NetlinkDecoder.error(buffer, 0));
        assertEquals("MTU too small", NetlinkDecoder.errorText(buffer, 0));
        assertEquals("RTM_NEWLINK eth0: Invalid argument (EINVAL) - MTU too small",
            new NetlinkException("RTM_NEWLINK eth0", 22, NetlinkDecoder.errorText(buffer, 0)).getMessage());
    }

    @Test
    void exceptionNamesTheErrno()
    {
        assertEquals("RTM_NEWLINK jv1234abcd: File exists (EEXIST)",
            new NetlinkException("RTM_NEWLINK jv1234abcd", Errno.EEXIST, null).getMessage());
        assertEquals("x: errno 200", new NetlinkException("x", 200, null).getMessage());
        assertEquals("ENODEV", Errno.name(19));
    }

    @Test
    void linkDumpIsReadMessageByMessage()
    {
        // Two RTM_NEWLINK (NLM_F_MULTI) with attributes jvs does not read between those it does, then NLMSG_DONE.
        final int first = link(0, 1, 0x49, "lo", 65536);
        final int second = link(first, 7, 0x1003, "eth0", 1400);
        final int done = second;
        buffer.putInt(done, 20);
        buffer.putShort(done + 4, (short)NetlinkHeaderDescriptor.NLMSG_DONE);
        buffer.putShort(done + 6, (short)NetlinkHeaderDescriptor.NLM_F_MULTI);
        buffer.putInt(done + 8, 42);
        buffer.putInt(done + 16, 0);
        end = done + 20;

        final List<Rtnetlink.Link> links = new ArrayList<>();
        int message = 0;
        while (NetlinkDecoder.type(buffer, message) != NetlinkHeaderDescriptor.NLMSG_DONE)
        {
            links.add(Rtnetlink.decodeLink(buffer, message));
            message = NetlinkDecoder.next(buffer, message, end);
        }
        assertEquals(List.of(new Rtnetlink.Link(1, "lo", 65536, 0x49), new Rtnetlink.Link(7, "eth0", 1400, 0x1003)),
            links);
        assertEquals(true, links.get(1).up());
    }

    @Test
    void truncatedMessageIsCaughtNotReadPast()
    {
        final int next = link(0, 1, 0, "lo", 65536);
        assertThrows(IllegalStateException.class, () -> NetlinkDecoder.next(buffer, 0, next - 4));
    }

    @Test
    void defaultRouteOfTheMainTableOnly()
    {
        final int main = route(0, 0, 254, 5);
        final int other = route(main, 0, 100, 6);
        final int subnet = route(other, 24, 254, 7);
        assertEquals(5, Rtnetlink.defaultRouteIndex(buffer, 0));
        assertEquals(0, Rtnetlink.defaultRouteIndex(buffer, main), "table 100 is not the main table");
        assertEquals(0, Rtnetlink.defaultRouteIndex(buffer, other), "a /24 is not a default route");
        assertEquals(subnet, NetlinkDecoder.next(buffer, other, subnet));
    }

    /** An RTM_NEWLINK message at {@code at}. @return where the next message starts. */
    private int link(final int at, final int index, final int flags, final String name, final int mtu)
    {
        int p = at + 16;
        buffer.setMemory(p, 16, (byte)0);
        buffer.putShort(p + 2, (short)1); // ARPHRD_ETHER
        buffer.putInt(p + 4, index);
        buffer.putInt(p + 8, flags);
        p += 16;
        p = attribute(p, 13, new byte[] {1, 0, 0, 0}); // IFLA_TXQLEN, not read
        final byte[] nameBytes = (name + "\0").getBytes();
        p = attribute(p, IfInfoDescriptor.IFLA_IFNAME, nameBytes);
        p = attribute(p, IfInfoDescriptor.IFLA_LINKINFO | 0x8000, new byte[] {8, 0, 1, 0, 'v', 'e', 't', 'h'});
        p = attribute(p, IfInfoDescriptor.IFLA_MTU, intBytes(mtu));
        buffer.putInt(at, p - at);
        buffer.putShort(at + 4, (short)IfInfoDescriptor.RTM_NEWLINK);
        buffer.putShort(at + 6, (short)NetlinkHeaderDescriptor.NLM_F_MULTI);
        buffer.putInt(at + 8, 42);
        return p;
    }

    private int route(final int at, final int dstLength, final int table, final int oif)
    {
        int p = at + 16;
        buffer.setMemory(p, 12, (byte)0);
        buffer.putByte(p, (byte)2);
        buffer.putByte(p + 1, (byte)dstLength);
        buffer.putByte(p + 4, (byte)table);
        p += 12;
        p = attribute(p, RouteDescriptor.RTA_TABLE, intBytes(table));
        p = attribute(p, RouteDescriptor.RTA_GATEWAY, new byte[] {10, 0, 0, 1});
        p = attribute(p, RouteDescriptor.RTA_OIF, intBytes(oif));
        buffer.putInt(at, p - at);
        buffer.putShort(at + 4, (short)RouteDescriptor.RTM_NEWROUTE);
        buffer.putShort(at + 6, (short)NetlinkHeaderDescriptor.NLM_F_MULTI);
        return p;
    }

    private int attribute(final int at, final int type, final byte[] value)
    {
        buffer.putShort(at, (short)(4 + value.length));
        buffer.putShort(at + 2, (short)type);
        buffer.putBytes(at + 4, value);
        final int next = at + ((4 + value.length + 3) & ~3);
        buffer.setMemory(at + 4 + value.length, next - at - 4 - value.length, (byte)0);
        return next;
    }

    private static byte[] intBytes(final int value)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[4]);
        b.putInt(0, value, ByteOrder.nativeOrder());
        return b.byteArray();
    }

    private void hex(final String text)
    {
        final byte[] bytes = java.util.HexFormat.of().parseHex(text.replace(" ", ""));
        buffer.putBytes(0, bytes);
        end = bytes.length;
    }
}
