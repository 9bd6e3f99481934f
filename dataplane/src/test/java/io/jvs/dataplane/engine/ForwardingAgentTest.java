package io.jvs.dataplane.engine;

import io.jvs.dataplane.mac.MacTable;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.dataplane.testing.Frames;
import io.jvs.dataplane.testing.MemoryPort;
import io.jvs.tap.VnetHeader;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forwarding agent alone, driven by hand on the test thread (records written into its ring as the receive
 * agent writes them, a clock the test sets): each branch of the L2 pipeline, its counters, batching and flushes,
 * aging, latency, and the hand-over to and from an L3 handler. SwitchTest covers the same through real threads;
 * this one can say exactly which counter moved, and it is fast enough for mutation testing.
 */
class ForwardingAgentTest
{
    private static final long SECOND = 1_000_000_000L;
    private static final long AGING = 8 * SECOND;
    private static final int BATCH = 4;
    private static final int BD = 1;
    private static final int OTHER_BD = 2;
    private static final long A = 0x0200_0000_000AL;
    private static final long B = 0x0200_0000_000BL;
    private static final long C = 0x0200_0000_000CL;
    private static final long X = 0x0200_0000_00EEL;
    private static final int FRAME = Frames.simple(B, A, 0).length;

    private final OneToOneRingBuffer ring = new OneToOneRingBuffer(
        new UnsafeBuffer(ByteBuffer.allocateDirect((1 << 16) + RingBufferDescriptor.TRAILER_LENGTH)));
    private final SwitchCounters counters = new SwitchCounters();
    private final SingleWriterRecorder latency = ForwardingAgent.newLatencyRecorder();
    private long now = SECOND;
    private final MemoryPort p1 = new MemoryPort("p1");
    private final MemoryPort p2 = new MemoryPort("p2");
    private final MemoryPort p3 = new MemoryPort("p3");
    private final MemoryPort p4 = new MemoryPort("p4");

    private ForwardingAgent agent(final int macCapacity, final L3Handler l3)
    {
        final ForwardingAgent agent = new ForwardingAgent(
            ring, counters, new MacTable(macCapacity, 16, AGING), BATCH, () -> now, latency, l3);
        agent.onBridgeDomainCreated(BD);
        agent.onBridgeDomainCreated(OTHER_BD);
        agent.onPortAdded(1, p1, BD, new int[] {1});
        agent.onPortAdded(2, p2, BD, new int[] {1, 2});
        agent.onPortAdded(3, p3, BD, new int[] {1, 2, 3});
        agent.onPortAdded(4, p4, OTHER_BD, new int[] {4});
        return agent;
    }

    private ForwardingAgent agent()
    {
        return agent(64, null);
    }

    /** A ring record as the receive agent writes it: [RX time][vnet header][Ethernet]. */
    private void receive(final int port, final byte[] vnetFrame, final long rxTime)
    {
        final UnsafeBuffer record = new UnsafeBuffer(new byte[FrameRecord.HEADER_LENGTH + vnetFrame.length]);
        record.putLong(FrameRecord.RX_TIME_OFFSET, rxTime);
        record.putBytes(FrameRecord.VNET_HEADER_OFFSET, vnetFrame);
        assertTrue(ring.write(port, record, 0, record.capacity()));
    }

    private void receive(final int port, final long dst, final long src, final int marker)
    {
        receive(port, Frames.simple(dst, src, marker), System.nanoTime());
    }

    private static List<Integer> markers(final MemoryPort port)
    {
        final List<Integer> markers = new ArrayList<>();
        for (byte[] f; null != (f = port.sent().poll()); )
        {
            markers.add(Frames.marker(f));
        }
        return markers;
    }

    private long bd(final int field)
    {
        return counters.bridgeDomain(BD, field);
    }

