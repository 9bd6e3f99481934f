package io.jvs.tap;

import jnr.ffi.Pointer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static io.jvs.tap.Native.LIBC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layout constants against the kernel's own headers (compiled with gcc) and, for the TPACKET_V2 header
 * length, against the running kernel (getsockopt PACKET_HDRLEN).
 */
class LayoutTest
{
    private static final String PROBE = String.join("\n",
        "#include <stdio.h>",
        "#include <stddef.h>",
        "#include <errno.h>",
        "#include <fcntl.h>",
        "#include <poll.h>",
        "#include <sys/ioctl.h>",
        "#include <sys/mman.h>",
        "#include <sys/socket.h>",
        "#include <linux/if_ether.h>",
        "#include <linux/if_packet.h>",
        "#include <linux/if.h>",
        "#include <linux/if_tun.h>",
        "#include <linux/virtio_net.h>",
        "#define P(name, value) printf(\"%s=%ld\\n\", name, (long)(value))",
        "int main(void) {",
        "  P(\"sizeof_tpacket2_hdr\", sizeof(struct tpacket2_hdr));",
        "  P(\"tp_status\", offsetof(struct tpacket2_hdr, tp_status));",
        "  P(\"tp_len\", offsetof(struct tpacket2_hdr, tp_len));",
        "  P(\"tp_snaplen\", offsetof(struct tpacket2_hdr, tp_snaplen));",
        "  P(\"tp_mac\", offsetof(struct tpacket2_hdr, tp_mac));",
        "  P(\"tp_net\", offsetof(struct tpacket2_hdr, tp_net));",
        "  P(\"TPACKET2_HDRLEN\", TPACKET2_HDRLEN);",
        "  P(\"TPACKET_ALIGNMENT\", TPACKET_ALIGNMENT);",
        "  P(\"TPACKET_V2\", TPACKET_V2);",
        "  P(\"TP_STATUS_USER\", TP_STATUS_USER);",
        "  P(\"TP_STATUS_SEND_REQUEST\", TP_STATUS_SEND_REQUEST);",
        "  P(\"TP_STATUS_SENDING\", TP_STATUS_SENDING);",
        "  P(\"TP_STATUS_WRONG_FORMAT\", TP_STATUS_WRONG_FORMAT);",
        "  P(\"TP_STATUS_CSUMNOTREADY\", TP_STATUS_CSUMNOTREADY);",
        "  P(\"sizeof_tpacket_req\", sizeof(struct tpacket_req));",
        "  P(\"tp_block_size\", offsetof(struct tpacket_req, tp_block_size));",
        "  P(\"tp_block_nr\", offsetof(struct tpacket_req, tp_block_nr));",
        "  P(\"tp_frame_size\", offsetof(struct tpacket_req, tp_frame_size));",
        "  P(\"tp_frame_nr\", offsetof(struct tpacket_req, tp_frame_nr));",
        "  P(\"sizeof_sockaddr_ll\", sizeof(struct sockaddr_ll));",
        "  P(\"sll_family\", offsetof(struct sockaddr_ll, sll_family));",
        "  P(\"sll_protocol\", offsetof(struct sockaddr_ll, sll_protocol));",
        "  P(\"sll_ifindex\", offsetof(struct sockaddr_ll, sll_ifindex));",
        "  P(\"sizeof_packet_mreq\", sizeof(struct packet_mreq));",
        "  P(\"mr_ifindex\", offsetof(struct packet_mreq, mr_ifindex));",
        "  P(\"mr_type\", offsetof(struct packet_mreq, mr_type));",
        "  P(\"PACKET_MR_PROMISC\", PACKET_MR_PROMISC);",
        "  P(\"sizeof_tpacket_stats\", sizeof(struct tpacket_stats));",
        "  P(\"tp_drops\", offsetof(struct tpacket_stats, tp_drops));",
        "  P(\"sizeof_ifreq\", sizeof(struct ifreq));",
        "  P(\"ifr_flags\", offsetof(struct ifreq, ifr_flags));",
        "  P(\"IFNAMSIZ\", IFNAMSIZ);",
        "  P(\"sizeof_pollfd\", sizeof(struct pollfd));",
        "  P(\"pollfd_events\", offsetof(struct pollfd, events));",
        "  P(\"pollfd_revents\", offsetof(struct pollfd, revents));",
        "  P(\"POLLIN\", POLLIN);",
        "  P(\"sizeof_virtio_net_hdr\", sizeof(struct virtio_net_hdr));",
        "  P(\"vnet_gso_type\", offsetof(struct virtio_net_hdr, gso_type));",
        "  P(\"vnet_hdr_len\", offsetof(struct virtio_net_hdr, hdr_len));",
        "  P(\"vnet_gso_size\", offsetof(struct virtio_net_hdr, gso_size));",
        "  P(\"vnet_csum_start\", offsetof(struct virtio_net_hdr, csum_start));",
        "  P(\"vnet_csum_offset\", offsetof(struct virtio_net_hdr, csum_offset));",
        "  P(\"VIRTIO_NET_HDR_F_NEEDS_CSUM\", VIRTIO_NET_HDR_F_NEEDS_CSUM);",
        "  P(\"VIRTIO_NET_HDR_GSO_TCPV4\", VIRTIO_NET_HDR_GSO_TCPV4);",
        "  P(\"VIRTIO_NET_HDR_GSO_TCPV6\", VIRTIO_NET_HDR_GSO_TCPV6);",
        "  P(\"TUNSETIFF\", TUNSETIFF);",
        "  P(\"TUNSETOFFLOAD\", TUNSETOFFLOAD);",
        "  P(\"TUNSETVNETHDRSZ\", TUNSETVNETHDRSZ);",
        "  P(\"IFF_TAP\", IFF_TAP);",
        "  P(\"IFF_NO_PI\", IFF_NO_PI);",
        "  P(\"IFF_VNET_HDR\", IFF_VNET_HDR);",
        "  P(\"TUN_F_CSUM\", TUN_F_CSUM);",
        "  P(\"TUN_F_TSO4\", TUN_F_TSO4);",
        "  P(\"TUN_F_TSO6\", TUN_F_TSO6);",
        "  P(\"AF_PACKET\", AF_PACKET);",
        "  P(\"SOCK_RAW\", SOCK_RAW);",
        "  P(\"SOCK_NONBLOCK\", SOCK_NONBLOCK);",
        "  P(\"ETH_P_ALL\", ETH_P_ALL);",
        "  P(\"SOL_PACKET\", SOL_PACKET);",
        "  P(\"PACKET_ADD_MEMBERSHIP\", PACKET_ADD_MEMBERSHIP);",
        "  P(\"PACKET_RX_RING\", PACKET_RX_RING);",
        "  P(\"PACKET_STATISTICS\", PACKET_STATISTICS);",
        "  P(\"PACKET_VERSION\", PACKET_VERSION);",
        "  P(\"PACKET_HDRLEN\", PACKET_HDRLEN);",
        "  P(\"PACKET_TX_RING\", PACKET_TX_RING);",
        "  P(\"PACKET_LOSS\", PACKET_LOSS);",
        "  P(\"PACKET_VNET_HDR\", PACKET_VNET_HDR);",
        "  P(\"PACKET_QDISC_BYPASS\", PACKET_QDISC_BYPASS);",
        "  P(\"PACKET_IGNORE_OUTGOING\", PACKET_IGNORE_OUTGOING);",
        "  P(\"MSG_DONTWAIT\", MSG_DONTWAIT);",
        "  P(\"O_RDWR\", O_RDWR);",
        "  P(\"O_NONBLOCK\", O_NONBLOCK);",
        "  P(\"PROT_READ\", PROT_READ);",
        "  P(\"PROT_WRITE\", PROT_WRITE);",
        "  P(\"MAP_SHARED\", MAP_SHARED);",
        "  P(\"EINTR\", EINTR);",
        "  P(\"EAGAIN\", EAGAIN);",
        "  P(\"ENOBUFS\", ENOBUFS);",
        "  return 0;",
        "}", "");

