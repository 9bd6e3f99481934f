package io.jvs.dataplane.engine;

import io.jvs.tap.Epoll;
import io.jvs.tap.FrameHandler;
import io.jvs.tap.PacketPort;
import io.jvs.tap.PortFrameHandler;
import io.jvs.tap.SharedLink;
import io.jvs.tap.SharedLinkPort;
import io.jvs.tap.VnetHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.util.Arrays;

/**
 * Reads the ports that have frames and copies each received frame into the forwarding agent's ring as a
 * {@link FrameRecord} (msgTypeId = ingress port id). Counts RX packets/bytes, and drops the ring cannot take: NO_SPACE
 * when full, TOO_LONG when the frame is longer than the ring's largest message. A socket several ports share
 * ({@link SharedLinkPort}: a VXLAN underlay, a macvlan parent) is read once per cycle as a {@link SharedLink} that
 * hands each frame over with its port's id.
 * <p>
 * A duty cycle does not read every port: with thousands attached, most idle, that scan would be the cycle. It reads
 * the <em>active</em> ports, those that had frames in the last {@link #IDLE_AFTER_EMPTY_CHECKS} reads and since the
 * thread last slept, and learns which of the others have frames from the {@link Epoll} set every port's fd is in: a
 * look at its ready list
 * (epoll_wait with timeout 0, a cost of what is ready) on every cycle that found nothing, and every
 * {@link #READY_CHECK_INTERVAL_NANOS} while busy. The set is level-triggered, so a port whose ring holds frames stays
 * on the ready list until it is read: no frame is stranded on an inactive port. Ports without an fd (in-memory ports)
 * and shared-link ports (which hold frames of their own, made on the TX thread) are always active.
 * <p>
 * The active ports are read round robin: a scan ends early at the port whose frames found the ring full, and the next
 * one starts after it, so no port is always last. The same epoll set is where the {@link PollIdleStrategy} sleeps.
 * <p>
 * Ports and configuration change only through {@link #commands()}, run on this agent's thread. All state is the
 * instance's: several receive agents (one per lane) run side by side.
 */
public final class ReceiveAgent implements Agent, FrameHandler, PortFrameHandler
{
    public static final String ROLE_NAME = "jvs-rx";
    /** How often the kernel's own RX drops (ring full) are collected: a syscall per port, never per frame. */
    static final long KERNEL_DROPS_INTERVAL_NANOS = 100_000_000L;
    /** Duty cycles between clock reads for that collection, so an idle cycle costs no clock read either. */
    private static final int KERNEL_DROPS_CHECK_CYCLES = 256;
    /** Consecutive empty reads after which a port with an fd leaves the active set (a read of one slot's status). */
    static final int IDLE_AFTER_EMPTY_CHECKS = 1024;
    /** While the active ports keep the cycle busy: how often the ready list is looked at for the others. */
    static final long READY_CHECK_INTERVAL_NANOS = 20_000L;
    /** Ready descriptors taken per look at the ready list (the rest at the next look: epoll rotates them). */
    static final int READY_EVENTS = 256;
    /** epoll data of a shared link's fd: read every cycle anyway, it is in the set only to end a sleep. */
    private static final int LINK_DATA = 0;

    private final RingBuffer ring;
    private final AtomicBuffer ringBuffer;
    private final int maxMessageLength;
    private final SwitchCounters counters;
    private final int batchSize;
    private final CommandQueue commands = new CommandQueue(CommandQueue.DEFAULT_CAPACITY);
    private final PollIdleStrategy pollIdle;
    /** Every watched fd (ports, shared links, the idle strategy's wake-up); null until one is needed. */
    private Epoll epoll;

