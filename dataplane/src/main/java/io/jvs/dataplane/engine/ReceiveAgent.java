package io.jvs.dataplane.engine;

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
 * Polls every port and copies each received frame into the forwarding agent's ring as a {@link FrameRecord}
 * (msgTypeId = ingress port id). Counts RX packets/bytes, and drops the ring cannot take: NO_SPACE when full,
 * TOO_LONG when the frame is longer than the ring's largest message. A scan of the ports ends early at the port
 * whose frames found the ring full; the next one starts after it (round-robin), so no port is always last. A socket
 * several ports share ({@link SharedLinkPort}: a VXLAN underlay, a macvlan parent) is read once per cycle as a
 * {@link SharedLink} that hands each frame over with its port's id.
 * <p>
 * Ports and configuration change only through {@link #commands()}, run on this agent's thread.
 */
public final class ReceiveAgent implements Agent, FrameHandler, PortFrameHandler
{
    public static final String ROLE_NAME = "jvs-rx";
    /** How often the kernel's own RX drops (ring full) are collected: a syscall per port, never per frame. */
    static final long KERNEL_DROPS_INTERVAL_NANOS = 100_000_000L;
    /** Duty cycles between clock reads for that collection, so an idle cycle costs no clock read either. */
    private static final int KERNEL_DROPS_CHECK_CYCLES = 256;

    private final RingBuffer ring;
    private final AtomicBuffer ringBuffer;
    private final int maxMessageLength;
    private final SwitchCounters counters;
    private final int batchSize;
    private final CommandQueue commands = new CommandQueue(CommandQueue.DEFAULT_CAPACITY);
    private final PollIdleStrategy pollIdle;

    private PacketPort[] ports = new PacketPort[0];
    private int[] portIds = new int[0];
    private int[] portBridgeDomains = new int[0];
    /** Per port: the kernel drop count already charged to its counters. */
    private long[] kernelDropsCounted = new long[0];
    private final SharedLinks links = new SharedLinks();
    /** Port id -> bridge domain, for frames a shared link hands over with their port's id. */
    private final int[] bridgeDomainOf = new int[SwitchCounters.MAX_PORTS];
    private int cyclesSinceDropsCheck;
    private long lastDropsCheckNanos;

    /** Where the next scan starts: the port after the one a full ring stopped the last scan at. */
    private int nextPort;
    /** The ring had no room for a frame of the port being read. */
    private boolean ringFull;
    private int currentPort;
    private int currentBridgeDomain;
    private long currentRxTime;
    private int claimedIndex;
    private int claimedLength;

    /**
     * @param pollIdle the idle strategy of this agent's thread when it is "poll" (told about port fds), else null.
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
        final PacketPort[] ports = this.ports;
        final int count = ports.length;
        int i = nextPort < count ? nextPort : 0;
        for (int scanned = 0; scanned < count; scanned++)
        {
            currentPort = portIds[i];
            currentBridgeDomain = portBridgeDomains[i];
            // The RX time of a batch, good to the batch's own duration: read at the port's first frame, so a
            // port with nothing to receive costs no clock read.
            currentRxTime = 0;
            work += ports[i].receive(this, batchSize);
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
        nextPort = i;
        final SharedLink[] links = this.links.links();
        for (int l = 0; l < links.length; l++)
        {
            currentRxTime = 0;
            work += links[l].receive(this, batchSize);
        }
        ringFull = false; // a link's frames that found the ring full wait in its socket; the next port scan is whole
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
        return work;
    }

    /**
     * Charges what the kernel dropped before jvs saw it (a port's RX ring full while this thread was busy or
     * descheduled) to the port and its bridge domain as {@code rx_ring_full}: a drop is a drop wherever it happens.
     */
    void collectKernelDrops()
    {
        final PacketPort[] ports = this.ports;
        for (int i = 0; i < ports.length; i++)
        {
            final long total = ports[i].kernelDrops();
            final long delta = total - kernelDropsCounted[i];
            if (delta > 0)
            {
                kernelDropsCounted[i] = total;
                counters.drop(portIds[i], portBridgeDomains[i], SwitchCounters.RX_RING_FULL,
                    SwitchCounters.BD_RX_RING_FULL, delta);
            }
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

    /** Agent thread (command): starts polling the port. */
    public void onPortAdded(final int portId, final PacketPort io, final int bridgeDomainId)
    {
        final int n = ports.length;
        final PacketPort[] newPorts = Arrays.copyOf(ports, n + 1);
        final int[] newIds = Arrays.copyOf(portIds, n + 1);
        final int[] newBds = Arrays.copyOf(portBridgeDomains, n + 1);
        final long[] newDrops = Arrays.copyOf(kernelDropsCounted, n + 1);
        newPorts[n] = io;
        newIds[n] = portId;
        newBds[n] = bridgeDomainId;
        newDrops[n] = io.kernelDrops(); // what it dropped before it was ours is not the switch's
        bridgeDomainOf[portId] = bridgeDomainId;
        if (io instanceof SharedLinkPort)
        {
            links.add(portId, (SharedLinkPort)io);
        }
        updateFds(newPorts);
        ports = newPorts;
        portIds = newIds;
        portBridgeDomains = newBds;
        kernelDropsCounted = newDrops;
    }

    /** Agent thread (command): stops polling the port; after this the agent never touches it again. */
    public void onPortRemoved(final int portId)
    {
        final int n = ports.length;
        int at = -1;
        for (int i = 0; i < n; i++)
        {
            if (portIds[i] == portId)
            {
                at = i;
                break;
            }
        }
        if (at < 0)
        {
            throw new IllegalArgumentException("receive agent has no port " + portId);
        }
        if (ports[at] instanceof SharedLinkPort)
        {
            links.remove((SharedLinkPort)ports[at]);
        }
        final PacketPort[] newPorts = new PacketPort[n - 1];
        final int[] newIds = new int[n - 1];
        final int[] newBds = new int[n - 1];
        final long[] newDrops = new long[n - 1];
        for (int i = 0, j = 0; i < n; i++)
        {
            if (i != at)
            {
                newPorts[j] = ports[i];
                newIds[j] = portIds[i];
                newBds[j] = portBridgeDomains[i];
                newDrops[j] = kernelDropsCounted[i];
                j++;
            }
        }
        ports = newPorts;
        portIds = newIds;
        portBridgeDomains = newBds;
        kernelDropsCounted = newDrops;
        updateFds(newPorts);
    }

    private void updateFds(final PacketPort[] ports)
    {
        if (null != pollIdle)
        {
            final SharedLink[] links = this.links.links();
            final int[] fds = new int[ports.length + links.length];
            for (int i = 0; i < ports.length; i++)
            {
                fds[i] = ports[i] instanceof SharedLinkPort ? -1 : ports[i].fd(); // its link's fd is watched
            }
            for (int i = 0; i < links.length; i++)
            {
                fds[ports.length + i] = links[i].fd();
            }
            pollIdle.watch(fds, fds.length);
        }
    }

    public int portCount()
    {
        return ports.length;
    }

    public void onClose()
    {
        if (null != pollIdle)
        {
            pollIdle.close();
        }
    }
}
