package io.jvs.tap;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** A TapPort whose device is moved into a test namespace. */
class TapPortTest
{
    private static final byte[] NS_IP = Frames.ip(10, 75, 0, 1);
    private static final byte[] FAKE_IP = Frames.ip(10, 75, 0, 2);
    private static final byte[] FAKE_MAC = {0x02, 0x00, 0x00, 0x00, 0x00, 0x75};

    private TestNet net;
    private String ns;
    private String tap;
    private TapPort port;

    @BeforeEach
    void setUp()
    {
        net = new TestNet();
        ns = net.namespace("n");
        tap = net.name("t");
    }

    @AfterEach
    void tearDown()
    {
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

    private void openInNamespace()
    {
        port = TapPort.open(tap);
        Sh.run("ip", "link", "set", "dev", tap, "netns", ns);
        Sh.run("ip", "-n", ns, "addr", "add", "10.75.0.1/24", "dev", tap);
        Sh.run("ip", "-n", ns, "link", "set", tap, "up");
    }

    @Test
    void createsTheDeviceWithOffloadsTheKernelCanUse()
    {
        port = TapPort.open(tap);
        assertEquals(tap, port.name());
        assertTrue(port.fd() >= 0);
        final String features = Sh.run("ethtool", "-k", tap);
        assertTrue(features.contains("tx-checksumming: on"), features);
        assertTrue(features.contains("tcp-segmentation-offload: on"), features);
        assertEquals(0, port.receive((b, o, l) -> fail("nothing sent yet"), 8));
    }

    @Test
    void offeredArpRequestIsAnsweredAfterTheTapMovedIntoANamespace()
    {
        openInNamespace();
        final byte[] tapMac = TestNet.macBytes(TestNet.mac(ns, tap));
        final UnsafeBuffer request = Frames.arpRequest(FAKE_MAC, FAKE_IP, NS_IP);
        assertTrue(port.offer(request, 0, request.capacity()), "errno " + port.lastTxErrno());
        assertEquals(0, port.flush());

        final byte[][] reply = new byte[1][];
        final long deadline = System.nanoTime() + 3_000_000_000L;
        try (Poller poller = new Poller(1))
        {
            poller.set(new int[] {port.fd()}, 1);
            while (reply[0] == null && System.nanoTime() < deadline)
            {
                if (port.receive((buffer, offset, length) ->
                {
                    if (Frames.etherType(buffer, offset) == Frames.ETHERTYPE_ARP &&
                        buffer.getShort(offset + Frames.ETH_PAYLOAD + 6, java.nio.ByteOrder.BIG_ENDIAN) == 2)
                    {
                        reply[0] = Frames.bytes(buffer, offset + VnetHeader.LENGTH, length - VnetHeader.LENGTH);
                    }
                }, 16) == 0)
                {
                    poller.await(20);
                }
            }
        }
        assertNotNull(reply[0], "no ARP reply; " + port);
        assertArrayEquals(FAKE_MAC, Arrays.copyOfRange(reply[0], 0, 6));
        assertArrayEquals(tapMac, Arrays.copyOfRange(reply[0], 6, 12));
        assertArrayEquals(NS_IP, Arrays.copyOfRange(reply[0], 14 + 14, 14 + 18));
        assertEquals(1, port.txFrames());
        assertTrue(port.rxFrames() >= 1);
    }

    @Test
    void refusesImpossibleLengthsAndBadNames()
    {
        port = TapPort.open(tap);
        final UnsafeBuffer tiny = new UnsafeBuffer(new byte[VnetHeader.LENGTH + 13]);
        assertFalse(port.offer(tiny, 0, tiny.capacity()));
        assertEquals(1, port.txErrors());
        assertThrows(IllegalArgumentException.class, () -> TapPort.open("jt-name-too-long0"));
    }

    @Test
    void deviceGoesAwayWhenClosed()
    {
        port = TapPort.open(tap);
        assertEquals(0, Sh.exec(10, "ip", "link", "show", tap).exitCode());
        port.close();
        port = null;
        assertNotEquals(0, Sh.exec(10, "ip", "link", "show", tap).exitCode());
    }
}