    // Per port id.
    private final PacketPort[] portIo = new PacketPort[SwitchCounters.MAX_PORTS];
    private final int[] bridgeDomainOf = new int[SwitchCounters.MAX_PORTS];
    /** The kernel drop count already charged to the port's counters. */
    private final long[] kernelDropsCounted = new long[SwitchCounters.MAX_PORTS];
    /** The fd in the epoll set, -1 for a port that is always active. */
    private final int[] watchedFd = new int[SwitchCounters.MAX_PORTS];
    private final boolean[] active = new boolean[SwitchCounters.MAX_PORTS];
    private final int[] emptyChecks = new int[SwitchCounters.MAX_PORTS];
    /** Active since the last kernel drop collection: only these can have dropped since (their rings had frames). */
    private final boolean[] touched = new boolean[SwitchCounters.MAX_PORTS];

    /** Active port ids in scan order; the first {@code activeCount} count. */
    private final int[] activeList = new int[SwitchCounters.MAX_PORTS];
    private int activeCount;
    private final int[] touchedList = new int[SwitchCounters.MAX_PORTS];
    private int touchedCount;
    private int portCount;
    /** Ports in the epoll set; the rest are always active. */
    private int watchedPorts;
    private int alwaysActivePorts;
    private int watchedLinks;

    private final SharedLinks links = new SharedLinks();
    private int cyclesSinceDropsCheck;
    private long lastDropsCheckNanos;
    private long lastReadyCheckNanos;
    /** The idle strategy's sleep count at the last cycle. */
    private long sleepsSeen;
    private int lastWork;
    private long readyChecks;

    /** Where the next scan starts: the active port after the one a full ring stopped the last scan at. */
    private int nextActive;
    /** The ring had no room for a frame of the port being read. */
    private boolean ringFull;
    private int currentPort;
    private int currentBridgeDomain;
    private long currentRxTime;
    private int claimedIndex;
    private int claimedLength;

    /**
     * @param pollIdle the idle strategy of this agent's thread when it is "poll" (sleeps in this agent's epoll set,
     *                 woken by its commands), else null.
     */
    public ReceiveAgent(
        final RingBuffer ring, final SwitchCounters counters, final int batchSize, final PollIdleStrategy pollIdle)
    {
        this.ring = ring;
        this.ringBuffer = ring.buffer();
        this.maxMessageLength = ring.maxMsgLength();
        this.counters = counters;
        this.batchSize = batchSize;
        this.pollIdle = pollIdle;
        Arrays.fill(watchedFd, -1);
        if (null != pollIdle)
        {
            commands.wakeUp(pollIdle.wakeup());
            updateIdle();
        }
    }

    public String roleName()
    {
        return ROLE_NAME;
    }

    public CommandQueue commands()
    {
        return commands;
    }

    public int doWork()
    {
        int work = commands.drain();
        if (null != pollIdle && pollIdle.polls() != sleepsSeen)
        {
            // The thread slept since the last cycle: every port was idle that long. Counting empty reads would keep
            // them active for a thousand wakes; the ready list says which have frames now.
            sleepsSeen = pollIdle.polls();
            retireAllWithFd();
            // An idle switch runs one cycle per wake (100 ms): count the kernel's drops on time anyway, not after
            // 256 wakes (the frames a burst lost on its RX ring would show up ~25 s late).
            cyclesSinceDropsCheck = KERNEL_DROPS_CHECK_CYCLES;
        }
        if (activeCount - alwaysActivePorts < watchedPorts &&
            (0 == lastWork || System.nanoTime() - lastReadyCheckNanos >= READY_CHECK_INTERVAL_NANOS))
        {
            checkReady();
        }
        final int[] activeList = this.activeList;
        final int count = activeCount;
        int i = nextActive < count ? nextActive : 0;
        boolean anyIdle = false;
        int received = 0;
        for (int scanned = 0; scanned < count; scanned++)
        {
            final int port = activeList[i];
            currentPort = port;
            currentBridgeDomain = bridgeDomainOf[port];
            // The RX time of a batch, good to the batch's own duration: read at the port's first frame, so a
            // port with nothing to receive costs no clock read.
            currentRxTime = 0;
            final int frames = portIo[port].receive(this, batchSize);
            if (frames > 0)
            {
                received += frames;
                emptyChecks[port] = 0;
            }
            else if (emptyChecks[port] < IDLE_AFTER_EMPTY_CHECKS && ++emptyChecks[port] == IDLE_AFTER_EMPTY_CHECKS)
            {
                anyIdle = true;
            }
            if (++i == count)
            {
                i = 0;
            }
            if (ringFull)
            {
                // The rest would only be read to be dropped: their frames wait in the ports' own queues, and the
                // next scan starts with them, so a full ring costs every port in turn, not always the last ones.
                ringFull = false;
                break;
            }
        }
        nextActive = i;
        if (anyIdle)
        {
            retireIdle();
        }
        final SharedLink[] links = this.links.links();
        for (int l = 0; l < links.length; l++)
        {
            currentRxTime = 0;
            received += links[l].receive(this, batchSize);
        }
        ringFull = false; // a link's frames that found the ring full wait in its socket; the next port scan is whole
        lastWork = received;
        if (++cyclesSinceDropsCheck >= KERNEL_DROPS_CHECK_CYCLES)
        {
            cyclesSinceDropsCheck = 0;
            final long now = System.nanoTime();
            if (now - lastDropsCheckNanos >= KERNEL_DROPS_INTERVAL_NANOS)
            {
                lastDropsCheckNanos = now;
                collectKernelDrops();
            }
        }
        return work + received;
    }