    @Test
    void floodsUnknownToEveryOtherMemberThenSendsKnownToItsPortOnly()
    {
        final ForwardingAgent agent = agent();
        receive(1, B, A, 1);
        assertEquals(1, agent.doWork());
        assertEquals(List.of(), markers(p1), "never back out of the ingress");
        assertEquals(List.of(1), markers(p2));
        assertEquals(List.of(1), markers(p3));
        assertEquals(List.of(), markers(p4), "another bridge domain");
        assertEquals(1, bd(SwitchCounters.BD_FLOODED));
        assertEquals(0, bd(SwitchCounters.BD_FORWARDED));
        assertEquals(1, bd(SwitchCounters.BD_LEARNED));
        assertEquals(1, bd(SwitchCounters.BD_MAC_ENTRIES));
        assertEquals(1, agent.macTable().lookup(BD, A));

        receive(2, A, B, 2);
        agent.doWork();
        assertEquals(List.of(2), markers(p1));
        assertEquals(List.of(), markers(p3), "known unicast is not flooded");
        assertEquals(1, bd(SwitchCounters.BD_FORWARDED));
        assertEquals(1, bd(SwitchCounters.BD_FLOODED));
        assertEquals(2, bd(SwitchCounters.BD_MAC_ENTRIES));
        assertEquals(1, counters.port(1, SwitchCounters.TX_PACKETS));
        assertEquals(FRAME - VnetHeader.LENGTH, counters.port(1, SwitchCounters.TX_BYTES));
        assertEquals(1, counters.port(3, SwitchCounters.TX_PACKETS), "the flood only");
    }

    @Test
    void broadcastIsFloodedEvenToALearnedDestination()
    {
        final ForwardingAgent agent = agent();
        agent.macTable().putStatic(BD, MacAddress.BROADCAST, 3, 0); // no lookup for group addresses
        receive(1, MacAddress.BROADCAST, A, 1);
        agent.doWork();
        assertEquals(List.of(1), markers(p2));
        assertEquals(List.of(1), markers(p3));
        assertEquals(1, bd(SwitchCounters.BD_FLOODED));
    }

    @Test
    void malformedInvalidSourceSamePortIsolationAndUnknownIngressAreCounted()
    {
        final ForwardingAgent agent = agent();
        receive(1, new byte[VnetHeader.LENGTH + 13], 0); // one byte short of an Ethernet header
        receive(1, new byte[VnetHeader.LENGTH - 1], 0); // not even a vnet header
        receive(1, Frames.simple(B, 0x0100_5E00_0001L, 1), 0); // multicast source
        receive(1, Frames.simple(B, 0, 2), 0); // zero source
        agent.doWork();
        assertEquals(2, counters.port(1, SwitchCounters.PORT_MALFORMED));
        assertEquals(2, bd(SwitchCounters.BD_MALFORMED));
        assertEquals(2, counters.port(1, SwitchCounters.PORT_INVALID_SOURCE));
        assertEquals(2, bd(SwitchCounters.BD_INVALID_SOURCE));
        assertEquals(0, agent.macTable().size(), "nothing learned from them");
        assertEquals(0, bd(SwitchCounters.BD_FLOODED));

        receive(1, B, A, 3); // learns A on port 1
        receive(1, A, C, 4); // A is on the ingress itself
        agent.macTable().putStatic(BD, X, 4, 0); // a port of another domain
        receive(1, X, A, 5);
        agent.doWork();
        assertEquals(1, counters.port(1, SwitchCounters.PORT_SAME_PORT));
        assertEquals(1, bd(SwitchCounters.BD_SAME_PORT));
        assertEquals(1, counters.port(1, SwitchCounters.PORT_ISOLATION));
        assertEquals(1, bd(SwitchCounters.BD_ISOLATION));
        assertEquals(List.of(3), markers(p2), "only the flood left");
        assertEquals(List.of(), markers(p4));

        receive(9, B, A, 6); // never added
        receive(SwitchCounters.MAX_PORTS, B, A, 7); // not even a port id
        agent.doWork();
        assertEquals(2, counters.bridgeDomain(0, SwitchCounters.BD_UNKNOWN_INGRESS));
        assertEquals(List.of(), markers(p2));
    }

