package io.jvs.tap;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Epoll over eventfds: data per fd, level-triggered readiness, add/remove one at a time, timeouts. */
class EpollTest
{
    @Test
    void reportsEachReadyFdWithItsDataUntilItIsCleared()
    {
        try (Epoll epoll = new Epoll(8); EventFd a = new EventFd(); EventFd b = new EventFd(); EventFd c = new EventFd())
        {
            epoll.add(a.fd(), 1);
            epoll.add(b.fd(), 4095);
            epoll.add(c.fd(), -1);
            assertEquals(3, epoll.watched());
            assertEquals(0, epoll.await(0), "nothing ready");

            b.signal();
            c.signal();
            assertEquals(2, epoll.await(0));
            final int first = epoll.data(0);
            final int second = epoll.data(1);
            assertEquals(4095 + -1, first + second, "data " + first + ", " + second);
            assertEquals(1, epoll.events(0) & 1, "EPOLLIN");

            assertEquals(2, epoll.await(0), "level-triggered: still ready while unread");
            assertEquals(1, b.clear());
            assertEquals(1, epoll.await(0));
            assertEquals(-1, epoll.data(0));
            assertThrows(IndexOutOfBoundsException.class, () -> epoll.data(1));
        }
    }

    @Test
    void aRemovedFdIsNoLongerReportedAndRemovingTwiceSaysSo()
    {
        try (Epoll epoll = new Epoll(4); EventFd a = new EventFd())
        {
            epoll.add(a.fd(), 7);
            a.signal();
            assertTrue(epoll.remove(a.fd()));
            assertEquals(0, epoll.await(0));
            assertFalse(epoll.remove(a.fd()), "ENOENT: not in the set");
            assertThrows(NativeException.class, () ->
            {
                epoll.add(a.fd(), 7);
                epoll.add(a.fd(), 7); // EEXIST
            });
        }
    }

    @Test
    void awaitTimesOutWithZeroAndWakesOnASignalFromAnotherThread() throws Exception
    {
        try (Epoll epoll = new Epoll(4); EventFd a = new EventFd())
        {
            epoll.add(a.fd(), 3);
            final long start = System.nanoTime();
            assertEquals(0, epoll.await(100));
            assertTrue(System.nanoTime() - start >= 80_000_000L, "waited the timeout");

            final Thread signaller = new Thread(a::signal);
            final long wakeStart = System.nanoTime();
            signaller.start();
            assertEquals(1, epoll.await(10_000));
            assertTrue(System.nanoTime() - wakeStart < 5_000_000_000L);
            assertEquals(3, epoll.data(0));
            signaller.join();
        }
    }

    @Test
    void moreReadyFdsThanEventsComeOverSeveralWaits()
    {
        final EventFd[] fds = new EventFd[5];
        try (Epoll epoll = new Epoll(2))
        {
            int seen = 0;
            for (int i = 0; i < fds.length; i++)
            {
                fds[i] = new EventFd();
                epoll.add(fds[i].fd(), 1 << i);
                fds[i].signal();
            }
            for (int round = 0; round < 3; round++)
            {
                final int n = epoll.await(0);
                assertTrue(n <= 2);
                for (int k = 0; k < n; k++)
                {
                    seen |= epoll.data(k);
                    fds[Integer.numberOfTrailingZeros(epoll.data(k))].clear();
                }
            }
            assertEquals(0b11111, seen, "every ready fd was reported");
        }
        finally
        {
            for (final EventFd fd : fds)
            {
                if (null != fd)
                {
                    fd.close();
                }
            }
        }
    }
}