    /** Activates the ports on the epoll set's ready list: those with frames the active set does not cover. */
    private void checkReady()
    {
        readyChecks++;
        lastReadyCheckNanos = System.nanoTime();
        final Epoll epoll = this.epoll;
        final int ready = epoll.await(0);
        for (int k = 0; k < ready; k++)
        {
            final int port = epoll.data(k);
            if (port > 0 && null != portIo[port])
            {
                activate(port);
            }
        }
    }

    private void activate(final int port)
    {
        if (!active[port])
        {
            active[port] = true;
            emptyChecks[port] = 0;
            activeList[activeCount++] = port;
            touch(port);
        }
    }

    private void touch(final int port)
    {
        if (!touched[port])
        {
            touched[port] = true;
            touchedList[touchedCount++] = port;
        }
    }

    private void retireAllWithFd()
    {
        final int[] activeList = this.activeList;
        for (int k = 0; k < activeCount; k++)
        {
            final int port = activeList[k];
            if (watchedFd[port] >= 0)
            {
                emptyChecks[port] = IDLE_AFTER_EMPTY_CHECKS;
            }
        }
        retireIdle();
    }

    /** Drops the ports with an fd that were empty too long from the active set, keeping the others' order. */
    private void retireIdle()
    {
        int kept = 0;
        int next = -1;
        for (int k = 0; k < activeCount; k++)
        {
            if (k == nextActive)
            {
                next = kept;
            }
            final int port = activeList[k];
            if (watchedFd[port] >= 0 && emptyChecks[port] >= IDLE_AFTER_EMPTY_CHECKS)
            {
                active[port] = false;
            }
            else
            {
                activeList[kept++] = port;
            }
        }
        activeCount = kept;
        nextActive = next < 0 ? 0 : next;
    }

    /** Takes one port out of the active set, keeping the others' order and the next scan's start. */
    private void deactivate(final int port)
    {
        active[port] = false;
        int at = 0;
        while (activeList[at] != port)
        {
            at++;
        }
        System.arraycopy(activeList, at + 1, activeList, at, activeCount - at - 1);
        activeCount--;
        if (nextActive > at)
        {
            nextActive--;
        }
    }

