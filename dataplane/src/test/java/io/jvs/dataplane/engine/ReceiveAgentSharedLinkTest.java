package io.jvs.dataplane.engine;

import io.jvs.dataplane.testing.Frames;
import io.jvs.tap.FrameHandler;
import io.jvs.tap.PortFrameHandler;
import io.jvs.tap.SharedLink;
import io.jvs.tap.SharedLinkPort;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The receive agent and a socket several ports share ({@link SharedLink}): read once per cycle, each frame going
 * into the ring with its own port's id, counted under that port and its bridge domain; ports bound on add and
 * unbound on remove.
 */
class ReceiveAgentSharedLinkTest
{
    private static final int RING = 4096;

    private final OneToOneRingBuffer ring = new OneToOneRingBuffer(
        new UnsafeBuffer(ByteBuffer.allocateDirect(RING + RingBufferDescriptor.TRAILER_LENGTH)));
    private final SwitchCounters counters = new SwitchCounters();
    private final ReceiveAgent agent = new ReceiveAgent(ring, counters, 8, null);
    private final Link link = new Link();
    private final Member red = new Member("red", link);
    private final Member blue = new Member("blue", link);

    @Test
    void oneReadPerCycleHandsEachFrameOverWithItsPortsId()
    {
        agent.onPortAdded(5, red, 3);
        agent.onPortAdded(6, blue, 4);
        assertEquals(5, red.bound);
        assertEquals(6, blue.bound);
        final byte[] r1 = Frames.simple(0x0200_0000_0002L, 0x0200_0000_0001L, 1);
        final byte[] b1 = Frames.simple(0x0200_0000_0003L, 0x0200_0000_0001L, 2);
        final byte[] r2 = Frames.simple(0x0200_0000_0002L, 0x0200_0000_0001L, 3);
        link.arrive(red, r1);
        link.arrive(blue, b1);
        link.arrive(red, r2);

        assertEquals(3, agent.doWork());
        assertEquals(1, link.reads, "one read of the link for both of its ports");
        final List<Integer> types = new ArrayList<>();
        final List<byte[]> bodies = new ArrayList<>();
        assertEquals(3, ring.read((type, buffer, index, length) ->
        {
            types.add(type);
            final byte[] body = new byte[length - FrameRecord.HEADER_LENGTH];
            buffer.getBytes(index + FrameRecord.VNET_HEADER_OFFSET, body);
            bodies.add(body);
        }));
        assertEquals(List.of(5, 6, 5), types, "msgTypeId = each frame's own port, in arrival order");
        assertArrayEquals(r1, bodies.get(0));
        assertArrayEquals(b1, bodies.get(1));
        assertArrayEquals(r2, bodies.get(2));
        assertEquals(2, counters.port(5, SwitchCounters.RX_PACKETS));
        assertEquals(1, counters.port(6, SwitchCounters.RX_PACKETS));
        assertEquals(b1.length - VnetHeader.LENGTH, counters.port(6, SwitchCounters.RX_BYTES));
    }

    @Test
    void dropsAreChargedToTheFramesPortAndBridgeDomain()
    {
        agent.onPortAdded(5, red, 3);
        agent.onPortAdded(6, blue, 4);
        link.arrive(blue, new byte[RING]); // longer than the ring's longest message
        assertEquals(1, agent.doWork());
        assertEquals(1, counters.portDrops(6, DropReason.TOO_LONG));
        assertEquals(1, counters.bridgeDomainDrops(4, DropReason.TOO_LONG));
        assertEquals(0, counters.portDrops(5, DropReason.TOO_LONG));
        assertEquals(0, counters.bridgeDomainDrops(3, DropReason.TOO_LONG));
    }

    @Test
    void removingAPortUnbindsItAndTheLastOneStopsTheReads()
    {
        agent.onPortAdded(5, red, 3);
        agent.onPortAdded(6, blue, 4);
        agent.onPortRemoved(6);
        assertEquals(SharedLinkPort.UNBOUND, blue.bound, "nothing of it reaches the ring any more");
        assertEquals(5, red.bound);
        agent.doWork();
        assertEquals(1, link.reads, "still read for the other port");
        agent.onPortRemoved(5);
        assertEquals(SharedLinkPort.UNBOUND, red.bound);
        agent.doWork();
        assertEquals(1, link.reads, "not read once no port of it is attached");
        agent.onPortAdded(7, blue, 4);
        agent.doWork();
        assertEquals(2, link.reads);
    }

    /** Frames queued for members; hands each over with the id its member is bound with (none: dropped). */
    static final class Link implements SharedLink
    {
        final ArrayDeque<Object[]> queue = new ArrayDeque<>();
        int reads;

        void arrive(final Member member, final byte[] frame)
        {
            queue.add(new Object[]{member, frame});
        }

        public String name()
        {
            return "link";
        }

        public int fd()
        {
            return -1;
        }

        public int receive(final PortFrameHandler handler, final int limit)
        {
            reads++;
            int n = 0;
            while (n < limit && !queue.isEmpty())
            {
                final Object[] e = queue.poll();
                final int id = ((Member)e[0]).bound;
                final byte[] frame = (byte[])e[1];
                if (id != SharedLinkPort.UNBOUND)
                {
                    handler.onFrame(id, new UnsafeBuffer(frame), 0, frame.length);
                    n++;
                }
            }
            return n;
        }
    }

    static final class Member implements SharedLinkPort
    {
        private final String name;
        private final Link link;
        int bound = UNBOUND;

        Member(final String name, final Link link)
        {
            this.name = name;
            this.link = link;
        }

        public SharedLink sharedLink()
        {
            return link;
        }

        public void bindReceive(final int portId)
        {
            bound = portId;
        }

        public String name()
        {
            return name;
        }

        public int fd()
        {
            return -1;
        }

        public int receive(final FrameHandler handler, final int limit)
        {
            return 0;
        }

        public boolean offer(final DirectBuffer buffer, final int offset, final int length)
        {
            return true;
        }

        public int flush()
        {
            return 0;
        }

        public int maxFrameLength()
        {
            return 65_536;
        }

        public void close()
        {
        }
    }
}
