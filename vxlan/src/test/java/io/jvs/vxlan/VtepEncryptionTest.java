package io.jvs.vxlan;

import io.jvs.dataplane.l3.Ipv4Addresses;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.jvs.vxlan.Packets.*;
import static org.junit.jupiter.api.Assertions.*;

/** Encrypted VNIs between two VTEPs over in-memory underlays: what A sends is fed to B. */
class VtepEncryptionTest
{
    private static final int IP_A = Ipv4Addresses.parse("192.168.60.1");
    private static final int IP_B = Ipv4Addresses.parse("192.168.60.2");
    private static final long UNDER_A = 0x02_AA_00_00_00_01L;
    private static final long UNDER_B = 0x02_BB_00_00_00_02L;
    private static final int SEALED_VNI = 5000;
    private static final int PLAIN_VNI = 5001;
    private static final int VXLAN = OuterHeaders.VXLAN_OFFSET;

    private final MemoryUnderlay underA = new MemoryUnderlay();
    private final MemoryUnderlay underB = new MemoryUnderlay();
    private final List<byte[]> delivered = new ArrayList<>();
    private Vtep b;
    private VxlanTunnelPort sealedA;
    private VxlanTunnelPort sealedB;
    private VxlanTunnelPort plainA;
    private VxlanTunnelPort plainB;

    private static byte[] key(final int seed)
    {
        final byte[] k = new byte[SealedVxlan.KEY_LENGTH];
        new Random(seed).nextBytes(k);
        return k;
    }

    @BeforeEach
    void setUp()
    {
        final Vtep a = Vtep.create(VtepConfig.of("underA", "192.168.60.1", 24), underA, UNDER_A, null);
        b = Vtep.create(VtepConfig.of("underB", "192.168.60.2", 24), underB, UNDER_B, null);
        sealedA = a.openPort(SEALED_VNI, "vxs", true);
        sealedB = b.openPort(SEALED_VNI, "vxs", true);
        plainA = a.openPort(PLAIN_VNI, "vxp", false);
        plainB = b.openPort(PLAIN_VNI, "vxp", false);
        for (final int vni : new int[]{SEALED_VNI, PLAIN_VNI})
        {
            a.setPeers(vni, "192.168.60.2");
            b.setPeers(vni, "192.168.60.1");
        }
        underA.rx.add(VtepTest.arpReply(UNDER_B, IP_B, UNDER_A, IP_A));
        underB.rx.add(VtepTest.arpReply(UNDER_A, IP_A, UNDER_B, IP_B));
        assertEquals(0, PortRx.receive(sealedA, this::collect, 10));
        assertEquals(0, PortRx.receive(sealedB, this::collect, 10));
    }