    @Test
    void tooLongAndFullEgressPortsAreDropsOnTheEgressAndTheFloodGoesOn()
    {
        p2.maxFrameLength(FRAME - 1);
        p3.maxFrameLength(FRAME); // exactly fits
        final ForwardingAgent agent = agent();
        receive(1, B, A, 1);
        agent.doWork();
        assertEquals(1, counters.port(2, SwitchCounters.PORT_TX_TOO_LONG));
        assertEquals(1, bd(SwitchCounters.BD_TX_TOO_LONG));
        assertEquals(0, counters.port(2, SwitchCounters.TX_PACKETS));
        assertEquals(List.of(1), markers(p3));
        assertEquals(1, latency.getIntervalHistogram().getTotalCount());

        p3.txLimit(0);
        receive(1, B, A, 2);
        agent.doWork();
        assertEquals(1, counters.port(3, SwitchCounters.PORT_TX_FULL), "counted on the egress port");
        assertEquals(1, bd(SwitchCounters.BD_TX_FULL));
        assertEquals(1, counters.port(3, SwitchCounters.TX_PACKETS), "the first frame only");
        assertEquals(2, bd(SwitchCounters.BD_FLOODED));
        assertEquals(0, latency.getIntervalHistogram().getTotalCount(), "a frame sent nowhere has no latency");

        agent.macTable().putStatic(BD, C, 3, 0);
        receive(1, C, A, 3);
        agent.doWork();
        assertEquals(2, counters.port(3, SwitchCounters.PORT_TX_FULL));
        assertEquals(0, bd(SwitchCounters.BD_FORWARDED), "a refused unicast is not forwarded");
    }

    @Test
    void learningCountsMovesAndAFullTableButNotRefreshesOrStaticHolds()
    {
        final ForwardingAgent agent = agent(2, null);
        receive(1, X, A, 1);
        receive(1, X, A, 2); // refresh
        receive(2, X, A, 3); // A moved to port 2
        receive(3, X, B, 4);
        receive(3, X, C, 5); // third MAC: full
        agent.doWork();
        assertEquals(2, bd(SwitchCounters.BD_LEARNED));
        assertEquals(1, bd(SwitchCounters.BD_MOVES));
        assertEquals(1, bd(SwitchCounters.BD_LEARN_TABLE_FULL));
        assertEquals(2, bd(SwitchCounters.BD_MAC_ENTRIES));
        assertEquals(2, agent.macTable().lookup(BD, A));

        agent.onStaticMac(BD, B, 1);
        receive(3, X, B, 6);
        agent.doWork();
        assertEquals(1, agent.macTable().lookup(BD, B), "static: not moved by learning");
        assertEquals(1, bd(SwitchCounters.BD_MOVES));
    }

    @Test
    void drainsTheRingBatchByBatchInOneDutyCycleAndFlushesEachBatchOnce()
    {
        final ForwardingAgent agent = agent();
        final List<Integer> sent = new ArrayList<>();
        for (int i = 0; i < 2 * BATCH + 2; i++)
        {
            receive(1, B, A, i);
            sent.add(i);
        }
        assertEquals(2 * BATCH + 2, agent.doWork());
        assertEquals(3, p2.flushes(), "one flush per batch: 4 + 4 + 2");
        assertEquals(sent, markers(p2));
        assertEquals(0, p1.flushes(), "a port that got nothing is not flushed");
        assertEquals(0, agent.doWork(), "nothing left");
    }

    @Test
    void recordsTheLatencyOfEveryFrameThatLeftClampingClockSkewToZero()
    {
        final ForwardingAgent agent = agent();
        receive(1, Frames.simple(B, A, 1), System.nanoTime() - 5_000_000L);
        receive(1, Frames.simple(B, A, 2), System.nanoTime() + 60 * SECOND); // "later" than its TX time
        agent.doWork();
        final Histogram flooded = latency.getIntervalHistogram();
        assertEquals(2, flooded.getTotalCount());
        assertEquals(0, flooded.getMinValue());
        assertTrue(flooded.getMaxValue() >= 5_000_000L, "max " + flooded.getMaxValue());

        receive(2, A, B, 3);
        agent.doWork();
        final Histogram forwarded = latency.getIntervalHistogram();
        assertEquals(1, forwarded.getTotalCount(), "known unicast too");
        assertEquals(List.of(3), markers(p1));
    }

    @Test
    void learnedEntriesAgeOnTheAgentsClock()
    {
        final ForwardingAgent agent = agent();
        receive(1, X, A, 1);
        agent.doWork();
        assertEquals(1, bd(SwitchCounters.BD_MAC_ENTRIES));
        for (int i = 0; i < 200 && agent.macTable().size() > 0; i++)
        {
            now += SECOND / 4;
            agent.doWork();
        }
        assertEquals(0, agent.macTable().size());
        assertTrue(now - SECOND >= AGING, "not before the aging time: " + (now - SECOND));
        assertEquals(1, bd(SwitchCounters.BD_AGED));
        assertEquals(0, bd(SwitchCounters.BD_MAC_ENTRIES));
        assertEquals(now, agent.nowNanos());
    }

