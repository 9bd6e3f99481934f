package io.jvs.tap;

import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The default claim of a port without a ring: build in scratch, commit = offer. */
class OfferingTxClaimTest
{
    /** Records what is offered; refuses once {@code full} is set. */
    private static final class RecordingPort implements PacketPort
    {
        final List<byte[]> offered = new ArrayList<>();
        boolean full;

        public String name()
        {
            return "rec";
        }

        public int fd()
        {
            return -1;
        }

        public int receive(final FrameHandler handler, final int limit)
        {
            return 0;
        }

        public boolean offer(final DirectBuffer buffer, final int offset, final int length)
        {
            if (full)
            {
                return false;
            }
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            offered.add(copy);
            return true;
        }

        public int flush()
        {
            return 0;
        }

        public int maxFrameLength()
        {
            return 256;
        }

        public void close()
        {
        }
    }

    @Test
    void commitOffersTheCommittedBytesOnly()
    {
        final RecordingPort port = new RecordingPort();
        final TxClaim claim = port.txClaim();
        assertInstanceOf(OfferingTxClaim.class, claim);
        final int at = claim.tryClaim(100);
        assertEquals(0, at, "the claim is the start of the scratch buffer");
        for (int i = 0; i < 100; i++)
        {
            claim.buffer().putByte(at + i, (byte)i);
        }
        assertTrue(claim.commit(60));
        assertEquals(1, port.offered.size());
        assertEquals(60, port.offered.get(0).length);
        assertEquals(59, port.offered.get(0)[59]);
        assertThrows(IllegalStateException.class, () -> claim.commit(60), "one commit per claim");
    }

    @Test
    void abortOffersNothingAndARefusedOfferIsAFailedCommit()
    {
        final RecordingPort port = new RecordingPort();
        final TxClaim claim = port.txClaim();
        claim.tryClaim(40);
        claim.abort();
        assertThrows(IllegalStateException.class, () -> claim.commit(40));
        assertEquals(-1, claim.tryClaim(257), "longer than the port takes");
        assertEquals(-1, claim.tryClaim(0));
        port.full = true;
        assertEquals(0, claim.tryClaim(40), "a full port still gives a claim: the offer at commit fails");
        assertThrows(IllegalArgumentException.class, () -> claim.commit(41));
        assertFalse(claim.commit(40));
        assertTrue(port.offered.isEmpty());
    }
}
