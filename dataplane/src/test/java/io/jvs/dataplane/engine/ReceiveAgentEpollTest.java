package io.jvs.dataplane.engine;

import io.jvs.dataplane.testing.FdPort;
import io.jvs.dataplane.testing.Frames;
import io.jvs.dataplane.testing.MemoryPort;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receive agent with ports that have real fds ({@link FdPort}: an eventfd readable while frames wait): the active
 * set, the epoll ready list that feeds it, and an idle agent woken by its commands.
 */
class ReceiveAgentEpollTest
{
    private static final int RING = 64 * 1024;
    private static final byte[] FRAME = Frames.simple(0x0200_0000_0002L, 0x0200_0000_0001L, 1);

    private final OneToOneRingBuffer ring = new OneToOneRingBuffer(
        new UnsafeBuffer(ByteBuffer.allocateDirect(RING + RingBufferDescriptor.TRAILER_LENGTH)));
    private final SwitchCounters counters = new SwitchCounters();
    private final ReceiveAgent agent = new ReceiveAgent(ring, counters, 8, null);
    private final List<FdPort> ports = new ArrayList<>();
    private AgentRunner runner;

    @AfterEach
    void tearDown()
    {
        if (null != runner)
        {
            runner.close();
        }
        else
        {
            agent.onClose();
        }
        ports.forEach(FdPort::close);
    }

    private FdPort addPort(final ReceiveAgent agent, final int id)
    {
        final FdPort port = new FdPort("fd" + id);
        ports.add(port);
        agent.onPortAdded(id, port, 1);
        return port;
    }

    /** Runs empty duty cycles until every port with an fd has left the active set. */
    private void idleOut(final int alwaysActive)
    {
        for (int i = 0; i <= ReceiveAgent.IDLE_AFTER_EMPTY_CHECKS && agent.activePorts() > alwaysActive; i++)
        {
            agent.doWork();
        }
        assertEquals(alwaysActive, agent.activePorts(), "idle ports left the active set");
    }

