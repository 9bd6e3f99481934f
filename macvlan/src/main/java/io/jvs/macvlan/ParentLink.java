package io.jvs.macvlan;

import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.PortFrameHandler;
import io.jvs.tap.RingConfig;
import io.jvs.tap.SharedLink;
import io.jvs.tap.SharedLinkPort;
import io.jvs.tap.VnetHeader;
import io.jvs.tap.counters.Counter;
import io.jvs.tap.counters.CounterTable;
import io.jvs.tap.counters.CountersRegistry;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One parent interface shared by every LAN network on it: a single AF_PACKET socket (TPACKET_V2 rings, vnet hdr,
 * promiscuous) demultiplexed by 802.1Q VLAN ID into one {@link LanPort} per network, the way {@code Vtep}
 * demultiplexes an underlay by VNI. VID 0 is the untagged network.
 * <pre>
 *                   switch RX thread                                  switch TX thread
 *  parent --receive--> ParentLink.onFrame                            LanPort.offer
 *  (tag back in the   |  VID -> LanPort (volatile array of 4095)      |  mode rules (filter / rewrite)
 *   frame, see        |  strip the tag in place                       |  tag (copy into scratch)
 *   PacketSocketPort) |  LanPort.inbound: mode rules (filter/rewrite) +--> parent.offer (TX ring), flush
 *                     +--> the switch's ring, in place, with that LanPort's id
 * </pre>
 * The switch reads the link as a {@link SharedLink}: once per duty cycle, whatever the number of networks on it,
 * every frame going to the switch with its port's id ({@link LanPort#bindReceive}).
 * Threads: the link is read by one thread, which also binds its ports, and its ports are fed by one thread (the
 * switch's SHARED and DEDICATED modes both fit). Configuration calls are synchronized and may allocate.
 */
public final class ParentLink implements SharedLink, FrameHandler, AutoCloseable
{
    public static final int UNTAGGED = 0;
    private static final int VID_SLOTS = VlanTag.MAX_VID + 1;
    static final int MAX_RX_RECORD = VnetHeader.LENGTH + 0x1_0000 + 64;

    /** LAN frames this link left to the host: no network on their VLAN, or too short to tell. */
    public enum Ignored implements Counter
    {
        NO_NETWORK, TOO_SHORT, OTHER_TPID;
    }

    private final String name;
    private final PacketPort parent;
    private final long parentMac;
    private final UnsafeBuffer rxCopy = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_RX_RECORD));

    // Control state, guarded by this.
    private final LanPort[] ports = new LanPort[VID_SLOTS];
    private int portCount;
    private boolean closed;

    // Published to the RX thread.
    private volatile LanPort[] byVid = new LanPort[VID_SLOTS];

    // RX thread.
    private PortFrameHandler handler;
    private int delivered; // handed over: the work count of one read
    /** One {@link Ignored} record in the counters registry, written by the RX thread. */
    private final CounterTable ignored;
    /** Where this link's and its ports' counters are (the switch's registry in the daemon). */
    private final CountersRegistry counters;

    private ParentLink(
        final String name, final PacketPort parent, final long parentMac, final CountersRegistry counters)
    {
        this.counters = counters;
        this.ignored = counters.newRecord(Ignored.class, "parent " + name, 0, 0);
        this.name = name;
        this.parent = parent;
        this.parentMac = parentMac;
    }

    /**
     * Opens the AF_PACKET socket on the real interface (its MAC from sysfs) with {@code ring}'s RX ring and TX slots
     * that hold a GSO frame (one socket for every port on the parent, and a NIC sends from the slot's pages);
     * counters go to {@code counters}.
     */
    public static ParentLink open(final String interfaceName, final RingConfig ring, final CountersRegistry counters)
    {
        final long mac = MacAddress.parse(readSysfs(interfaceName, "address"));
        return new ParentLink(interfaceName, PacketSocketPort.open(interfaceName, ring.withLargeTxSlots()), mac,
            counters);
    }

    /** Over any port (tests), with counters of its own: room for the link's record and a few hundred ports'. */
    public static ParentLink create(final String name, final PacketPort parent, final long parentMac)
    {
        return new ParentLink(name, parent, parentMac, new CountersRegistry(512, 512 * 192));
    }

    static String readSysfs(final String dev, final String attribute)
    {
        try
        {
            return Files.readString(Path.of("/sys/class/net", dev, attribute)).trim();
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read " + attribute + " of " + dev + ": " + ex, ex);
        }
    }

    public String name()
    {
        return name;
    }

    public long parentMac()
    {
        return parentMac;
    }

    PacketPort parent()
    {
        return parent;
    }

    // ---------------------------------------------------------------- control

    /** A port for {@code config.vid()} (0: untagged); refused when that VID already has one. */
    public synchronized LanPort openPort(final LanPortConfig config)
    {
        if (closed)
        {
            throw new IllegalStateException("parent link closed: " + name);
        }
        final int vid = config.vid();
        if (vid != UNTAGGED && !VlanTag.isValidVid(vid))
        {
            throw new IllegalArgumentException("vid=" + vid);
        }
        if (null != ports[vid])
        {
            throw new IllegalArgumentException((vid == UNTAGGED ? "untagged traffic" : "VLAN " + vid) + " of " +
                name + " already belongs to port " + ports[vid].name());
        }
        final LanPort port = new LanPort(this, config, counters.newRecord(LanCounter.class, config.name(), vid, 0));
        ports[vid] = port;
        portCount++;
        publish();
        return port;
    }

    synchronized void onPortClosed(final LanPort port, final CounterTable portCounters)
    {
        counters.free(portCounters);
        if (ports[port.vid()] == port)
        {
            ports[port.vid()] = null;
            portCount--;
            publish();
        }
    }

    /** Ports still open on this link; the owner closes the link when it drops to 0. */
    public synchronized int portCount()
    {
        return portCount;
    }

    public synchronized List<LanPort> ports()
    {
        final List<LanPort> list = new ArrayList<>();
        for (final LanPort p : ports)
        {
            if (null != p)
            {
                list.add(p);
            }
        }
        return list;
    }

    private void publish()
    {
        byVid = ports.clone();
    }

    // ---------------------------------------------------------------- RX thread

    /**
     * Reads up to {@code limit} frames off the parent: each network's frames go to the handler, in place, with the
     * id its port was bound with.
     *
     * @return frames handed to the handler.
     */
    public int receive(final PortFrameHandler handler, final int limit)
    {
        this.handler = handler;
        delivered = 0;
        try
        {
            parent.receive(this, limit);
        }
        finally
        {
            this.handler = null;
        }
        return delivered;
    }

    public void onFrame(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH)
        {
            ignored.incrementCounter(0, Ignored.TOO_SHORT.ordinal());
            return;
        }
        final int eth = offset + VnetHeader.LENGTH;
        final int type = buffer.getShort(eth + EthernetHeader.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        int vid = UNTAGGED;
        if (type == VlanTag.TPID)
        {
            if (length < VnetHeader.LENGTH + EthernetHeader.HEADER_LENGTH + VlanTag.LENGTH)
            {
                ignored.incrementCounter(0, Ignored.TOO_SHORT.ordinal());
                return;
            }
            vid = buffer.getShort(eth + VlanTag.TCI_OFFSET, ByteOrder.BIG_ENDIAN) & VlanTag.VID_MASK;
        }
        else if (type == EthernetHeader.ETHERTYPE_QINQ)
        {
            ignored.incrementCounter(0, Ignored.OTHER_TPID.ordinal());
            return;
        }
        if (vid > VlanTag.MAX_VID)
        {
            ignored.incrementCounter(0, Ignored.NO_NETWORK.ordinal());
            return;
        }
        final LanPort port = byVid[vid];
        if (null == port)
        {
            ignored.incrementCounter(0, Ignored.NO_NETWORK.ordinal());
            return;
        }
        final MutableDirectBuffer b;
        int at;
        if (buffer instanceof MutableDirectBuffer)
        {
            b = (MutableDirectBuffer)buffer; // the RX slot is ours until it goes back to the kernel
            at = offset;
        }
        else
        {
            if (length > rxCopy.capacity())
            {
                ignored.incrementCounter(0, Ignored.TOO_SHORT.ordinal());
                return;
            }
            rxCopy.putBytes(0, buffer, offset, length);
            b = rxCopy;
            at = 0;
        }
        int recordLength = length;
        if (type == VlanTag.TPID) // also a priority-only tag (VID 0) on the untagged network
        {
            at = VlanTag.stripInPlace(b, at);
            recordLength -= VlanTag.LENGTH;
        }
        if (!port.inbound(b, at, recordLength))
        {
            return;
        }
        final int portId = port.receiveId();
        if (portId == SharedLinkPort.UNBOUND)
        {
            port.countDetached();
            return;
        }
        delivered++;
        port.countRx(recordLength);
        handler.onFrame(portId, b, at, recordLength);
    }

    public long ignored(final Ignored reason)
    {
        return ignored.get(0, reason);
    }

    // ---------------------------------------------------------------- lifecycle

    public int fd()
    {
        return parent.fd();
    }

    /** Closes the parent socket. Let the switch close (remove) every port first. */
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            counters.free(ignored);
            parent.close();
        }
    }

    public String toString()
    {
        return "ParentLink{" + name + " mac=" + MacAddress.toString(parentMac) + " ports=" + portCount + '}';
    }
}