    @Test
    void aRemovedPortTakesItsMacsAlongAndGetsNothingMore()
    {
        final ForwardingAgent agent = agent();
        receive(2, X, A, 1);
        receive(3, X, B, 2);
        agent.doWork();
        markers(p1);
        markers(p2);
        markers(p3);
        agent.onPortRemoved(2, new int[] {1, 3});
        assertEquals(0, agent.macTable().lookup(BD, A));
        assertEquals(1, bd(SwitchCounters.BD_MAC_ENTRIES));

        receive(1, A, C, 3); // A is unknown again: flooded to the remaining members
        receive(2, C, A, 4); // from the removed port: in flight when it went
        agent.doWork();
        assertEquals(List.of(3), markers(p3));
        assertEquals(List.of(), markers(p2));
        assertEquals(1, counters.bridgeDomain(0, SwitchCounters.BD_UNKNOWN_INGRESS));
        assertThrows(IllegalArgumentException.class, () -> agent.onPortRemoved(2, new int[] {1, 3}));
    }

    @Test
    void staticEntriesAreCheckedAndSurviveAFlush()
    {
        final ForwardingAgent agent = agent(2, null);
        assertThrows(IllegalArgumentException.class, () -> agent.onStaticMac(BD, X, 4), "port 4 is elsewhere");
        agent.onStaticMac(BD, X, 3);
        assertEquals(1, bd(SwitchCounters.BD_MAC_ENTRIES));
        receive(1, B, A, 1);
        agent.doWork();
        assertEquals(2, bd(SwitchCounters.BD_MAC_ENTRIES));
        agent.onStaticMac(BD, C, 3); // full: the learned entry makes way for the static one
        assertEquals(MacTable.NO_PORT, agent.macTable().lookup(BD, A));
        assertEquals(3, agent.macTable().lookup(BD, C));
        assertThrows(IllegalArgumentException.class, () -> agent.onStaticMac(BD, A, 3), "full of static entries");
        agent.macTable().remove(BD, C);
        receive(1, B, A, 1);
        agent.doWork();

        assertEquals(1, agent.onFlush(BD), "the learned one");
        assertEquals(1, bd(SwitchCounters.BD_MAC_ENTRIES));
        assertEquals(3, agent.macTable().lookup(BD, X));
        assertEquals(List.of(true), agent.snapshotMacTable().stream().map(e -> e.isStatic()).toList());

        agent.onBridgeDomainRemoved(BD);
        assertEquals(0, agent.macTable().size(), "static entries go with their domain");
        assertEquals(0, bd(SwitchCounters.BD_MAC_ENTRIES));
    }

