package io.jvs.tap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class PollerTest
{
    private TestNet net;
    private String ns;
    private PacketSocketPort port;
    private Process background;

    @BeforeEach
    void setUp()
    {
        net = new TestNet();
        ns = net.namespace("n");
        net.veth(net.name("h"), net.name("p"), ns, "10.76.0.1/24");
    }

    @AfterEach
    void tearDown()
    {
        Sh.stop(background);
        try
        {
            if (port != null)
            {
                port.close();
            }
        }
        finally
        {
            net.close();
        }
    }

    @Test
    void awaitTimesOutWithZeroWhenNothingArrives()
    {
        port = PacketSocketPort.open(net.name("h"));
        try (Poller poller = new Poller(4))
        {
            poller.set(new int[] {port.fd()}, 1);
            final long start = System.nanoTime();
            assertEquals(0, poller.await(200));
            final long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMillis >= 150, "returned early after " + waitedMillis + " ms");
        }
    }

    @Test
    void awaitReturnsReadyWhenAFrameArrives()
    {
        port = PacketSocketPort.open(net.name("h"));
        try (Poller poller = new Poller(4))
        {
            poller.set(new int[] {port.fd()}, 1);
            assertEquals(0, poller.await(0), "ring empty at start");
            background = Sh.start(TestNet.inNs(ns, "ping", "-c", "3", "-i", "0.3", "10.76.0.2"));
            final long start = System.nanoTime();
            final int ready = poller.await(5000);
            final long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(1, ready);
            assertTrue(waitedMillis < 4000, "waited " + waitedMillis + " ms");
            assertTrue((poller.revents(0) & PollFdDescriptor.POLLIN) != 0);
            assertTrue(port.receive((b, o, l) -> { }, 16) > 0, "readable means a frame is waiting");
        }
    }

    @Test
    void setRefusesMoreThanMaxFds()
    {
        try (Poller poller = new Poller(1))
        {
            assertThrows(IllegalArgumentException.class, () -> poller.set(new int[] {1, 2}, 2));
        }
    }
}
