package io.jvs.control.it;

import io.jvs.tap.PacketSocketPort;
import io.jvs.tap.Poller;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The LAN side's 802.1Q switch for the VLAN test, because this machine's kernel has neither the 8021q module nor
 * the bridge (no {@code ip link add ... type vlan}): a trunk interface and one access interface per VLAN, frames
 * tagged on the way to the trunk and untagged on the way out of it, in one thread. Written independently of
 * jvs's VLAN code (it only shares the tap module's AF_PACKET port): the test trusts tcpdump, not this class, for
 * what the tags on the wire are.
 */
final class VlanTrunk implements AutoCloseable
{
    private static final int TPID = 0x8100;
    private static final int MAX = VnetHeader.LENGTH + 0x1_0000 + 64;

    private final PacketSocketPort trunk;
    private final PacketSocketPort[] access;
    private final int[] vids;
    private final UnsafeBuffer scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX));
    private final Thread thread;
    private volatile boolean running = true;
    final AtomicLong tagged = new AtomicLong();
    final AtomicLong untagged = new AtomicLong();

    /** @param accessByVid VLAN ID to the access interface's name (all in the caller's namespace, up). */
    VlanTrunk(final String trunkInterface, final Map<Integer, String> accessByVid)
    {
        trunk = PacketSocketPort.open(trunkInterface);
        access = new PacketSocketPort[accessByVid.size()];
        vids = new int[accessByVid.size()];
        int i = 0;
        for (final Map.Entry<Integer, String> e : accessByVid.entrySet())
        {
            vids[i] = e.getKey();
            access[i++] = PacketSocketPort.open(e.getValue());
        }
        thread = new Thread(this::run, "jm-vlan-trunk");
        thread.setDaemon(true);
        thread.start();
    }

    private void run()
    {
        try (Poller poller = new Poller(access.length + 1))
        {
            final int[] fds = new int[access.length + 1];
            fds[0] = trunk.fd();
            for (int i = 0; i < access.length; i++)
            {
                fds[i + 1] = access[i].fd();
            }
            poller.set(fds, fds.length);
            while (running)
            {
                int work = trunk.receive(this::fromTrunk, 64);
                for (int i = 0; i < access.length; i++)
                {
                    final int vid = vids[i];
                    work += access[i].receive((b, o, l) -> toTrunk(b, o, l, vid), 64);
                }
                trunk.flush();
                for (final PacketSocketPort p : access)
                {
                    p.flush();
                }
                if (work == 0)
                {
                    poller.await(10);
                }
            }
        }
    }

    private void fromTrunk(final DirectBuffer b, final int offset, final int length)
    {
        final int eth = offset + VnetHeader.LENGTH;
        if (length < VnetHeader.LENGTH + 18 || (b.getShort(eth + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF) != TPID)
        {
            return; // untagged: no access port for it
        }
        final int vid = b.getShort(eth + 14, ByteOrder.BIG_ENDIAN) & 0x0FFF;
        for (int i = 0; i < vids.length; i++)
        {
            if (vids[i] == vid)
            {
                scratch.putBytes(0, b, offset, VnetHeader.LENGTH + 12);
                scratch.putBytes(VnetHeader.LENGTH + 12, b, eth + 16, length - VnetHeader.LENGTH - 16);
                shift(-4);
                access[i].offer(scratch, 0, length - 4);
                untagged.incrementAndGet();
            }
        }
    }

    private void toTrunk(final DirectBuffer b, final int offset, final int length, final int vid)
    {
        scratch.putBytes(0, b, offset, VnetHeader.LENGTH + 12);
        scratch.putShort(VnetHeader.LENGTH + 12, (short)TPID, ByteOrder.BIG_ENDIAN);
        scratch.putShort(VnetHeader.LENGTH + 14, (short)vid, ByteOrder.BIG_ENDIAN);
        scratch.putBytes(VnetHeader.LENGTH + 16, b, offset + VnetHeader.LENGTH + 12, length - VnetHeader.LENGTH - 12);
        shift(4);
        trunk.offer(scratch, 0, length + 4);
        tagged.incrementAndGet();
    }

    /** csum_start and hdr_len count from the frame start: they move with the payload. */
    private void shift(final int delta)
    {
        if ((scratch.getByte(VnetHeader.FLAGS_OFFSET) & VnetHeader.FLAG_NEEDS_CSUM) != 0)
        {
            final int start = scratch.getShort(VnetHeader.CSUM_START_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            scratch.putShort(VnetHeader.CSUM_START_OFFSET, (short)(start + delta), ByteOrder.LITTLE_ENDIAN);
        }
        final int hdrLen = scratch.getShort(VnetHeader.HDR_LEN_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        if (hdrLen != 0)
        {
            scratch.putShort(VnetHeader.HDR_LEN_OFFSET, (short)(hdrLen + delta), ByteOrder.LITTLE_ENDIAN);
        }
    }

    @Override
    public void close()
    {
        running = false;
        try
        {
            thread.join(5_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        trunk.close();
        for (final PacketSocketPort p : access)
        {
            p.close();
        }
    }
}
