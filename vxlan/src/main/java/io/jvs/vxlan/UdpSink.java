package io.jvs.vxlan;

import io.jvs.dataplane.l3.Ipv4Addresses;
import jnr.ffi.Pointer;

import static io.jvs.vxlan.VxlanNative.*;

/**
 * Keeps the host kernel quiet about the VXLAN traffic jvs owns, without iptables.
 * <p>
 * jvs reads VXLAN frames off the underlay with AF_PACKET, which taps a copy: the kernel still delivers each
 * datagram to UDP, and with no socket on the port it answers with ICMP port unreachable (rate limited, but
 * visible to the peers and to anyone watching). This is a UDP socket bound to {@code localIp:port} so the kernel
 * finds an owner, with a one-instruction classic BPF filter ({@code ret #0}) attached <em>before</em> bind: the
 * kernel drops every datagram in {@code sk_filter()} without queueing it, so nothing has to drain the socket and
 * no memory is held. The same trick also claims the port, so a kernel vxlan device on it in this namespace
 * cannot come up by mistake (bind fails loudly here instead).
 * <p>
 * Cost: the kernel still runs IP/UDP input for each datagram (about what a drop rule would cost); that is the
 * price of sharing the host's address instead of owning a dedicated one.
 */
public final class UdpSink implements AutoCloseable
{
    private final int fd;
    private final String what;
    private final Pointer filter;
    private boolean closed;

    private UdpSink(final int fd, final String what, final Pointer filter)
    {
        this.fd = fd;
        this.what = what;
        this.filter = filter;
    }

    public static UdpSink bind(final int localIp, final int port)
    {
        final String what = "udp " + Ipv4Addresses.format(localIp) + ":" + port;
        final int fd = LIBC.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw failure("socket(AF_INET, SOCK_DGRAM)", what);
        }
        try
        {
            final Pointer filter = allocate(SOCK_FILTER_LENGTH);
            filter.putShort(0, BPF_RET_K);
            filter.putByte(2, (byte)0);
            filter.putByte(3, (byte)0);
            filter.putInt(4, 0);
            final Pointer program = allocate(SOCK_FPROG_LENGTH);
            program.putShort(0, (short)1);
            program.putAddress(FPROG_FILTER_OFFSET, filter.address());
            if (LIBC.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, program, SOCK_FPROG_LENGTH) != 0)
            {
                throw failure("setsockopt(SO_ATTACH_FILTER)", what);
            }
            final Pointer size = allocate(4);
            size.putInt(0, 0); // the kernel rounds up to its minimum
            if (LIBC.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, size, 4) != 0)
            {
                throw failure("setsockopt(SO_RCVBUF)", what);
            }
            final Pointer sin = allocate(SOCKADDR_IN_LENGTH);
            sin.putShort(SIN_FAMILY_OFFSET, (short)AF_INET);
            sin.putShort(SIN_PORT_OFFSET, LinkSocket.networkShort(port));
            sin.putInt(SIN_ADDR_OFFSET, LinkSocket.networkInt(localIp));
            if (LIBC.bind(fd, sin, SOCKADDR_IN_LENGTH) != 0)
            {
                throw failure("bind (is a kernel vxlan device or another VTEP using the port?)", what);
            }
            return new UdpSink(fd, what, filter);
        }
        catch (final RuntimeException ex)
        {
            LIBC.close(fd);
            throw ex;
        }
    }

    public int fd()
    {
        return fd;
    }

    public void close()
    {
        if (!closed)
        {
            closed = true;
            if (LIBC.close(fd) != 0)
            {
                throw failure("close", what);
            }
        }
    }

    public String toString()
    {
        return "UdpSink{" + what + " fd=" + fd + (filter == null ? "" : " filter=ret#0") + '}';
    }
}