    @Test
    void routedPortsAndLegsHandTheirFramesToTheL3HandlerAndItsFramesComeBack()
    {
        final RecordingL3 l3 = new RecordingL3();
        final ForwardingAgent agent = agent(64, l3);
        final MemoryPort leg = new MemoryPort("leg");
        final MemoryPort uplink = new MemoryPort("uplink");
        agent.onPortAdded(5, leg, BD, new int[] {1, 2, 3, 5}, ForwardingAgent.KIND_LEG);
        agent.onPortAdded(6, uplink, 0, null, ForwardingAgent.KIND_ROUTED);
        assertEquals(agent, l3.output);

        final byte[] fromOutside = Frames.simple(B, A, 1);
        receive(6, fromOutside, 0);
        receive(1, MacAddress.BROADCAST, A, 2); // flooded: the leg gets it too
        agent.doWork();
        assertEquals(List.of("routed 6 " + fromOutside.length, "bridged 5 " + fromOutside.length), l3.queued);
        assertEquals(1, l3.batchEnds);
        assertArrayEquals(fromOutside, l3.frames.get(0));
        assertEquals(List.of(), markers(leg), "a leg has no device");
        assertEquals(1, counters.port(5, SwitchCounters.TX_PACKETS));
        assertEquals(FRAME - VnetHeader.LENGTH, counters.port(5, SwitchCounters.TX_BYTES));
        assertEquals(List.of(2), markers(p2));
        assertEquals(List.of(2), markers(p3));

        // From the router into the domain: unicast to a known MAC, flooded otherwise, never back to a leg.
        final UnsafeBuffer out = new UnsafeBuffer(Frames.simple(MacAddress.BROADCAST, X, 3));
        agent.injectBridged(5, out, 0, out.capacity());
        agent.endBatch();
        assertEquals(List.of(3), markers(p1));
        assertEquals(List.of(3), markers(p2));
        assertEquals(List.of(3), markers(p3));
        assertEquals(2, l3.queued.size(), "not looped back to the router");
        assertEquals(2, bd(SwitchCounters.BD_FLOODED), "the router's broadcast is a flood too");
        assertEquals(1, counters.port(5, SwitchCounters.RX_PACKETS));
        assertEquals(out.capacity() - VnetHeader.LENGTH, counters.port(5, SwitchCounters.RX_BYTES));

        final UnsafeBuffer toA = new UnsafeBuffer(Frames.simple(A, X, 4));
        agent.injectBridged(5, toA, 0, toA.capacity());
        agent.endBatch();
        assertEquals(List.of(4), markers(p1));
        assertEquals(List.of(), markers(p2));
        assertEquals(1, bd(SwitchCounters.BD_FORWARDED));
        assertEquals(0, agent.macTable().lookup(BD, X), "the router's frames are not learned from");

        agent.onStaticMac(BD, X, 5); // the router's own MAC, on its leg
        receive(2, X, B, 6);
        agent.doWork();
        assertEquals("bridged 5 " + FRAME, l3.queued.get(2), "unicast to the leg");
        assertEquals(2, bd(SwitchCounters.BD_FORWARDED));

        final UnsafeBuffer routed = new UnsafeBuffer(Frames.simple(B, X, 5));
        assertTrue(agent.transmitRouted(6, routed, 0, routed.capacity()));
        assertEquals(false, agent.transmitRouted(1, routed, 0, routed.capacity()), "port 1 is bridged");
        agent.endBatch();
        assertEquals(List.of(5), markers(uplink));
        assertEquals(List.of(), markers(p1));

        final UnsafeBuffer runt = new UnsafeBuffer(new byte[VnetHeader.LENGTH + 6]);
        agent.injectBridged(5, runt, 0, runt.capacity());
        assertEquals(1, counters.bridgeDomain(0, SwitchCounters.BD_UNKNOWN_INGRESS));

        agent.onPortRemoved(6, null);
        receive(6, fromOutside, 0);
        agent.doWork();
        assertEquals(2, counters.bridgeDomain(0, SwitchCounters.BD_UNKNOWN_INGRESS),
            "a removed routed port is an unknown ingress");
    }

    @Test
    void sourcesBeyondAPortsLimitAreDroppedAndCountedWhileOtherPortsStillLearn()
    {
        final MacTable table = new MacTable(64, 16, 16, AGING, 2, MacTable.UNLIMITED, 8);
        final ForwardingAgent agent = new ForwardingAgent(ring, counters, table, BATCH, () -> now, latency, null);
        agent.onBridgeDomainCreated(BD);
        agent.onPortAdded(1, p1, BD, new int[] {1});
        agent.onPortAdded(2, p2, BD, new int[] {1, 2});
        agent.onPortAdded(3, p3, BD, new int[] {1, 2, 3});
        receive(1, MacAddress.BROADCAST, A, 1);
        receive(1, MacAddress.BROADCAST, B, 2);
        receive(1, MacAddress.BROADCAST, C, 3); // port 1's third MAC: over its limit of 2
        receive(1, MacAddress.BROADCAST, A, 4); // a known one still passes
        receive(2, A, X, 5); // another port learns and reaches A
        agent.doWork();
        assertEquals(List.of(1, 2, 4), markers(p2), "the frame from the third MAC is dropped, not flooded");
        assertEquals(List.of(1, 2, 4), markers(p3));
        assertEquals(List.of(5), markers(p1));
        assertEquals(1, counters.port(1, SwitchCounters.PORT_MAC_LIMIT));
        assertEquals(1, bd(SwitchCounters.BD_MAC_LIMIT));
        assertEquals(1, counters.portDrops(1, DropReason.MAC_LIMIT));
        assertEquals(MacTable.NO_PORT, table.lookup(BD, C));
        assertEquals(2, table.learned(1));
        assertEquals(1, table.learned(2));
        assertEquals(0, bd(SwitchCounters.BD_LEARN_TABLE_FULL), "not a full table: the port's own limit");

        agent.onPortRemoved(1, new int[] {2, 3});
        assertEquals(0, table.learned(1), "a removed port's entries and count go");
    }

