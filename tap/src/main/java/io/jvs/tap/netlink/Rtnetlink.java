package io.jvs.tap.netlink;

import io.jvs.tap.Native;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.jvs.tap.netlink.IfInfoDescriptor.IFF_UP;
import static io.jvs.tap.netlink.IfInfoDescriptor.IFLA_IFNAME;
import static io.jvs.tap.netlink.IfInfoDescriptor.IFLA_MTU;
import static io.jvs.tap.netlink.IfInfoDescriptor.RTM_NEWLINK;
import static io.jvs.tap.netlink.RouteDescriptor.RTA_OIF;
import static io.jvs.tap.netlink.RouteDescriptor.RTA_TABLE;
import static io.jvs.tap.netlink.RouteDescriptor.RTM_NEWROUTE;
import static io.jvs.tap.netlink.RouteDescriptor.RT_TABLE_MAIN;

/**
 * The link, address and route operations of the control path over one {@link NetlinkSocket}, so in that socket's
 * namespace: {@link RtnetlinkRequests} sent, answers decoded. Links are addressed by name where the kernel allows
 * it, so most operations are one round trip. Not thread-safe, as its socket.
 */
public final class Rtnetlink implements AutoCloseable
{
    /** One link of a dump. */
    public record Link(int index, String name, int mtu, int flags)
    {
        public boolean up()
        {
            return (flags & IFF_UP) != 0;
        }
    }

    /** fcntl.h: how a namespace file is opened to hand its fd to the kernel. */
    static final int O_RDONLY_CLOEXEC = 0x8_0000;

    private final NetlinkSocket socket;

    public Rtnetlink(final NetlinkSocket socket)
    {
        this.socket = socket;
    }

    /** Operations in the calling thread's namespace (the daemon's: the host). */
    public static Rtnetlink open()
    {
        return new Rtnetlink(NetlinkSocket.open());
    }

    /** Operations in the namespace of {@code namespaceFile}, e.g. /run/netns/NAME ({@link NetlinkSocket#openIn}). */
    public static Rtnetlink openIn(final Path namespaceFile)
    {
        return new Rtnetlink(NetlinkSocket.openIn(namespaceFile));
    }

    /**
     * A veth pair whose peer is born in the namespace of {@code peerNamespace} with its name, MAC and MTU, so nothing
     * half-made ever shows up in this one.
     */
    public void createVeth(final String name, final String peerName, final byte[] peerMac, final int mtu,
        final Path peerNamespace)
    {
        final int fd = Native.libc().open(peerNamespace.toString(), O_RDONLY_CLOEXEC);
        if (fd < 0)
        {
            throw new NetlinkException("RTM_NEWLINK " + name + ": open " + peerNamespace, Native.errno(), null);
        }
        try
        {
            createVeth(name, peerName, peerMac, mtu, fd);
        }
        finally
        {
            Native.libc().close(fd);
        }
    }

    /** See {@link RtnetlinkRequests#newVeth}. */
    public void createVeth(final String name, final String peerName, final byte[] peerMac, final int mtu,
        final int peerNamespaceFd)
    {
        RtnetlinkRequests.newVeth(socket.encoder("RTM_NEWLINK " + name), socket.nextSeq(), name, peerName, peerMac,
            mtu, peerNamespaceFd);
        socket.execute();
    }

    /** {@code ip link set NAME up}. */
    public void setUp(final String name)
    {
        RtnetlinkRequests.linkUp(socket.encoder("RTM_NEWLINK " + name + " up"), socket.nextSeq(), name);
        socket.execute();
    }

    /** {@code ip link set NAME mtu MTU}. */
    public void setMtu(final String name, final int mtu)
    {
        RtnetlinkRequests.linkMtu(socket.encoder("RTM_NEWLINK " + name + " mtu " + mtu), socket.nextSeq(), name, mtu);
        socket.execute();
    }

    /** {@code ip link set NAME address MAC}. */
    public void setMac(final String name, final byte[] mac)
    {
        RtnetlinkRequests.linkMac(socket.encoder("RTM_NEWLINK " + name + " address"), socket.nextSeq(), name, mac);
        socket.execute();
    }

    /** {@code ip link delete NAME} (a veth takes its peer along). @return false when there was no such link. */
    public boolean deleteLink(final String name)
    {
        RtnetlinkRequests.deleteLink(socket.encoder("RTM_DELLINK " + name), socket.nextSeq(), name);
        try
        {
            socket.execute();
            return true;
        }
        catch (final NetlinkException ex)
        {
            if (ex.errno() == Errno.ENODEV)
            {
                return false;
            }
            throw ex;
        }
    }

    /** @return the link's ifindex, or 0 when there is no such link. */
    public int index(final String name)
    {
        final Link link = getLink(0, name);
        return link == null ? 0 : link.index();
    }

    /** @return the link's ifindex; a missing link throws "RTM_GETLINK NAME: No such device (ENODEV)". */
    public int requireIndex(final String name)
    {
        final int index = index(name);
        if (index == 0)
        {
            throw new NetlinkException("RTM_GETLINK " + name, Errno.ENODEV, null);
        }
        return index;
    }

    /** @return the link with that ifindex, or null. */
    public Link link(final int index)
    {
        return getLink(index, null);
    }

    /** @return the link of that name, or null. */
    public Link link(final String name)
    {
        return getLink(0, name);
    }

    /** {@code ip link show}: every link of the namespace. */
    public List<Link> links()
    {
        RtnetlinkRequests.dumpLinks(socket.encoder("RTM_GETLINK dump"), socket.nextSeq());
        socket.dump();
        final List<Link> links = new ArrayList<>();
        for (int message = socket.nextInDump(); message >= 0; message = socket.nextInDump())
        {
            if (NetlinkDecoder.type(socket.answer(), message) == RTM_NEWLINK)
            {
                links.add(decodeLink(socket.answer(), message));
            }
        }
        return links;
    }

