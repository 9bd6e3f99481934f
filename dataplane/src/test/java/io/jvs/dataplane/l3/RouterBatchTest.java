package io.jvs.dataplane.l3;

import io.jvs.dataplane.engine.L3Output;
import io.jvs.dataplane.nat.ConnTable;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.nat.NatEntry;
import io.jvs.dataplane.parse.MacAddress;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.jvs.dataplane.l3.L3Frames.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batch path ({@link Router#queueFrame} + {@link Router#endBatch}) must do exactly what frame-by-frame handling
 * does: two routers, same configuration, same random traffic (new and known flows, replies, repeats of a new flow
 * inside one batch, ARP, ICMP echo, fragments, truncated frames, connections expiring between batches), one fed
 * frame by frame, the other in random batches of 1 to 100 frames; every emitted frame, counter and connection
 * must be the same. Both with the batch's lookups made at once (as for a large table) and without.
 */
class RouterBatchTest
{
    private static final int LEG_PORT = 1;
    private static final int UPLINK_PORT = 2;
    private static final int BD = 1;
    private static final long GW_MAC = MacAddress.parse("02:6a:76:00:00:01");
    private static final long UPLINK_MAC = MacAddress.parse("02:6a:76:00:00:00");
    private static final long OUT_MAC = MacAddress.parse("02:00:00:00:00:99");
    private static final int GW = ip("10.78.0.1");
    private static final int UPLINK = ip("10.77.0.2");
    private static final int OUT = ip("10.77.0.1");
    private static final int CONTAINERS = 8;
    private static final int REMOTES = 12;

    /** Records what the router emits, as bytes. */
    static final class Recorder implements L3Output
    {
        final List<String> out = new ArrayList<>();

        public void injectBridged(final int legPort, final MutableDirectBuffer buffer, final int offset,
            final int length)
        {
            record("leg" + legPort, buffer, offset, length);
        }

        public boolean transmitRouted(final int port, final MutableDirectBuffer buffer, final int offset,
            final int length)
        {
            record("port" + port, buffer, offset, length);
            return true;
        }

        private void record(final String where, final MutableDirectBuffer buffer, final int offset, final int length)
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            out.add(where + " " + Arrays.toString(bytes));
        }
    }

    private static Router router(final Recorder recorder)
    {
        final Router router = new Router(NatConfig.defaults().withCapacity(2048), new RouterCounters());
        router.output(recorder);
        router.clock(TimeUnit.SECONDS.toNanos(1));
        router.addLeg(BD, LEG_PORT, GW_MAC, GW, 24, false);
        router.setUplink(UPLINK_PORT, UPLINK_MAC, UPLINK, 24, OUT);
        return router;
    }

    private static int container(final int i)
    {
        return ip("10.78.0.10") + i;
    }

    private static long containerMac(final int i)
    {
        return MacAddress.parse("02:00:00:00:01:00") + i;
    }

    /** One random frame: {true if from the uplink, bytes}. */
    private static Object[] randomFrame(final SplittableRandom random, final List<long[]> replies)
    {
        final int c = random.nextInt(CONTAINERS);
        final int remote = ip("198.18.0.1") + random.nextInt(REMOTES);
        final int sport = 40000 + random.nextInt(4);
        final int kind = random.nextInt(100);
        if (kind < 40)
        {
            final byte[] l4 = random.nextBoolean() ? L3Frames.udp(sport, 53, 10) :
                L3Frames.tcp(sport, 443, random.nextInt(4) == 0 ? 0x02 : 0x10, 6);
            final int protocol = l4.length == 18 ? 17 : 6;
            return new Object[] {false, L3Frames.frame(GW_MAC, containerMac(c),
                L3Frames.ipv4(protocol, container(c), remote, 64, l4))};
        }
        if (kind < 75 && !replies.isEmpty())
        {
            // A reply on a connection known at the start of the batch (it may expire or be a miss by now).
            final long[] r = replies.get(random.nextInt(replies.size()));
            final int protocol = ConnTable.protocol(r[1]);
            final int from = ConnTable.sourcePort(r[1]);
            final int natPort = ConnTable.destinationPort(r[1]) + (random.nextInt(10) == 0 ? 1 : 0);
            final byte[] l4 = protocol == 17 ? L3Frames.udp(from, natPort, 10) :
                protocol == 6 ? L3Frames.tcp(from, natPort, random.nextInt(8) == 0 ? 0x01 : 0x10, 6) :
                L3Frames.icmpEcho(0, natPort, 2);
            return new Object[] {true, L3Frames.frame(UPLINK_MAC, OUT_MAC,
                L3Frames.ipv4(protocol, ConnTable.sourceIp(r[0]), UPLINK, 64, l4))};
        }
        if (kind < 82)
        {
            return new Object[] {false, L3Frames.frame(GW_MAC, containerMac(c),
                L3Frames.ipv4(1, container(c), remote, 64, L3Frames.icmpEcho(8, 7 + random.nextInt(2), 1)))};
        }
        if (kind < 86)
        {
            return new Object[] {true, L3Frames.frame(UPLINK_MAC, OUT_MAC,
                L3Frames.ipv4(1, remote, UPLINK, 64, L3Frames.icmpEcho(0, 32768 + random.nextInt(4), 1)))};
        }
        if (kind < 90)
        {
            return new Object[] {false, L3Frames.arp(1, containerMac(c), container(c), 0, GW, MacAddress.BROADCAST)};
        }
        if (kind < 93)
        {
            return new Object[] {true, L3Frames.arp(2, OUT_MAC, OUT, UPLINK_MAC, UPLINK, UPLINK_MAC)};
        }
        final byte[] f = L3Frames.frame(GW_MAC, containerMac(c),
            L3Frames.ipv4(17, container(c), remote, 64, L3Frames.udp(sport, 53, 10)));
        if (kind < 96)
        {
            f[L3Frames.IP + 6] = 0x20; // more fragments
            return new Object[] {false, f};
        }
        if (kind < 98)
        {
            f[L3Frames.IP] = 0x4F; // IHL beyond the frame
            return new Object[] {false, f};
        }
        return new Object[] {false, Arrays.copyOf(f, L3Frames.IP + 22)}; // truncated UDP header
    }

    @Test
    void batchesWithLookupsAtOnceDoWhatFrameByFrameDoes()
    {
        compare(0);
    }

    @Test
    void smallTableBatchesDoWhatFrameByFrameDoes()
    {
        compare(Router.BATCH_LOOKUP_MIN_CONNECTIONS);
    }

    private static void compare(final int batchLookupMinConnections)
    {
        final SplittableRandom random = new SplittableRandom(61);
        final Recorder single = new Recorder();
        final Recorder batched = new Recorder();
        final Router a = router(single);
        final Router b = router(batched);
        b.batchLookupMinConnections(batchLookupMinConnections);
        long now = TimeUnit.SECONDS.toNanos(1);
        int frames = 0;
        for (int round = 0; round < 400; round++)
        {
            if (random.nextInt(20) == 0)
            {
                now += TimeUnit.SECONDS.toNanos(31 + random.nextInt(100)); // UDP/ICMP entries expire
            }
            a.clock(now);
            b.clock(now);
            final int batch = 1 + random.nextInt(100);
            final List<UnsafeBuffer> held = new ArrayList<>();
            final List<long[]> replies = new ArrayList<>();
            final ConnTable conns = a.connTable();
            for (int r = 0; r < conns.capacity(); r++)
            {
                if (conns.inUse(r))
                {
                    replies.add(new long[] {conns.tupleA(r, 1), conns.tupleB(r, 1)});
                }
            }
            for (int i = 0; i < batch; i++)
            {
                final Object[] frame = randomFrame(random, replies);
                final boolean routed = (Boolean)frame[0];
                final byte[] bytes = (byte[])frame[1];
                final int port = routed ? UPLINK_PORT : LEG_PORT;
                final UnsafeBuffer one = new UnsafeBuffer(bytes.clone());
                if (routed)
                {
                    a.onRoutedFrame(port, one, 0, bytes.length);
                }
                else
                {
                    a.onBridgedFrame(port, one, 0, bytes.length);
                }
                final UnsafeBuffer other = new UnsafeBuffer(bytes.clone());
                held.add(other);
                b.queueFrame(routed, port, other, 0, bytes.length);
                frames++;
            }
            b.endBatch();
            assertEquals(single.out.size(), batched.out.size(), "frames out after round " + round);
        }
        assertEquals(single.out, batched.out);
        assertEquals(a.counters().snapshot(), b.counters().snapshot());
        final List<NatEntry> left = a.snapshot(now);
        assertEquals(left, b.snapshot(now));
        assertTrue(a.counters().get(RouterCounter.NAT_TRANSLATED) > frames / 2,
            "traffic mostly translated: " + a.counters().snapshot());
        assertTrue(a.counters().get(RouterCounter.NAT_EXPIRED) > 0, "some connections expired");
        assertTrue(a.counters().get(RouterCounter.DROP_NAT_MISS) > 0, "some replies missed");
        assertTrue(a.counters().get(RouterCounter.NAT_CREATED) > 50, a.counters().snapshot().toString());
    }
}