    @Test
    void withoutInterContainerCommunicationContainersReachOnlyTheLeg()
    {
        final RecordingL3 l3 = new RecordingL3();
        final ForwardingAgent agent = agent(64, l3);
        final MemoryPort leg = new MemoryPort("leg");
        agent.onPortAdded(5, leg, BD, new int[] {1, 2, 3, 5}, ForwardingAgent.KIND_LEG);
        agent.onStaticMac(BD, X, 5);
        agent.onInterContainer(BD, false);
        receive(1, MacAddress.BROADCAST, A, 1); // ARP-like broadcast: the leg only
        receive(2, MacAddress.BROADCAST, B, 2);
        receive(1, B, A, 3); // known unicast to another container: dropped
        receive(1, C, A, 4); // unknown unicast: the leg only
        receive(1, X, A, 5); // to the gateway
        agent.doWork();
        assertEquals(List.of(), markers(p1));
        assertEquals(List.of(), markers(p2));
        assertEquals(List.of(), markers(p3));
        assertEquals(4, l3.queued.size(), "both broadcasts, the unknown unicast and the one to the gateway");
        assertEquals(4, counters.bridgeDomainDrops(BD, DropReason.ICC), "two broadcasts, the unicast, the unknown");
        assertEquals(3, counters.port(1, SwitchCounters.PORT_ICC));

        final UnsafeBuffer fromRouter = new UnsafeBuffer(Frames.simple(A, X, 6));
        agent.injectBridged(5, fromRouter, 0, fromRouter.capacity());
        final UnsafeBuffer flood = new UnsafeBuffer(Frames.simple(MacAddress.BROADCAST, X, 7));
        agent.injectBridged(5, flood, 0, flood.capacity());
        agent.endBatch();
        assertEquals(List.of(6, 7), markers(p1), "the gateway still reaches every container");
        assertEquals(List.of(7), markers(p2));

        agent.onInterContainer(BD, true);
        receive(1, B, A, 8);
        agent.doWork();
        assertEquals(List.of(8), markers(p2), "on again: containers talk");
        assertEquals(List.of(), markers(p4), "never another domain");
        assertThrows(IllegalArgumentException.class, () -> agent.onInterContainer(9, false), "no such domain");
    }

    @Test
    void aPureL2AgentRefusesLegsAndRoutedPorts()
    {
        final ForwardingAgent agent = agent();
        assertThrows(IllegalArgumentException.class,
            () -> agent.onPortAdded(5, new MemoryPort("leg"), BD, new int[] {1, 2, 3, 5}, ForwardingAgent.KIND_LEG));
        assertThrows(IllegalArgumentException.class,
            () -> agent.onPortAdded(6, new MemoryPort("up"), 0, null, ForwardingAgent.KIND_ROUTED));
    }

    /** Records what the agent hands over; frames are copied at once, as the caller may reuse the slot later. */
    private static final class RecordingL3 implements L3Handler
    {
        final List<String> queued = new ArrayList<>();
        final List<byte[]> frames = new ArrayList<>();
        int batchEnds;
        L3Output output;

        public void onBridgedFrame(final int legPort, final MutableDirectBuffer buffer, final int offset,
            final int length)
        {
            throw new AssertionError("the agent queues");
        }

        public void onRoutedFrame(final int port, final MutableDirectBuffer buffer, final int offset, final int length)
        {
            throw new AssertionError("the agent queues");
        }

        public void queueFrame(final boolean routed, final int port, final MutableDirectBuffer buffer,
            final int offset, final int length)
        {
            queued.add((routed ? "routed " : "bridged ") + port + " " + length);
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            frames.add(copy);
        }

        public void endBatch()
        {
            batchEnds++;
        }

        public int doWork(final long nowNanos)
        {
            return 0;
        }

        public void output(final L3Output output)
        {
            this.output = output;
        }
    }
}
