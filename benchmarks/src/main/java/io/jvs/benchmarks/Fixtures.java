package io.jvs.benchmarks;

import io.jvs.dataplane.engine.FrameRecord;
import io.jvs.dataplane.parse.EthernetHeader;
import io.jvs.dataplane.parse.MacAddress;
import io.jvs.tap.VnetHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Frames for the benchmarks: hosts h spread over ports, each frame from one host to the next. */
final class Fixtures
{
    static final int FRAME_LENGTH = 64;
    static final long BASE_MAC = 0x0242_AC11_0000L;

    private Fixtures()
    {
    }

    static long hostMac(final int host)
    {
        return BASE_MAC + host + 1;
    }

    static int hostPort(final int host, final int ports)
    {
        return 1 + host % ports;
    }

    /** Writes [vnet hdr][64-byte Ethernet frame] at index; returns bytes written. */
    static int writeFrame(final UnsafeBuffer buffer, final int index, final long dst, final long src)
    {
        buffer.setMemory(index, VnetHeader.LENGTH + FRAME_LENGTH, (byte)0);
        final int eth = index + VnetHeader.LENGTH;
        MacAddress.write(buffer, eth + EthernetHeader.DESTINATION_OFFSET, dst);
        MacAddress.write(buffer, eth + EthernetHeader.SOURCE_OFFSET, src);
        buffer.putShort(eth + EthernetHeader.TYPE_OFFSET, (short)0x0800, ByteOrder.BIG_ENDIAN);
        buffer.putLong(eth + FRAME_LENGTH - 8, src ^ dst);
        return VnetHeader.LENGTH + FRAME_LENGTH;
    }

    /** Ring-record images ([rx time][vnet][frame]) of {@code count} frames, 128 bytes apart. */
    static UnsafeBuffer records(final int count, final int hosts, final boolean broadcast)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(count * 128));
        for (int i = 0; i < count; i++)
        {
            final int src = i % hosts;
            final long dst = broadcast ? MacAddress.BROADCAST : hostMac((src + 1) % hosts);
            buffer.putLong(i * 128 + FrameRecord.RX_TIME_OFFSET, System.nanoTime());
            writeFrame(buffer, i * 128 + FrameRecord.VNET_HEADER_OFFSET, dst, hostMac(src));
        }
        return buffer;
    }
}
