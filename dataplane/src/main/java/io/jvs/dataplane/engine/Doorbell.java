package io.jvs.dataplane.engine;

import io.jvs.tap.EventFd;

/**
 * Wakes a lane's thread that sleeps in poll(2) when another lane hands it frames. The sleeper raises
 * {@link #sleeping} before it checks its hand-off rings one last time and blocks; a producer that committed frames
 * rings only while the flag is up, once per batch: one write(2) per batch to a sleeping lane, none to a busy one.
 * The volatile flag and the ring positions make a Dekker pair: either the sleeper sees the frames before blocking
 * or the producer sees the flag and signals.
 */
public final class Doorbell implements AutoCloseable
{
    private final EventFd eventFd = new EventFd();
    private volatile boolean sleeping;

    /** The fd the sleeping thread polls. */
    public int fd()
    {
        return eventFd.fd();
    }

    /** Sleeper, before its last look at pending work. */
    void arm()
    {
        sleeping = true;
    }

    /**
     * Sleeper, after waking: clears any signal (one read(2) per wake from poll, not per frame). A signal that lands
     * after this only costs one early wake.
     */
    void disarm()
    {
        sleeping = false;
        eventFd.drain();
    }

    /** Producer, after committing frames for this lane. */
    void ring()
    {
        if (sleeping)
        {
            eventFd.signal();
        }
    }

    @Override
    public void close()
    {
        eventFd.close();
    }
}