    private void collect(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] f = new byte[length];
        buffer.getBytes(offset, f);
        delivered.add(f);
    }

    /** A's next outer frame for {@code inner} on the sealed VNI. */
    private byte[] sendSealed(final byte[] inner)
    {
        underA.tx.clear();
        assertTrue(sealedA.offer(new UnsafeBuffer(inner), 0, inner.length));
        assertEquals(1, underA.tx.size());
        return underA.tx.get(0);
    }

    private int deliver(final byte[] outer)
    {
        delivered.clear();
        underB.rx.add(outer);
        return PortRx.receive(sealedB, this::collect, 10);
    }

    @Test
    void sealedRoundTripHidesThePayloadAndAuthenticates()
    {
        sealedA.setKeys(1, Map.of(1, key(1)));
        sealedB.setKeys(1, Map.of(1, key(1)));
        final byte[] marker = "JVS-MARKER-0123456789-payload-in-clear?".getBytes();
        final byte[] inner = udp4(MAC_B, MAC_A, 0x0A000001, 0x0A000002, marker);
        final byte[] outer = sendSealed(inner);
        final int innerLength = inner.length - 10;
        assertEquals(OuterHeaders.INNER_OFFSET + SealedVxlan.OVERHEAD + innerLength, outer.length);
        assertEquals(outer.length - 24, u16(outer, 24 + 2), "IPv4 total length covers nonce and tag");
        assertEquals(outer.length - 44, u16(outer, 48), "UDP length");
        assertEquals(4789, u16(outer, 46));
        assertEquals(VxlanHeader.FLAG_VNI_VALID | SealedVxlan.FLAG_ENCRYPTED, outer[VXLAN] & 0xFF);
        assertEquals(SEALED_VNI, VxlanHeader.vni(new UnsafeBuffer(outer), VXLAN));
        assertEquals(1, outer[VXLAN + SealedVxlan.KEY_ID_OFFSET]);
        assertEquals(-1, indexOf(outer, marker), "no plaintext on the wire");
        assertEquals(-1, indexOf(outer, Arrays.copyOfRange(inner, 10, 22)), "not even the inner MACs");

        assertEquals(1, deliver(outer));
        assertArrayEquals(inner, delivered.get(0));
        assertEquals(1, b.opened());
        assertTrue(sealedB.remoteMacPeer(MAC_A) > 0, "learned from the opened frame");

        // One flipped bit anywhere after the outer UDP header: dropped as an authentication failure.
        for (final int at : new int[]{VXLAN + 1, VXLAN + 5, VXLAN + SealedVxlan.NONCE_OFFSET + 3,
            VXLAN + SealedVxlan.CIPHERTEXT_OFFSET + 7, outer.length - 1})
        {
            final byte[] t = outer.clone();
            t[at] ^= 0x10;
            final long before = b.rxDrops(RxDrop.AUTH_FAILED) + b.rxDrops(RxDrop.UNKNOWN_VNI);
            assertEquals(0, deliver(t), "tampered at " + at);
            assertEquals(before + 1, b.rxDrops(RxDrop.AUTH_FAILED) + b.rxDrops(RxDrop.UNKNOWN_VNI));
        }
        assertEquals(4, b.rxDrops(RxDrop.AUTH_FAILED), "VNI byte flipped -> unknown_vni, the rest auth_failed");
    }

    @Test
    void plainAndSealedDoNotCross()
    {
        sealedA.setKeys(1, Map.of(1, key(1)));
        sealedB.setKeys(1, Map.of(1, key(1)));
        final byte[] inner = udp4(MAC_B, MAC_A, 0x0A000001, 0x0A000002, random(new Random(1), 50));
        // Plain VXLAN carrying the encrypted VNI.
        assertTrue(plainA.offer(new UnsafeBuffer(inner), 0, inner.length));
        final byte[] plain = underA.tx.remove(0);
        new UnsafeBuffer(plain).putInt(VXLAN + VxlanHeader.VNI_OFFSET, SEALED_VNI << 8, java.nio.ByteOrder.BIG_ENDIAN);
        assertEquals(0, deliver(plain));
        assertEquals(1, b.rxDrops(RxDrop.PLAIN_ON_ENCRYPTED));
        // A sealed datagram moved to the plain VNI (its tag would fail anyway; it is refused before that).
        final byte[] sealed = sendSealed(inner);
        new UnsafeBuffer(sealed).putInt(VXLAN + VxlanHeader.VNI_OFFSET, (PLAIN_VNI << 8) | 1,
            java.nio.ByteOrder.BIG_ENDIAN);
        underB.rx.add(sealed);
        assertEquals(0, PortRx.receive(plainB, this::collect, 10));
        assertEquals(1, b.rxDrops(RxDrop.SEALED_ON_PLAIN));
        assertEquals(0, b.opened());
    }

    @Test
    void withoutAKeyNothingLeavesAndNothingOpens()
    {
        final byte[] inner = udp4(MAC_B, MAC_A, 0x0A000001, 0x0A000002, random(new Random(2), 50));
        assertTrue(sealedA.offer(new UnsafeBuffer(inner), 0, inner.length));
        assertEquals(0, underA.tx.size());
        assertEquals(1, sealedA.txDrops(TxDrop.NO_KEY));

        sealedA.setKeys(3, Map.of(3, key(3)));
        final byte[] outer = sendSealed(inner);
        assertEquals(0, deliver(outer));
        assertEquals(1, b.rxDrops(RxDrop.UNKNOWN_KEY), "B has no key at all");
        sealedB.setKeys(2, Map.of(2, key(2)));
        assertEquals(0, deliver(outer));
        assertEquals(2, b.rxDrops(RxDrop.UNKNOWN_KEY), "B has another key id");
        sealedB.setKeys(3, Map.of(3, key(4)));
        assertEquals(0, deliver(outer));
        assertEquals(1, b.rxDrops(RxDrop.AUTH_FAILED), "B has id 3 with other bytes");
        assertThrows(IllegalStateException.class, () -> plainA.setKeys(1, Map.of(1, key(1))));
        assertThrows(IllegalArgumentException.class, () -> sealedA.setKeys(9, Map.of(1, key(1))));
    }

    @Test
    void rotationAcceptsBothKeysThenRetiresTheOld()
    {
        sealedA.setKeys(1, Map.of(1, key(1)));
        sealedB.setKeys(1, Map.of(1, key(1)));
        final byte[] inner = udp4(MAC_B, MAC_A, 0x0A000001, 0x0A000002, random(new Random(3), 80));
        final byte[] old = sendSealed(inner);
        final SealKey installed = sealedA.keys().byId(1);
        // New key published: both accept 1 and 2, A still seals with 1 (same key object, nonces continue).
        sealedA.setKeys(1, Map.of(1, key(1), 2, key(2)));
        sealedB.setKeys(1, Map.of(1, key(1), 2, key(2)));
        assertSame(installed, sealedA.keys().byId(1));
        assertEquals(1, deliver(sendSealed(inner)));
        // A switches: B opens key 2, and still opens a late key-1 datagram.
        sealedA.setKeys(2, Map.of(1, key(1), 2, key(2)));
        final byte[] fresh = sendSealed(inner);
        assertEquals(2, fresh[VXLAN + SealedVxlan.KEY_ID_OFFSET]);
        assertEquals(1, deliver(fresh));
        assertEquals(1, deliver(old));
        // Grace over: key 1 retired, its datagrams are refused.
        sealedB.setKeys(2, Map.of(2, key(2)));
        assertEquals(0, deliver(old));
        assertEquals(1, b.rxDrops(RxDrop.UNKNOWN_KEY));
        assertEquals(1, deliver(fresh));
    }

    @Test
    void gsoFrameIsSealedSegmentBySegmentWithinTheUnderlayMtu()
    {
        sealedA.setKeys(1, Map.of(1, key(1)));
        sealedB.setKeys(1, Map.of(1, key(1)));
        assertEquals(1450 - SealedVxlan.OVERHEAD, sealedA.innerMtu());
        final byte[] payload = random(new Random(11), 20_000);
        final byte[] gso = tcp4(MAC_B, MAC_A, 0x0A000001, 0x0A000002, payload, io.jvs.tap.VnetHeader.GSO_TCPV4,
            1448, 0x18);
        underA.tx.clear();
        assertTrue(sealedA.offer(new UnsafeBuffer(gso), 0, gso.length));
        final int mss = sealedA.innerMtu() - 20 - 32;
        assertEquals((payload.length + mss - 1) / mss, underA.tx.size());
        assertEquals(underA.tx.size(), sealedA.txSealed());
        delivered.clear();
        for (final byte[] outer : underA.tx)
        {
            assertTrue(outer.length - 10 <= 1514, "outer frame fits a 1500 MTU: " + outer.length);
            underB.rx.add(outer);
        }
        // Opened one by one, then coalesced back into one GSO frame for the switch.
        assertEquals(1, PortRx.receive(sealedB, this::collect, 1000));
        assertArrayEquals(payload, tcpPayloadOf(delivered, 0x0A000001, 0x0A000002, mss));
    }

    static int indexOf(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
