package io.jvs.dataplane.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvs.dataplane.engine.L3Output;
import io.jvs.dataplane.l3.Router;
import io.jvs.dataplane.l3.RouterCounters;
import io.jvs.dataplane.nat.NatConfig;
import io.jvs.dataplane.parse.FrameParser;
import io.jvs.tap.VnetHeader;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Coverage-guided fuzzing (Jazzer) of what parses untrusted frames: the flyweight parser and the router (ARP,
 * IPv4, ICMP and its errors, TCP/UDP with NAT both ways, published ports, the virtio-net header's offload fields).
 * Whatever a container or the wire sends, nothing may throw: a malformed frame is counted and dropped. In a plain
 * test run the inputs under src/test/resources/.../PacketPathFuzzTestInputs are replayed; {@code bin/fuzz} fuzzes.
 */
class PacketPathFuzzTest
{
    private static final int LEG_PORT = 1;
    private static final int UPLINK_PORT = 2;
    private static final int HOST_PORT = 3;
    private static final int BRIDGE_DOMAIN = 1;
    private static final int GATEWAY = 0x0A4E_0001;   // 10.78.0.1/24
    private static final int UPLINK = 0x0A4D_0002;    // 10.77.0.2/24, next hop .1
    private static final int HOST = 0xA9FE_4D02;      // 169.254.77.2/24
    private static final int CONTAINER = 0x0A4E_0002;

    private final FrameParser parser = new FrameParser();
    private final Router router = newRouter();
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[VnetHeader.LENGTH + 65_536]);
    private long now = 1_000_000_000L;

    @FuzzTest(maxDuration = "10s")
    void framesNeverThrow(final FuzzedDataProvider data)
    {
        final int entry = data.consumeInt(0, 3);
        final boolean offload = data.consumeBoolean();
        final byte[] vnet = data.consumeBytes(VnetHeader.LENGTH);
        final byte[] ethernet = data.consumeRemainingAsBytes();
        frame.setMemory(0, VnetHeader.LENGTH, (byte)0);
        if (offload)
        {
            frame.putBytes(0, vnet); // flags, GSO type, header and segment sizes, checksum offsets: all attacker's
        }
        frame.putBytes(VnetHeader.LENGTH, ethernet);
        final int length = VnetHeader.LENGTH + ethernet.length;

        parser.parse(frame, VnetHeader.LENGTH, ethernet.length);
        now += 1_000_000L;
        router.clock(now);
        switch (entry)
        {
            case 0 -> router.onBridgedFrame(LEG_PORT, frame, 0, length);
            case 1 -> router.onRoutedFrame(UPLINK_PORT, frame, 0, length);
            case 2 -> router.onRoutedFrame(HOST_PORT, frame, 0, length);
            default ->
            {
                router.queueFrame(false, LEG_PORT, frame, 0, length);
                router.endBatch();
            }
        }
        router.doWork(now);
    }

    private static Router newRouter()
    {
        final Router router = new Router(NatConfig.defaults().withCapacity(4096), new RouterCounters());
        router.output(new L3Output()
        {
            public void injectBridged(final int legPort, final MutableDirectBuffer buffer, final int offset,
                final int length)
            {
            }

            public boolean transmitRouted(final int port, final MutableDirectBuffer buffer, final int offset,
                final int length)
            {
                return true;
            }
        });
        router.clock(1_000_000_000L);
        router.addLeg(BRIDGE_DOMAIN, LEG_PORT, 0x026A_7600_0001L, GATEWAY, 24, false);
        router.setUplink(UPLINK_PORT, 0x026A_7600_0002L, UPLINK, 24, UPLINK - 1);
        router.setHost(HOST_PORT, 0x026A_7600_0003L, HOST, 24);
        router.publish(1, 6, 8080, 8090, CONTAINER, 80);
        router.publish(2, 17, 5353, 5353, CONTAINER, 53);
        return router;
    }
}
