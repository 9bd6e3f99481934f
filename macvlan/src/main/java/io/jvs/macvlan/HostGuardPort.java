package io.jvs.macvlan;

import io.jvs.dataplane.parse.ArpHeader;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.Ipv4Header;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * The host's own way into a LAN network (which Docker's macvlan lacks: the kernel never loops a macvlan parent's
 * frames back to its children). Wraps the switch end of a veth whose other end stays in the host's namespace with
 * /32 routes to the containers. Two rules keep it the host's door and nothing else:
 * <ul>
 *   <li>host to switch ({@link #receive}): only IPv4 whose source is one of the host's addresses, and ARP whose
 *       sender is. With IP forwarding on, the kernel would otherwise forward the LAN's packets for ipvlan
 *       containers (they reach the parent MAC) into this port and the containers would see every one twice.</li>
 *   <li>switch to host ({@link #offer}): only frames sourced from a container MAC; LAN broadcasts stay out.</li>
 * </ul>
 * The uplink's own rule (only container sources go to the LAN) keeps the host's ARP off the LAN, where it would
 * rebind the host's address to this veth's MAC.
 */
public final class HostGuardPort implements PacketPort, FrameHandler
{
    private final PacketPort inner;
    private final LanPort lan;
    private final int[] hostIps;

    // RX thread.
    private FrameHandler handler;
    private int passed;
    private long rxNotFromHost;
    // TX thread.
    private long txForeignSource;

    /**
     * @param inner   the switch end of the host veth.
     * @param lan     the network's uplink, whose members are the containers.
     * @param hostIps the host addresses allowed as sources (the parent's).
     */
    public HostGuardPort(final PacketPort inner, final LanPort lan, final int[] hostIps)
    {
        this.inner = inner;
        this.lan = lan;
        this.hostIps = hostIps.clone();
    }

    public String name()
    {
        return inner.name();
    }

    public int fd()
    {
        return inner.fd();
    }

    public int receive(final FrameHandler handler, final int limit)
    {
        this.handler = handler;
        passed = 0;
        try
        {
            inner.receive(this, limit);
        }
        finally
        {
            this.handler = null;
        }
        return passed;
    }

    public void onFrame(final DirectBuffer buffer, final int offset, final int length)
    {
        final int eth = offset + VnetHeader.LENGTH;
        final int l3 = eth + EthernetHeader.HEADER_LENGTH;
        int source = 0;
        boolean known = false;
        if (length >= VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH + ArpHeader.LENGTH)
        {
            final int type = buffer.getShort(eth + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if (type == EthernetHeader.ETHERTYPE_IPV4)
            {
                source = buffer.getInt(l3 + Ipv4Header.SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
                known = true;
            }
            else if (type == EthernetHeader.ETHERTYPE_ARP)
            {
                source = buffer.getInt(l3 + ArpHeader.SPA_OFFSET, ByteOrder.BIG_ENDIAN);
                known = true;
            }
        }
        if (known && isHostIp(source))
        {
            passed++;
            handler.onFrame(buffer, offset, length);
        }
        else
        {
            rxNotFromHost++;
        }
    }

    private boolean isHostIp(final int ip)
    {
        for (final int h : hostIps)
        {
            if (h == ip)
            {
                return true;
            }
        }
        return false;
    }

    public boolean offer(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH ||
            !lan.members().hasMac(MacAddress.read(buffer, offset + VnetHeader.LENGTH + EthernetHeader.SOURCE_OFFSET)))
        {
            txForeignSource++;
            return true;
        }
        return inner.offer(buffer, offset, length);
    }

    public int flush()
    {
        return inner.flush();
    }

    public int maxFrameLength()
    {
        return inner.maxFrameLength();
    }

    @Override
    public long ringBytes()
    {
        return inner.ringBytes();
    }

    /** Frames from the host side that were not the host's own (forwarded LAN traffic, IPv6, ...). */
    public long rxNotFromHost()
    {
        return rxNotFromHost;
    }

    /** Frames toward the host that no container sent (LAN broadcasts). */
    public long txForeignSource()
    {
        return txForeignSource;
    }

    public void close()
    {
        inner.close();
    }

    public String toString()
    {
        return "HostGuardPort{" + inner.name() + " notFromHost=" + rxNotFromHost + " foreign=" + txForeignSource + '}';
    }
}