    /**
     * Charges what the kernel dropped before jvs saw it (a port's RX ring full while this thread was busy or
     * descheduled) to the port and its bridge domain as {@code rx_ring_full}: a drop is a drop wherever it happens.
     * Asks only the ports active since the last collection: a port drops only with frames in its ring, and a port
     * with frames is on the ready list until it is read, so it becomes active and is asked at the next collection.
     */
    void collectKernelDrops()
    {
        for (int k = 0; k < touchedCount; k++)
        {
            final int port = touchedList[k];
            touched[port] = false;
            final PacketPort io = portIo[port];
            if (null == io)
            {
                continue; // removed since
            }
            final long total = io.kernelDrops();
            final long delta = total - kernelDropsCounted[port];
            if (delta > 0)
            {
                kernelDropsCounted[port] = total;
                counters.drop(port, bridgeDomainOf[port], SwitchCounters.RX_RING_FULL,
                    SwitchCounters.BD_RX_RING_FULL, delta);
            }
        }
        touchedCount = 0;
        for (int k = 0; k < activeCount; k++)
        {
            touch(activeList[k]);
        }
    }

    public void onFrame(final DirectBuffer buffer, final int offset, final int length)
    {
        final int port = currentPort;
        counters.incrementPort(port, SwitchCounters.RX_PACKETS);
        counters.addPort(port, SwitchCounters.RX_BYTES, Math.max(0, length - VnetHeader.LENGTH));

        final int recordLength = FrameRecord.HEADER_LENGTH + length;
        if (recordLength > maxMessageLength)
        {
            counters.drop(port, currentBridgeDomain, SwitchCounters.RX_TOO_LONG, SwitchCounters.BD_RX_TOO_LONG);
            return;
        }
        final int index = ring.tryClaim(port, recordLength);
        if (index == RingBuffer.INSUFFICIENT_CAPACITY)
        {
            counters.drop(port, currentBridgeDomain, SwitchCounters.RX_NO_SPACE, SwitchCounters.BD_NO_SPACE);
            ringFull = true;
            return;
        }
        ringBuffer.putLong(index + FrameRecord.RX_TIME_OFFSET, rxTime());
        ringBuffer.putBytes(index + FrameRecord.VNET_HEADER_OFFSET, buffer, offset, length);
        ring.commit(index);
    }

    /** A frame off a shared link: as {@link #onFrame(DirectBuffer, int, int)} from the port bound as portId. */
    public void onFrame(final int portId, final DirectBuffer buffer, final int offset, final int length)
    {
        currentPort = portId;
        currentBridgeDomain = bridgeDomainOf[portId];
        onFrame(buffer, offset, length);
    }

    /** One clock read per port (or shared link) per batch, at its first frame. */
    private long rxTime()
    {
        long rxTime = currentRxTime;
        if (0 == rxTime)
        {
            rxTime = System.nanoTime();
            currentRxTime = rxTime;
        }
        return rxTime;
    }

    /** Room in the forwarding agent's ring for a long frame the port reads with recv(): no copy after it. */
    @Override
    public int claim(final int length)
    {
        final int recordLength = FrameRecord.HEADER_LENGTH + length;
        if (recordLength > maxMessageLength)
        {
            return NO_CLAIM; // onFrame counts it as too long
        }
        final int index = ring.tryClaim(currentPort, recordLength);
        if (index == RingBuffer.INSUFFICIENT_CAPACITY)
        {
            return NO_CLAIM; // onFrame counts it as no space
        }
        claimedIndex = index;
        claimedLength = length;
        return index + FrameRecord.VNET_HEADER_OFFSET;
    }

    @Override
    public MutableDirectBuffer claimBuffer()
    {
        return ringBuffer;
    }

    @Override
    public void commitClaim()
    {
        final int port = currentPort;
        counters.incrementPort(port, SwitchCounters.RX_PACKETS);
        counters.addPort(port, SwitchCounters.RX_BYTES, Math.max(0, claimedLength - VnetHeader.LENGTH));
        ringBuffer.putLong(claimedIndex + FrameRecord.RX_TIME_OFFSET, rxTime());
        ring.commit(claimedIndex);
    }

    @Override
    public void abortClaim()
    {
        ring.abort(claimedIndex);
    }

