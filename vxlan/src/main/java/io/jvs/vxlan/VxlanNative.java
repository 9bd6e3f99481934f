package io.jvs.vxlan;

import io.jvs.tap.LibC;
import io.jvs.tap.Native;
import io.jvs.tap.NativeException;
import jnr.ffi.Pointer;

/**
 * The tap module's {@link LibC} binding ({@link Native#libc()}: one per process) for vxlan's control-path sockets
 * (ARP sender, UDP sink), and the socket constants they need (linux/socket.h, linux/if_packet.h, linux/filter.h, netinet/in.h).
 */
final class VxlanNative
{
    static final LibC LIBC = Native.libc();

    static final int AF_INET = 2;
    static final int AF_PACKET = 17;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_RCVBUF = 8;
    static final int SO_ATTACH_FILTER = 26;

    /** struct sockaddr_ll (20 bytes): family u16 @0, protocol be16 @2, ifindex i32 @4, ... */
    static final int SOCKADDR_LL_LENGTH = 20;
    static final int SLL_FAMILY_OFFSET = 0;
    static final int SLL_PROTOCOL_OFFSET = 2;
    static final int SLL_IFINDEX_OFFSET = 4;

    /** struct sockaddr_in (16 bytes): family u16 @0, port be16 @2, addr be32 @4, zero[8]. */
    static final int SOCKADDR_IN_LENGTH = 16;
    static final int SIN_FAMILY_OFFSET = 0;
    static final int SIN_PORT_OFFSET = 2;
    static final int SIN_ADDR_OFFSET = 4;

    /** struct sock_filter (8 bytes): code u16 @0, jt u8 @2, jf u8 @3, k u32 @4. */
    static final int SOCK_FILTER_LENGTH = 8;
    /** struct sock_fprog (16 bytes on 64-bit): len u16 @0, filter pointer @8. */
    static final int SOCK_FPROG_LENGTH = 16;
    static final int FPROG_FILTER_OFFSET = 8;
    /** BPF_RET | BPF_K: "return k" — with k = 0, accept 0 bytes, i.e. drop. */
    static final short BPF_RET_K = 0x06;

    private VxlanNative()
    {
    }

    static Pointer allocate(final int size)
    {
        return Native.allocate(size);
    }

    static NativeException failure(final String call, final String subject)
    {
        return Native.failure(call, subject);
    }
}