    private static Map<String, Long> kernel;

    @BeforeAll
    static void compileProbe(@TempDir final Path dir) throws Exception
    {
        final Path source = dir.resolve("probe.c");
        final Path binary = dir.resolve("probe");
        Files.writeString(source, PROBE);
        Sh.run("gcc", "-o", binary.toString(), source.toString());
        kernel = new HashMap<>();
        for (final String line : Sh.run(binary.toString()).split("\n"))
        {
            final int eq = line.indexOf('=');
            kernel.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1).trim()));
        }
    }

    private static void same(final String cName, final long javaValue)
    {
        assertTrue(kernel.containsKey(cName), cName);
        assertEquals(kernel.get(cName).longValue(), javaValue, cName);
    }

    @Test
    void tpacket2HeaderMatchesKernelHeaders()
    {
        same("sizeof_tpacket2_hdr", Tpacket2Descriptor.HEADER_LENGTH);
        same("tp_status", Tpacket2Descriptor.STATUS_OFFSET);
        same("tp_len", Tpacket2Descriptor.LEN_OFFSET);
        same("tp_snaplen", Tpacket2Descriptor.SNAPLEN_OFFSET);
        same("tp_mac", Tpacket2Descriptor.MAC_OFFSET);
        same("tp_net", Tpacket2Descriptor.NET_OFFSET);
        same("TPACKET2_HDRLEN", Tpacket2Descriptor.TPACKET2_HDRLEN);
        same("TPACKET_ALIGNMENT", Tpacket2Descriptor.TPACKET_ALIGNMENT);
        same("TPACKET_V2", Tpacket2Descriptor.TPACKET_V2);
        same("TP_STATUS_USER", Tpacket2Descriptor.TP_STATUS_USER);
        same("TP_STATUS_SEND_REQUEST", Tpacket2Descriptor.TP_STATUS_SEND_REQUEST);
        same("TP_STATUS_SENDING", Tpacket2Descriptor.TP_STATUS_SENDING);
        same("TP_STATUS_WRONG_FORMAT", Tpacket2Descriptor.TP_STATUS_WRONG_FORMAT);
        same("TP_STATUS_CSUMNOTREADY", Tpacket2Descriptor.TP_STATUS_CSUMNOTREADY);
        // tpacket_parse_header: TX data at tp_hdrlen - sizeof(struct sockaddr_ll).
        assertEquals(32, Tpacket2Descriptor.TX_DATA_OFFSET);
        same("sizeof_tpacket_stats", SocketOptions.TPACKET_STATS_LENGTH);
        same("tp_drops", SocketOptions.TPACKET_STATS_DROPS_OFFSET);
    }

    @Test
    void ringRequestAddressAndMembershipMatchKernelHeaders()
    {
        same("sizeof_tpacket_req", TpacketReqDescriptor.LENGTH);
        same("tp_block_size", TpacketReqDescriptor.BLOCK_SIZE_OFFSET);
        same("tp_block_nr", TpacketReqDescriptor.BLOCK_NR_OFFSET);
        same("tp_frame_size", TpacketReqDescriptor.FRAME_SIZE_OFFSET);
        same("tp_frame_nr", TpacketReqDescriptor.FRAME_NR_OFFSET);
        same("sizeof_sockaddr_ll", SockaddrLlDescriptor.LENGTH);
        same("sll_family", SockaddrLlDescriptor.FAMILY_OFFSET);
        same("sll_protocol", SockaddrLlDescriptor.PROTOCOL_OFFSET);
        same("sll_ifindex", SockaddrLlDescriptor.IFINDEX_OFFSET);
        same("sizeof_packet_mreq", PacketMreqDescriptor.LENGTH);
        same("mr_ifindex", PacketMreqDescriptor.IFINDEX_OFFSET);
        same("mr_type", PacketMreqDescriptor.TYPE_OFFSET);
        same("PACKET_MR_PROMISC", PacketMreqDescriptor.PACKET_MR_PROMISC);
    }

    @Test
    void ifreqPollfdAndVnetHeaderMatchKernelHeaders()
    {
        same("sizeof_ifreq", IfreqDescriptor.LENGTH);
        same("ifr_flags", IfreqDescriptor.FLAGS_OFFSET);
        same("IFNAMSIZ", IfreqDescriptor.NAME_LENGTH);
        same("sizeof_pollfd", PollFdDescriptor.LENGTH);
        same("pollfd_events", PollFdDescriptor.EVENTS_OFFSET);
        same("pollfd_revents", PollFdDescriptor.REVENTS_OFFSET);
        same("POLLIN", PollFdDescriptor.POLLIN);
        same("sizeof_virtio_net_hdr", VnetHeader.LENGTH);
        same("vnet_gso_type", VnetHeader.GSO_TYPE_OFFSET);
        same("vnet_hdr_len", VnetHeader.HDR_LEN_OFFSET);
        same("vnet_gso_size", VnetHeader.GSO_SIZE_OFFSET);
        same("vnet_csum_start", VnetHeader.CSUM_START_OFFSET);
        same("vnet_csum_offset", VnetHeader.CSUM_OFFSET_OFFSET);
        same("VIRTIO_NET_HDR_F_NEEDS_CSUM", VnetHeader.FLAG_NEEDS_CSUM);
        same("VIRTIO_NET_HDR_GSO_TCPV4", VnetHeader.GSO_TCPV4);
        same("VIRTIO_NET_HDR_GSO_TCPV6", VnetHeader.GSO_TCPV6);
    }

    @Test
    void tunAndSocketConstantsMatchHeaders()
    {
        same("TUNSETIFF", TapPort.TUNSETIFF);
        same("TUNSETOFFLOAD", TapPort.TUNSETOFFLOAD);
        same("TUNSETVNETHDRSZ", TapPort.TUNSETVNETHDRSZ);
        same("IFF_TAP", TapPort.IFF_TAP);
        same("IFF_NO_PI", TapPort.IFF_NO_PI);
        same("IFF_VNET_HDR", TapPort.IFF_VNET_HDR);
        same("TUN_F_CSUM", TapPort.TUN_F_CSUM);
        same("TUN_F_TSO4", TapPort.TUN_F_TSO4);
        same("TUN_F_TSO6", TapPort.TUN_F_TSO6);
        same("AF_PACKET", SocketOptions.AF_PACKET);
        same("SOCK_RAW", SocketOptions.SOCK_RAW);
        same("SOCK_NONBLOCK", SocketOptions.SOCK_NONBLOCK);
        same("ETH_P_ALL", SocketOptions.ETH_P_ALL);
        same("SOL_PACKET", SocketOptions.SOL_PACKET);
        same("PACKET_ADD_MEMBERSHIP", SocketOptions.PACKET_ADD_MEMBERSHIP);
        same("PACKET_RX_RING", SocketOptions.PACKET_RX_RING);
        same("PACKET_STATISTICS", SocketOptions.PACKET_STATISTICS);
        same("PACKET_VERSION", SocketOptions.PACKET_VERSION);
        same("PACKET_HDRLEN", SocketOptions.PACKET_HDRLEN);
        same("PACKET_TX_RING", SocketOptions.PACKET_TX_RING);
        same("PACKET_LOSS", SocketOptions.PACKET_LOSS);
        same("PACKET_VNET_HDR", SocketOptions.PACKET_VNET_HDR);
        same("PACKET_QDISC_BYPASS", SocketOptions.PACKET_QDISC_BYPASS);
        same("PACKET_IGNORE_OUTGOING", SocketOptions.PACKET_IGNORE_OUTGOING);
        same("MSG_DONTWAIT", Native.MSG_DONTWAIT);
        same("O_RDWR", Native.O_RDWR);
        same("O_NONBLOCK", Native.O_NONBLOCK);
        same("PROT_READ", Native.PROT_READ);
        same("PROT_WRITE", Native.PROT_WRITE);
        same("MAP_SHARED", Native.MAP_SHARED);
        same("EINTR", Native.EINTR);
        same("EAGAIN", Native.EAGAIN);
        same("ENOBUFS", Native.ENOBUFS);
    }

    @Test
    void runningKernelReportsTheTpacket2HeaderLength()
    {
        final int fd = LIBC.socket(SocketOptions.AF_PACKET, SocketOptions.SOCK_RAW, 0);
        assertTrue(fd >= 0, "socket errno " + Native.errno());
        try
        {
            final SocketOptions options = new SocketOptions(fd, "probe");
            options.scratch().putInt(0, Tpacket2Descriptor.TPACKET_V2);
            final int written = options.get(
                SocketOptions.SOL_PACKET, SocketOptions.PACKET_HDRLEN, Integer.BYTES, "PACKET_HDRLEN");
            assertEquals(Integer.BYTES, written);
            assertEquals(Tpacket2Descriptor.HEADER_LENGTH, options.result().getInt(0));
        }
        finally
        {
            LIBC.close(fd);
        }
    }

    @Test
    void nativeExceptionNamesCallErrnoAndSubject()
    {
        final NativeException ex = new NativeException("ioctl(TUNSETIFF)", 16, "jtx");
        assertEquals("ioctl(TUNSETIFF) failed for jtx: errno 16", ex.getMessage());
        assertEquals(16, ex.errno());
    }

    @Test
    void failedNativeCallCarriesTheRealErrno()
    {
        final NativeException ex = org.junit.jupiter.api.Assertions.assertThrows(
            NativeException.class, () -> PacketSocketPort.open("jtnosuchdev0"));
        assertEquals(19, ex.errno(), ex.getMessage()); // ENODEV from if_nametoindex
        assertTrue(ex.getMessage().contains("if_nametoindex") && ex.getMessage().contains("jtnosuchdev0"));
    }

    @Test
    void scratchIsNativeAndZeroed()
    {
        final Pointer p = Native.allocate(16);
        final UnsafeBuffer b = new UnsafeBuffer(p.address(), 16);
        assertEquals(0L, b.getLong(0));
        assertEquals(0L, b.getLong(8));
    }
}
