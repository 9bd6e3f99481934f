package io.jvs.vxlan;

import org.agrona.DirectBuffer;

/**
 * Layout of an encrypted ("sealed") jvs VXLAN payload, the UDP payload of an encrypted overlay network's datagram.
 * Offsets are from the start of the VXLAN header (the UDP payload), network byte order:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-----------------------------------------------+  -
 *  |R|E|R|R|I|R|R|R|                   Reserved                    |  | AAD (8 B): flags, VNI and key id
 *  +-+-+-+-+-+-+-+-+-------------------------------+---------------+  | are authenticated, not encrypted
 *  |              VXLAN Network Identifier (VNI)   |    Key id     |  |
 *  +-----------------------------------------------+---------------+  -
 *  |                 Nonce (12 B): salt (4 B, random per key        |
 *  |                 and sender) | counter (8 B, +1 per datagram)   |
 *  |                                                                |
 *  +----------------------------------------------------------------+
 *  |          Ciphertext: AES-GCM of the inner Ethernet frame       |
 *  ~                    (same length as the frame)                  ~
 *  +----------------------------------------------------------------+
 *  |                   GCM tag (16 B) over AAD + ciphertext         |
 *  +----------------------------------------------------------------+
 * </pre>
 * Why a flag and the reserved byte: a Linux vxlan device drops any datagram with a flag bit or reserved VNI byte
 * it does not know ({@code vxlan_rcv}: unparsed flags), so a sealed datagram can never be taken for plain VXLAN
 * by a kernel peer on 4789; {@link #FLAG_ENCRYPTED} (0x40) is reserved in RFC 7348, VXLAN-GBP and VXLAN-GPE alike.
 * jvs drops plain VXLAN for an encrypted VNI and sealed VXLAN for a plain one. The overhead over plain VXLAN is
 * {@link #OVERHEAD} = 28 bytes, so an encrypted network's inner MTU is the underlay's minus 78 (1422 in a 1500
 * underlay).
 */
public final class SealedVxlan
{
    /** E: the payload after the VXLAN header is sealed (nonce, ciphertext, tag). Reserved in RFC 7348. */
    public static final int FLAG_ENCRYPTED = 0x40;
    /** The key id sits in the VXLAN header's last reserved byte (after the 24-bit VNI). */
    public static final int KEY_ID_OFFSET = 7;
    /** Additional authenticated data: the whole 8-byte VXLAN header. */
    public static final int AAD_OFFSET = 0;
    public static final int AAD_LENGTH = VxlanHeader.LENGTH;
    public static final int NONCE_OFFSET = VxlanHeader.LENGTH;
    public static final int NONCE_LENGTH = 12;
    /** Nonce = salt (random per key and sender, chosen when the key is installed) | counter. */
    public static final int SALT_LENGTH = 4;
    public static final int COUNTER_OFFSET_IN_NONCE = SALT_LENGTH;
    public static final int CIPHERTEXT_OFFSET = NONCE_OFFSET + NONCE_LENGTH;
    public static final int TAG_LENGTH = 16;
    public static final int TAG_BITS = TAG_LENGTH * 8;
    /** Bytes a sealed payload adds to a plain VXLAN one: nonce + tag. */
    public static final int OVERHEAD = NONCE_LENGTH + TAG_LENGTH;
    /** AES-256. */
    public static final int KEY_LENGTH = 32;
    /** Key ids on the wire; 0 is never used, so an all-zero reserved byte is never a valid key. */
    public static final int MIN_KEY_ID = 1;
    public static final int MAX_KEY_ID = 255;
    public static final String TRANSFORMATION = "AES/GCM/NoPadding";

    private SealedVxlan()
    {
    }

    public static boolean isSealed(final DirectBuffer buffer, final int vxlanOffset)
    {
        return (VxlanHeader.flags(buffer, vxlanOffset) & FLAG_ENCRYPTED) != 0;
    }

    public static int keyId(final DirectBuffer buffer, final int vxlanOffset)
    {
        return buffer.getByte(vxlanOffset + KEY_ID_OFFSET) & 0xFF;
    }

    public static int checkKeyId(final int keyId)
    {
        if (keyId < MIN_KEY_ID || keyId > MAX_KEY_ID)
        {
            throw new IllegalArgumentException("keyId=" + keyId + " not in [" + MIN_KEY_ID + ", " + MAX_KEY_ID + "]");
        }
        return keyId;
    }
}
