package io.jvs.dataplane.l3;

import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Packets waiting for their next hop's MAC (ARP or neighbour discovery): copies in fixed slots, keyed by egress
 * interface and next-hop address (an IPv4 address is the low half, high 0). Forwarding thread only; preallocated.
 */
final class HeldPackets
{
    /** What {@link #service} reports about each held packet. */
    interface Timers
    {
        /** The packet's deadline passed; the frame is valid only during the call. */
        void expired(int iface, long high, long low, int ingress, MutableDirectBuffer frames, int offset, int length);

        /** Still waiting: the resolver may ask again. */
        void waiting(int iface, long high, long low);
    }

    private final int slots;
    private final int slotLength;
    private final long timeoutNanos;
    private final UnsafeBuffer frames;
    private final int[] iface;
    private final int[] ingress;
    private final long[] high;
    private final long[] low;
    private final int[] length;
    private final long[] deadline;
    private int count;

    HeldPackets(final int slots, final int slotLength, final long timeoutNanos)
    {
        this.slots = slots;
        this.slotLength = slotLength;
        this.timeoutNanos = timeoutNanos;
        frames = new UnsafeBuffer(new byte[slots * slotLength]);
        iface = new int[slots];
        ingress = new int[slots];
        high = new long[slots];
        low = new long[slots];
        length = new int[slots];
        deadline = new long[slots];
    }

    int count()
    {
        return count;
    }

    /** Copies the packet into a free slot. @return false if it is too long or every slot is taken. */
    boolean hold(final int egress, final long nextHopHigh, final long nextHopLow, final int from,
        final MutableDirectBuffer buffer, final int offset, final int frameLength, final long now)
    {
        if (frameLength > slotLength || count == slots)
        {
            return false;
        }
        for (int i = 0; i < slots; i++)
        {
            if (length[i] == 0)
            {
                frames.putBytes(i * slotLength, buffer, offset, frameLength);
                iface[i] = egress;
                ingress[i] = from;
                high[i] = nextHopHigh;
                low[i] = nextHopLow;
                length[i] = frameLength;
                deadline[i] = now + timeoutNanos;
                count++;
                return true;
            }
        }
        return false;
    }

    /** The next hop answered: its packets leave, addressed to {@code mac} from {@code sourceMac}. */
    void release(final int egress, final long nextHopHigh, final long nextHopLow, final long mac,
        final long sourceMac, final Transmitter transmitter)
    {
        for (int i = 0; i < slots && count > 0; i++)
        {
            if (length[i] != 0 && iface[i] == egress && low[i] == nextHopLow && high[i] == nextHopHigh)
            {
                final int offset = i * slotLength;
                MacAddress.writePair(frames, offset + VnetHeader.LENGTH + EthernetHeader.DESTINATION_OFFSET, mac,
                    sourceMac);
                final int frameLength = length[i];
                length[i] = 0;
                count--;
                transmitter.emit(egress, frames, offset, frameLength);
            }
        }
    }

    /** Timers: expired packets are freed and reported, the others reported as waiting. @return expired. */
    int service(final long now, final Timers timers)
    {
        int expired = 0;
        for (int i = 0; i < slots; i++)
        {
            if (length[i] == 0)
            {
                continue;
            }
            if (deadline[i] - now <= 0)
            {
                final int frameLength = length[i];
                length[i] = 0;
                count--;
                timers.expired(iface[i], high[i], low[i], ingress[i], frames, i * slotLength, frameLength);
                expired++;
                continue;
            }
            timers.waiting(iface[i], high[i], low[i]);
        }
        return expired;
    }

    /** The interface is gone: its packets too. */
    void forget(final int egress)
    {
        for (int i = 0; i < slots; i++)
        {
            if (length[i] != 0 && iface[i] == egress)
            {
                length[i] = 0;
                count--;
            }
        }
    }
}
