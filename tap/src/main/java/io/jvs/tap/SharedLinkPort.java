package io.jvs.tap;

/**
 * A port whose traffic arrives on a {@link SharedLink}. The switch polls the link (once, whatever the number of
 * its ports) for the frames off the wire, and the port itself ({@link #receive}) only for frames it makes on its
 * own, such as ARP replies made on the transmitting thread.
 */
public interface SharedLinkPort extends PacketPort
{
    /** {@link #bindReceive} id of a port nobody receives from: its frames off the link are dropped. */
    int UNBOUND = 0;

    /** The link this port's received frames come from. */
    SharedLink sharedLink();

    /**
     * Receiving thread: hand this port's frames off the link on with {@code portId} (&gt; 0) from now on, or drop
     * them ({@link #UNBOUND}).
     */
    void bindReceive(int portId);
}
