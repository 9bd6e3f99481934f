package io.jvs.dataplane.engine;

import io.jvs.dataplane.mac.MacTable;
import io.jvs.tap.counters.CountersRegistry;
import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;

/**
 * One forwarding lane: a receive agent for the ports the lane owns, its ring, a forwarding agent, the lane's own
 * counters and latency recorder, and the idle strategy of the thread that runs both agents. Lanes share the MAC
 * table and the {@link LaneHandoff} rings; lane 0 also runs the router.
 */
public final class Lane implements AutoCloseable
{
    private final int id;
    private final RingBuffer ring;
    private final SwitchCounters counters;
    private final SingleWriterRecorder latency = ForwardingAgent.newLatencyRecorder();
    private final IdleStrategy idle;
    private final ReceiveAgent receiveAgent;
    private final ForwardingAgent forwardingAgent;
    private final ReceiveAgentProxy receive;
    private final ForwardingAgentProxy forwarding;
    /** Ports this lane receives from (control thread's count, for placing new ports). */
    private int ports;

    /**
     * @param idle      the idle strategy of the lane's (receiving) thread.
     * @param l3        the router, on lane 0 only (or null).
     */
    public Lane(final int id, final int ringCapacityBytes, final int batchSize, final MacTable macTable,
        final CountersRegistry registry, final IdleStrategy idle, final L3Handler l3, final LaneHandoff handoff,
        final PortSecurity portSecurity)
    {
        this.id = id;
        this.idle = idle;
        ring = new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(ringCapacityBytes + RingBufferDescriptor.TRAILER_LENGTH)));
        counters = new SwitchCounters(registry);
        final PollIdleStrategy pollIdle = idle instanceof PollIdleStrategy ? (PollIdleStrategy)idle : null;
        receiveAgent = new ReceiveAgent(ring, counters, batchSize, pollIdle);
        forwardingAgent = new ForwardingAgent(
            ring, counters, macTable, batchSize, new SystemNanoClock(), latency, l3, handoff, id);
        forwardingAgent.portSecurity(portSecurity);
        receive = new ReceiveAgentProxy(receiveAgent);
        forwarding = new ForwardingAgentProxy(forwardingAgent);
        if (null != pollIdle)
        {
            forwardingAgent.commands().wakeUp(pollIdle.wakeup()); // one thread: its commands end its sleep too
            if (handoff.lanes() > 1)
            {
                pollIdle.wakeup().alsoWakeFor(() -> handoff.hasFramesFor(id));
                handoff.wakeup(id, pollIdle.wakeup());
            }
        }
    }

    public int id()
    {
        return id;
    }

    public RingBuffer ring()
    {
        return ring;
    }

    public SwitchCounters counters()
    {
        return counters;
    }

    public SingleWriterRecorder latency()
    {
        return latency;
    }

    public IdleStrategy idle()
    {
        return idle;
    }

    public ReceiveAgent receiveAgent()
    {
        return receiveAgent;
    }

    public ForwardingAgent forwardingAgent()
    {
        return forwardingAgent;
    }

    public ReceiveAgentProxy receive()
    {
        return receive;
    }

    public ForwardingAgentProxy forwarding()
    {
        return forwarding;
    }

    /** Ports placed on this lane (control thread). */
    public int ports()
    {
        return ports;
    }

    public void portPlaced(final int delta)
    {
        ports += delta;
    }

    /** Nothing of its own to release: the agents close their idle strategy's eventfd and epoll set. */
    @Override
    public void close()
    {
    }
}
