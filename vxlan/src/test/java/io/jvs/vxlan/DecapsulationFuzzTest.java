package io.jvs.vxlan;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Map;
import java.util.Random;

/**
 * Coverage-guided fuzzing (Jazzer) of what a VTEP receives from the underlay: any bytes as an outer frame, or a
 * frame another VTEP really sent (plain, or sealed with AES-GCM) with bytes of it changed. Nothing may throw; a
 * bad frame is counted and dropped. Plain test runs replay the inputs in resources; {@code bin/fuzz} fuzzes.
 */
class DecapsulationFuzzTest
{
    private static final int PLAIN_VNI = 5001;
    private static final int SEALED_VNI = 5002;
    private static final long UNDER_A = 0x02_AA_00_00_00_01L;
    private static final long UNDER_B = 0x02_BB_00_00_00_02L;

    private final MemoryUnderlay underA = new MemoryUnderlay();
    private final MemoryUnderlay underB = new MemoryUnderlay();
    private final VxlanTunnelPort plainA;
    private final VxlanTunnelPort sealedA;
    private final VxlanTunnelPort plainB;
    private final VxlanTunnelPort sealedB;

    DecapsulationFuzzTest()
    {
        final Vtep a = Vtep.create(VtepConfig.of("underA", "192.168.70.1", 24), underA, UNDER_A, null);
        final Vtep b = Vtep.create(VtepConfig.of("underB", "192.168.70.2", 24).withUdpChecksum(true), underB, UNDER_B,
            null);
        plainA = a.openPort(PLAIN_VNI, "vxp", false);
        sealedA = a.openPort(SEALED_VNI, "vxs", true);
        plainB = b.openPort(PLAIN_VNI, "vxp", false);
        sealedB = b.openPort(SEALED_VNI, "vxs", true);
        final byte[] key = new byte[SealedVxlan.KEY_LENGTH];
        new Random(5).nextBytes(key);
        sealedA.setKeys(1, Map.of(1, key));
        sealedB.setKeys(1, Map.of(1, key));
        for (final int vni : new int[] {PLAIN_VNI, SEALED_VNI})
        {
            a.setPeers(vni, "192.168.70.2");
            b.setPeers(vni, "192.168.70.1");
        }
        underA.rx.add(VtepTest.arpReply(UNDER_B, ip("192.168.70.2"), UNDER_A, ip("192.168.70.1")));
        underB.rx.add(VtepTest.arpReply(UNDER_A, ip("192.168.70.1"), UNDER_B, ip("192.168.70.2")));
        PortRx.receive(plainA, (buffer, offset, length) -> { }, 10);
        PortRx.receive(plainB, (buffer, offset, length) -> { }, 10);
        sealedB.bindReceive(SEALED_VNI);
    }

    @FuzzTest(maxDuration = "10s")
    void underlayFramesNeverThrow(final FuzzedDataProvider data)
    {
        final int mode = data.consumeInt(0, 2);
        final byte[] outer;
        if (mode == 0)
        {
            outer = data.consumeRemainingAsBytes();
        }
        else
        {
            final VxlanTunnelPort from = mode == 1 ? plainA : sealedA;
            final byte[] inner = data.consumeBytes(data.consumeInt(14, 1600));
            underA.tx.clear();
            if (inner.length < 14 || !from.offer(new UnsafeBuffer(inner), 0, inner.length) || underA.tx.isEmpty())
            {
                return;
            }
            outer = underA.tx.get(0);
            final int changes = data.consumeInt(0, 4);
            for (int i = 0; i < changes && outer.length > 0; i++)
            {
                outer[data.consumeInt(0, outer.length - 1)] = data.consumeByte();
            }
        }
        underB.rx.add(outer);
        plainB.sharedLink().receive((portId, buffer, offset, length) -> { }, 4); // every VNI's ports, as the switch
        underB.rx.clear();
    }

    private static int ip(final String dotted)
    {
        final String[] p = dotted.split("\\.");
        return (Integer.parseInt(p[0]) << 24) | (Integer.parseInt(p[1]) << 16) | (Integer.parseInt(p[2]) << 8) |
            Integer.parseInt(p[3]);
    }
}
