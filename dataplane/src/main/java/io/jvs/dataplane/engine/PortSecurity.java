package io.jvs.dataplane.engine;

import io.jvs.dataplane.parse.ArpHeader;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.Ipv6Header;
import io.jvs.dataplane.parse.MacAddress;
import org.agrona.DirectBuffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Anti-spoofing per port: a secured port sends only from the MAC and addresses jvs gave it. Frames from any other
 * source MAC, ARP that claims another sender (MAC or IPv4), IPv4 from another source address, IPv6 from another
 * source than the port's own address, a link-local one or the unspecified one (duplicate address detection), and
 * VLAN-tagged frames (which would carry any of those past this check) are dropped as {@link DropReason#SPOOFED}.
 * Other EtherTypes pass on the MAC check alone. Not covered: the target of IPv6 neighbour advertisements.
 * <p>
 * One table shared by every lane: the control thread writes a port's entry when it attaches the port and clears it
 * when it removes it; forwarding threads read it per frame (opaque reads of plain arrays: a lane sees the new entry
 * within a duty cycle, and a port moved between lanes keeps its entry). A MAC of 0 means not secured.
 */
public final class PortSecurity
{
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final long NOT_SECURED = 0;
    /** fe80::/10 in the top bits of an IPv6 address's first long. */
    private static final long LINK_LOCAL_PREFIX = 0xFE80_0000_0000_0000L;
    private static final long LINK_LOCAL_MASK = 0xFFC0_0000_0000_0000L;
    private static final int UNSPECIFIED_IPV4 = 0;

    /** Secures nothing: for agents not wired to a switch's table (tests, benchmarks). */
    public static final PortSecurity NONE = new PortSecurity(SwitchCounters.MAX_PORTS);

    private final long[] macs;
    private final int[] ipv4s;
    private final long[] ipv6Highs;
    private final long[] ipv6Lows;

    public PortSecurity(final int maxPorts)
    {
        macs = new long[maxPorts];
        ipv4s = new int[maxPorts];
        ipv6Highs = new long[maxPorts];
        ipv6Lows = new long[maxPorts];
    }

    /**
     * Secures a port: from now on it sends only from {@code mac}, IPv4 {@code ipv4} and IPv6 {@code ipv6High:ipv6Low}
     * (0:0 for none beyond link-local). Control thread.
     */
    public void secure(final int portId, final long mac, final int ipv4, final long ipv6High, final long ipv6Low)
    {
        if (mac == NOT_SECURED)
        {
            throw new IllegalArgumentException("a secured port needs its MAC");
        }
        INTS.setOpaque(ipv4s, portId, ipv4);
        LONGS.setOpaque(ipv6Highs, portId, ipv6High);
        LONGS.setOpaque(ipv6Lows, portId, ipv6Low);
        LONGS.setRelease(macs, portId, mac); // last: a reader that sees the MAC sees the addresses
    }

    /** Forgets a port's entry (it is removed, or no longer secured). Control thread. */
    public void clear(final int portId)
    {
        LONGS.setRelease(macs, portId, NOT_SECURED);
    }

    public boolean isSecured(final int portId)
    {
        return (long)LONGS.getOpaque(macs, portId) != NOT_SECURED;
    }

    /**
     * Whether a frame from {@code portId} with source {@code source} may enter; true for a port not secured.
     *
     * @param ethernet offset of the Ethernet header in {@code buffer}; {@code length} bytes from there are the frame.
     */
    public boolean permits(final int portId, final long source, final DirectBuffer buffer, final int ethernet,
        final int length)
    {
        final long mac = (long)LONGS.getAcquire(macs, portId);
        if (mac == NOT_SECURED)
        {
            return true;
        }
        if (source != mac)
        {
            return false;
        }
        final int l3 = ethernet + EthernetHeader.HEADER_LENGTH;
        final int l3Length = length - EthernetHeader.HEADER_LENGTH;
        final int etherType = buffer.getShort(ethernet + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        switch (etherType)
        {
            case EthernetHeader.ETHERTYPE_ARP:
            {
                if (l3Length < ArpHeader.LENGTH)
                {
                    return false;
                }
                final long senderMac = MacAddress.read(buffer, l3 + ArpHeader.SHA_OFFSET);
                final int senderIp = buffer.getInt(l3 + ArpHeader.SPA_OFFSET, ByteOrder.BIG_ENDIAN);
                return senderMac == mac &&
                    (senderIp == (int)INTS.getOpaque(ipv4s, portId) || senderIp == UNSPECIFIED_IPV4);
            }
            case EthernetHeader.ETHERTYPE_IPV4:
                return l3Length >= Ipv4Header.MIN_HEADER_LENGTH &&
                    buffer.getInt(l3 + Ipv4Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN) ==
                    (int)INTS.getOpaque(ipv4s, portId);
            case EthernetHeader.ETHERTYPE_IPV6:
            {
                if (l3Length < Ipv6Header.HEADER_LENGTH)
                {
                    return false;
                }
                final long high = buffer.getLong(l3 + Ipv6Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
                final long low = buffer.getLong(l3 + Ipv6Header.SOURCE_OFFSET + Long.BYTES, ByteOrder.BIG_ENDIAN);
                return (high & LINK_LOCAL_MASK) == LINK_LOCAL_PREFIX || (high == 0 && low == 0) ||
                    (high == (long)LONGS.getOpaque(ipv6Highs, portId) && low == (long)LONGS.getOpaque(ipv6Lows, portId)
                    && (high | low) != 0);
            }
            case EthernetHeader.ETHERTYPE_VLAN:
            case EthernetHeader.ETHERTYPE_QINQ:
                return false;
            default:
                return true;
        }
    }
}