    /** Agent thread (command): starts receiving from the port; nothing changes if it throws. */
    public void onPortAdded(final int portId, final PacketPort io, final int bridgeDomainId)
    {
        if (portId <= 0 || portId >= SwitchCounters.MAX_PORTS)
        {
            throw new IllegalArgumentException(
                "port id " + portId + " not in [1, " + SwitchCounters.MAX_PORTS + ")");
        }
        if (null != portIo[portId])
        {
            throw new IllegalArgumentException("receive agent already has port " + portId);
        }
        final long kernelDrops = io.kernelDrops(); // what it dropped before it was ours is not the switch's
        if (io instanceof SharedLinkPort)
        {
            final SharedLinkPort port = (SharedLinkPort)io;
            final boolean watchLink = !links.has(port.sharedLink()) && port.sharedLink().fd() >= 0;
            if (watchLink)
            {
                epoll().add(port.sharedLink().fd(), LINK_DATA); // before anything changes: it may throw
                watchedLinks++;
            }
            links.add(portId, port);
            alwaysActivePorts++;
        }
        else if (io.fd() >= 0)
        {
            epoll().add(io.fd(), portId);
            watchedFd[portId] = io.fd();
            watchedPorts++;
        }
        else
        {
            alwaysActivePorts++;
        }
        portIo[portId] = io;
        bridgeDomainOf[portId] = bridgeDomainId;
        kernelDropsCounted[portId] = kernelDrops;
        portCount++;
        activate(portId); // read at once; a port with an fd leaves the active set when it stays empty
        updateIdle();
    }

    /**
     * Agent thread (command): stops receiving from the port, its fd out of the epoll set before its owner closes it;
     * after this the agent never touches it again.
     */
    public void onPortRemoved(final int portId)
    {
        final PacketPort io = portId > 0 && portId < SwitchCounters.MAX_PORTS ? portIo[portId] : null;
        if (null == io)
        {
            throw new IllegalArgumentException("receive agent has no port " + portId);
        }
        if (io instanceof SharedLinkPort)
        {
            final SharedLinkPort port = (SharedLinkPort)io;
            if (links.remove(port) && port.sharedLink().fd() >= 0)
            {
                epoll.remove(port.sharedLink().fd());
                watchedLinks--;
            }
            alwaysActivePorts--;
        }
        else if (watchedFd[portId] >= 0)
        {
            epoll.remove(watchedFd[portId]);
            watchedFd[portId] = -1;
            watchedPorts--;
        }
        else
        {
            alwaysActivePorts--;
        }
        if (active[portId])
        {
            deactivate(portId);
        }
        portIo[portId] = null;
        portCount--;
        updateIdle();
    }

    private Epoll epoll()
    {
        if (null == epoll)
        {
            epoll = new Epoll(READY_EVENTS);
        }
        return epoll;
    }

    /** Where and how long the idle thread sleeps: see {@link PollIdleStrategy}. */
    private void updateIdle()
    {
        if (null == pollIdle)
        {
            return;
        }
        if (0 == alwaysActivePorts)
        {
            pollIdle.sleepOn(epoll(), PollIdleStrategy.IDLE_TIMEOUT_MILLIS);
        }
        else if (watchedPorts + watchedLinks > 0)
        {
            pollIdle.sleepOn(epoll(), PollIdleStrategy.POLL_TIMEOUT_MILLIS);
        }
        else
        {
            pollIdle.sleepOn(null, 0);
        }
    }

    /** Ports read every duty cycle now (for tests and diagnostics). */
    int activePorts()
    {
        return activeCount;
    }

    /** The epoll set of the ports' fds, null before the first (for tests). */
    Epoll epollSet()
    {
        return epoll;
    }

    /** Looks at the epoll ready list so far (for tests and diagnostics). */
    long readyChecks()
    {
        return readyChecks;
    }

    public int portCount()
    {
        return portCount;
    }

    public void onClose()
    {
        if (null != pollIdle)
        {
            pollIdle.close();
        }
        if (null != epoll)
        {
            epoll.close();
            epoll = null;
        }
    }
}
