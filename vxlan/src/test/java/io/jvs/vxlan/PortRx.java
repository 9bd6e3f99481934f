package io.jvs.vxlan;

import io.jvs.tap.FrameHandler;
import io.jvs.tap.SharedLinkPort;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Receives one tunnel port the way the switch's receive agent does: the port bound to an id (its VNI) the first
 * time, polled for the frames it makes itself (ARP replies), then its Vtep read once as a shared link. Every frame
 * the Vtep hands over in that read must carry this port's id: a frame for another VNI's port fails the test.
 */
final class PortRx
{
    private PortRx()
    {
    }

    static int receive(final VxlanTunnelPort port, final FrameHandler handler, final int limit)
    {
        if (port.receiveId() == SharedLinkPort.UNBOUND)
        {
            port.bindReceive(port.vni());
        }
        int n = port.receive(handler, limit);
        if (n < limit)
        {
            n += port.sharedLink().receive((portId, buffer, offset, length) ->
            {
                assertEquals(port.receiveId(), portId, "a frame of another port in " + port);
                handler.onFrame(buffer, offset, length);
            }, limit - n);
        }
        return n;
    }
}