    /** Record types (ingress port ids) in the ring, read and released. */
    private int[] readRecords()
    {
        final List<Integer> types = new ArrayList<>();
        ring.read((type, buffer, index, length) -> types.add(type), Integer.MAX_VALUE);
        return types.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void aFrameOnAPortOutOfTheActiveSetIsDeliveredInTheNextCycle()
    {
        for (int id = 1; id <= 64; id++)
        {
            addPort(agent, id);
        }
        assertEquals(64, agent.activePorts(), "a new port is read at once");
        idleOut(0);

        ports.get(39).inject(FRAME);
        ports.get(39).inject(FRAME);
        assertEquals(2, agent.doWork());
        assertEquals("[40, 40]", Arrays.toString(readRecords()));
        assertEquals(1, agent.activePorts(), "the port that had frames is active again, alone");
    }

    @Test
    void aBusyCycleReadsOnlyTheActivePortsAndStillHearsOfTheOthers()
    {
        for (int id = 1; id <= 1000; id++)
        {
            addPort(agent, id);
        }
        final MemoryPort busy = new MemoryPort("busy"); // no fd: always active
        agent.onPortAdded(1001, busy, 1);
        idleOut(1);
        final long[] before = ports.stream().mapToLong(FdPort::receives).toArray();

        for (int cycle = 0; cycle < 200; cycle++)
        {
            busy.inject(FRAME);
            assertEquals(1, agent.doWork());
            readRecords();
        }
        assertTrue(Arrays.equals(before, ports.stream().mapToLong(FdPort::receives).toArray()),
            "200 busy cycles read none of the 1000 idle ports");

        // A frame on an idle port reaches the ring within the ready-check interval while the busy port keeps the
        // cycles busy.
        ports.get(500).inject(FRAME);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        boolean delivered = false;
        while (!delivered && System.nanoTime() < deadline)
        {
            busy.inject(FRAME);
            agent.doWork();
            delivered = Arrays.stream(readRecords()).anyMatch(type -> type == 501);
        }
        assertTrue(delivered, "the idle port's frame was delivered");
        assertEquals(1, ports.get(500).receives() - before[500], "read once: when it was on the ready list");
    }

    @Test
    void aPortTheRingStopsIsReadFirstNextCycleAndKeepsItsFramesAcrossCycles()
    {
        final ReceiveAgent agent = new ReceiveAgent(new OneToOneRingBuffer(
            new UnsafeBuffer(ByteBuffer.allocateDirect(4096 + RingBufferDescriptor.TRAILER_LENGTH))), counters, 64, null);
        final FdPort first = addPort(agent, 1);
        final FdPort last = addPort(agent, 2);
        for (int i = 0; i < 200; i++)
        {
            first.inject(FRAME);
            last.inject(FRAME);
        }
        for (int i = 0; i < 100 && (first.receives() == 0 || last.receives() == 0); i++)
        {
            agent.doWork(); // nobody reads the ring: it stays full
        }
        assertTrue(last.receives() > 0, "the ring full with the first port's frames did not starve the second");
        agent.onClose();
    }

    @Test
    void removingAPortTakesItsFdOutOfTheEpollSetWhileTheFdIsStillOpen()
    {
        final FdPort port = addPort(agent, 3);
        final FdPort other = addPort(agent, 4);
        agent.onPortRemoved(3);
        assertTrue(!port.isClosed(), "the switch closes it after the agent let go");
        // EEXIST if the agent had left it in the set:
        agent.epollSet().add(port.fd(), 99);
        assertTrue(agent.epollSet().remove(port.fd()));

        idleOut(0);
        port.inject(FRAME); // readable, but no longer the agent's
        other.inject(FRAME);
        assertEquals(1, agent.doWork());
        assertEquals("[4]", Arrays.toString(readRecords()));
        assertEquals(1, agent.portCount());
    }

    @Test
    void kernelDropsOfAPortThatWasIdleAreCollectedOnceItHasFramesAgain()
    {
        final FdPort port = addPort(agent, 5);
        idleOut(0);
        agent.collectKernelDrops();
        agent.collectKernelDrops(); // the second sees only what is active now: nothing
        port.inject(FRAME);
        agent.doWork();
        agent.collectKernelDrops();
        assertEquals(0, counters.portDrops(5, DropReason.RX_RING_FULL), "a port without drops charges none");
    }

    @Test
    void aSleepEmptiesTheActiveSetAndAFrameStillWakesAndReachesTheRing()
    {
        final PollIdleStrategy idle = new PollIdleStrategy(0);
        final ReceiveAgent agent = new ReceiveAgent(ring, counters, 8, idle);
        final FdPort port = addPort(agent, 6);
        assertEquals(1, agent.activePorts());
        while (idle.polls() == 0)
        {
            idle.idle(0); // yields, then one sleep of the idle timeout: nothing comes
        }
        port.inject(FRAME);
        assertEquals(1, agent.doWork(), "the frame found through the ready list");
        assertEquals(1, agent.activePorts());
        final long polls = idle.polls();
        idle.idle(0); // the port is readable no more: sleeps the timeout
        assertEquals(polls + 1, idle.polls());
        agent.doWork();
        assertEquals(0, agent.activePorts(), "after a sleep only the ready list makes a port active");
        agent.onClose();
    }

    @Test
    void aCommandWakesAnIdleAgentAtOnceNotAtTheSleepTimeout() throws Exception
    {
        final PollIdleStrategy idle = new PollIdleStrategy(0);
        final ReceiveAgent agent = new ReceiveAgent(ring, counters, 8, idle);
        final ReceiveAgentProxy proxy = new ReceiveAgentProxy(agent);
        runner = new AgentRunner(idle, Throwable::printStackTrace, null, agent);
        AgentRunner.startOnThread(runner);
        final FdPort port = new FdPort("fd1");
        ports.add(port);
        proxy.portAdded(1, port, 1);
        assertEquals(PollIdleStrategy.IDLE_TIMEOUT_MILLIS, idle.timeoutMillis(), "every port can wake it");

        final int calls = 15;
        final long[] micros = new long[calls];
        for (int i = 0; i < calls; i++)
        {
            awaitSleep(idle);
            final long start = System.nanoTime();
            proxy.producerPosition(ring);
            micros[i] = (System.nanoTime() - start) / 1000;
        }
        Arrays.sort(micros);
        final long median = micros[calls / 2];
        assertTrue(median < TimeUnit.MILLISECONDS.toMicros(PollIdleStrategy.IDLE_TIMEOUT_MILLIS) / 5,
            "median command latency on an idle agent " + median + " us: " + Arrays.toString(micros));
        assertTrue(idle.wakeups() > 0, "woken by the eventfd");

        // Frames still wake it too.
        awaitSleep(idle);
        port.inject(FRAME);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (counters.port(1, SwitchCounters.RX_PACKETS) == 0 && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        assertEquals(1, counters.port(1, SwitchCounters.RX_PACKETS));

        proxy.close("test over");
        runner.close();
        runner = null;
    }

    /** Waits until the agent thread has gone to sleep in epoll_wait once more. */
    private static void awaitSleep(final PollIdleStrategy idle) throws InterruptedException
    {
        final long polls = idle.polls();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (idle.polls() == polls && System.nanoTime() < deadline)
        {
            Thread.sleep(1);
        }
        assertTrue(idle.polls() > polls, "the agent went to sleep");
    }
}
