package io.jvs.tap;

/**
 * One socket that several ports share (a VXLAN underlay demultiplexed by VNI, a macvlan parent by VLAN): the
 * receiving thread reads it once per poll, and it hands every frame on with the id of the port it belongs to, so
 * no frame is read on one port's behalf and parked for another.
 * <p>
 * Not thread safe: {@link #receive} is called by the one thread polling the link, the thread that also binds its
 * ports ({@link SharedLinkPort#bindReceive}).
 */
public interface SharedLink
{
    /** Name for diagnostics (the interface the socket is on). */
    String name();

    /** File descriptor to poll(2) for readability when the owning thread goes idle. */
    int fd();

    /**
     * Hands up to {@code limit} received frames to the handler, each with its port's bound id; frames for a port
     * that is not bound are dropped and counted by the link.
     *
     * @return frames handed over (work done); 0 when nothing is waiting.
     */
    int receive(PortFrameHandler handler, int limit);
}
