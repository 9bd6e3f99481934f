package io.jvs.dataplane.engine;

import io.jvs.tap.VnetHeader;

/**
 * Layout of one message in the ring from the receive agent to the forwarding agent. The ring's msgTypeId is
 * the ingress port id; the message body is:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 RX time, System.nanoTime (8 bytes)            |
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |            virtio_net_hdr (10 bytes) as received              |
 *  +                               +-------------------------------+
 *  |                               |    Ethernet frame ...         |
 *  +-------------------------------+-------------------------------+
 * </pre>
 * The RX time comes first so that it is 8-byte aligned (ring records are).
 */
public final class FrameRecord
{
    public static final int RX_TIME_OFFSET = 0;
    public static final int VNET_HEADER_OFFSET = 8;
    public static final int ETHERNET_OFFSET = VNET_HEADER_OFFSET + VnetHeader.LENGTH;
    /** Bytes the record adds in front of what the port handed over. */
    public static final int HEADER_LENGTH = VNET_HEADER_OFFSET;

    private FrameRecord()
    {
    }
}