    /** {@code ip addr add ADDRESS/PREFIX dev DEVICE}; {@code what} names it in errors. */
    public void addIpv4Address(final int index, final int address, final int prefixLength, final String what)
    {
        RtnetlinkRequests.newIpv4Address(socket.encoder("RTM_NEWADDR " + what), socket.nextSeq(), index, address,
            prefixLength);
        socket.execute();
    }

    /** {@code ip route add default via GATEWAY dev DEVICE}; {@code what} names it in errors. */
    public void addIpv4DefaultRoute(final int gateway, final int index, final String what)
    {
        RtnetlinkRequests.newIpv4DefaultRoute(socket.encoder("RTM_NEWROUTE " + what), socket.nextSeq(), gateway,
            index);
        socket.execute();
    }

    /** {@code ip -6 addr add ADDRESS/PREFIX dev DEVICE nodad} (16 bytes); {@code what} names it in errors. */
    public void addIpv6Address(final int index, final byte[] address, final int prefixLength, final String what)
    {
        RtnetlinkRequests.newIpv6Address(socket.encoder("RTM_NEWADDR " + what), socket.nextSeq(), index, address,
            prefixLength);
        socket.execute();
    }

    /** {@code ip -6 route add default via GATEWAY dev DEVICE}; {@code what} names it in errors. */
    public void addIpv6DefaultRoute(final byte[] gateway, final int index, final String what)
    {
        RtnetlinkRequests.newIpv6DefaultRoute(socket.encoder("RTM_NEWROUTE " + what), socket.nextSeq(), gateway,
            index);
        socket.execute();
    }

    /** @return the ifindex of the main table's IPv6 default route ({@code ip -6 route show default}), or 0. */
    public int ipv6DefaultRouteIndex()
    {
        RtnetlinkRequests.dumpIpv6Routes(socket.encoder("RTM_GETROUTE dump"), socket.nextSeq());
        return defaultRouteOfDump();
    }

    /** @return the ifindex of the main table's IPv4 default route ({@code ip -4 route show default}), or 0. */
    public int ipv4DefaultRouteIndex()
    {
        RtnetlinkRequests.dumpIpv4Routes(socket.encoder("RTM_GETROUTE dump"), socket.nextSeq());
        return defaultRouteOfDump();
    }

    private int defaultRouteOfDump()
    {
        socket.dump();
        int found = 0;
        for (int message = socket.nextInDump(); message >= 0; message = socket.nextInDump())
        {
            // Read the dump to its end even once found, so the next request starts clean.
            if (found == 0)
            {
                found = defaultRouteIndex(socket.answer(), message);
            }
        }
        return found;
    }

    @Override
    public void close()
    {
        socket.close();
    }

    /** "aa:bb:cc:dd:ee:ff" as 6 bytes. */
    public static byte[] mac(final String text)
    {
        final String[] parts = text.split(":");
        if (parts.length != 6)
        {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        final byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++)
        {
            mac[i] = (byte)Integer.parseInt(parts[i], 16);
        }
        return mac;
    }

    /** A RTM_NEWLINK message as a {@link Link}. */
    static Link decodeLink(final UnsafeBuffer answer, final int message)
    {
        final int info = NetlinkDecoder.payload(message);
        final int attributes = info + IfInfoDescriptor.LENGTH;
        final int end = message + NetlinkDecoder.length(answer, message);
        final int name = NetlinkDecoder.find(answer, attributes, end, IFLA_IFNAME);
        final int mtu = NetlinkDecoder.find(answer, attributes, end, IFLA_MTU);
        return new Link(answer.getInt(info + IfInfoDescriptor.INDEX_OFFSET),
            name == NetlinkDecoder.NOT_FOUND ? "" : NetlinkDecoder.string(answer, name),
            mtu == NetlinkDecoder.NOT_FOUND ? 0 : NetlinkDecoder.intValue(answer, mtu),
            answer.getInt(info + IfInfoDescriptor.FLAGS_OFFSET));
    }

    /** The RTA_OIF of a main-table IPv4 default route message, else 0. */
    static int defaultRouteIndex(final UnsafeBuffer answer, final int message)
    {
        final int route = NetlinkDecoder.payload(message);
        final int attributes = route + RouteDescriptor.LENGTH;
        final int end = message + NetlinkDecoder.length(answer, message);
        if (NetlinkDecoder.type(answer, message) != RTM_NEWROUTE ||
            answer.getByte(route + RouteDescriptor.DST_LENGTH_OFFSET) != 0)
        {
            return 0;
        }
        final int tableAttribute = NetlinkDecoder.find(answer, attributes, end, RTA_TABLE);
        final int table = tableAttribute != NetlinkDecoder.NOT_FOUND ? NetlinkDecoder.intValue(answer, tableAttribute) :
            answer.getByte(route + RouteDescriptor.TABLE_OFFSET) & 0xFF;
        final int oif = NetlinkDecoder.find(answer, attributes, end, RTA_OIF);
        return table != RT_TABLE_MAIN || oif == NetlinkDecoder.NOT_FOUND ? 0 : NetlinkDecoder.intValue(answer, oif);
    }

    private Link getLink(final int index, final String name)
    {
        RtnetlinkRequests.getLink(socket.encoder("RTM_GETLINK " + (name != null ? name : index)), socket.nextSeq(),
            index, name);
        try
        {
            return decodeLink(socket.answer(), socket.get());
        }
        catch (final NetlinkException ex)
        {
            if (ex.errno() == Errno.ENODEV)
            {
                return null;
            }
            throw ex;
        }
    }
}
