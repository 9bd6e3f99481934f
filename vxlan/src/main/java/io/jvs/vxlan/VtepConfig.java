package io.jvs.vxlan;

import io.jvs.dataplane.l3.Ipv4Addresses;

import io.jvs.tap.RingConfig;

import java.util.concurrent.TimeUnit;

/**
 * One host's VTEP.
 *
 * @param underlayInterface interface carrying the VXLAN traffic (e.g. eth0); jvs shares it and its address
 *                          with the host.
 * @param localIp           the host's IPv4 address on it (outer source; the kernel answers ARP for it).
 * @param prefixLength      of the underlay subnet: peers inside it are resolved directly, others via gateway.
 * @param gateway           next hop for peers outside the subnet, 0 for none (all peers must then be on-link).
 * @param udpPort           VXLAN destination port (4789).
 * @param innerMtu          largest inner IP packet; underlay MTU must be >= innerMtu + 50.
 * @param udpChecksum       compute outer UDP checksums (Linux "udpcsum"); off sends 0, which RFC 7348 allows.
 * @param macTableEntries   bound on learned remote MACs per VNI.
 * @param macAgingNanos     remote MAC aging time (Linux vxlan default 300 s).
 * @param underlayRing      the underlay AF_PACKET rings; slots must hold 64 KB GSO frames a local kernel may hand.
 */
public record VtepConfig(
    String underlayInterface,
    int localIp,
    int prefixLength,
    int gateway,
    int udpPort,
    int innerMtu,
    boolean udpChecksum,
    int macTableEntries,
    long macAgingNanos,
    RingConfig underlayRing)
{
    public static final long DEFAULT_MAC_AGING_NANOS = TimeUnit.SECONDS.toNanos(300);
    public static final int DEFAULT_MAC_TABLE_ENTRIES = 4096;
    public static final int MIN_INNER_MTU = 576;
    /** Underlay slot: a 64 KB GSO frame from a local kernel vxlan plus headers (the kernel spends 128 KB on it). */
    public static final int UNDERLAY_FRAME_SIZE = 69632;
    /**
     * Underlay RX slots. 256 overran while a jvs peer sent ~1.5 KB datagrams at 1 Gbit/s (a burst of GSO frames
     * becomes hundreds of datagrams); 1024 costs 128 MB of kernel memory per host for the RX ring.
     */
    public static final int DEFAULT_UNDERLAY_RX_FRAMES = 1024;
    public static final int DEFAULT_UNDERLAY_TX_FRAMES = 256;

    public VtepConfig
    {
        if (null == underlayInterface || underlayInterface.isEmpty() || underlayInterface.length() > 15)
        {
            throw new IllegalArgumentException("underlayInterface=" + underlayInterface);
        }
        if (prefixLength < 0 || prefixLength > 32)
        {
            throw new IllegalArgumentException("prefixLength=" + prefixLength);
        }
        if (udpPort <= 0 || udpPort > 0xFFFF)
        {
            throw new IllegalArgumentException("udpPort=" + udpPort);
        }
        if (innerMtu < MIN_INNER_MTU || innerMtu > 0xFFFF - OuterHeaders.OVERHEAD)
        {
            throw new IllegalArgumentException("innerMtu=" + innerMtu);
        }
        if (macTableEntries < 1 || macAgingNanos <= 0 || null == underlayRing)
        {
            throw new IllegalArgumentException("macTableEntries=" + macTableEntries + " macAgingNanos=" +
                macAgingNanos + " underlayRing=" + underlayRing);
        }
    }

    /** Defaults: no gateway, port 4789, inner MTU 1450, UDP checksum off, 4096 MACs aging in 300 s. */
    public static VtepConfig of(final String underlayInterface, final String localIp, final int prefixLength)
    {
        return new VtepConfig(underlayInterface, Ipv4Addresses.parse(localIp), prefixLength, 0, VxlanHeader.IANA_PORT,
            OuterHeaders.DEFAULT_INNER_MTU, false, DEFAULT_MAC_TABLE_ENTRIES, DEFAULT_MAC_AGING_NANOS,
            new RingConfig(UNDERLAY_FRAME_SIZE, DEFAULT_UNDERLAY_RX_FRAMES, DEFAULT_UNDERLAY_TX_FRAMES));
    }

    public VtepConfig withGateway(final String gatewayIp)
    {
        return new VtepConfig(underlayInterface, localIp, prefixLength, Ipv4Addresses.parse(gatewayIp), udpPort, innerMtu,
            udpChecksum, macTableEntries, macAgingNanos, underlayRing);
    }

    public VtepConfig withInnerMtu(final int mtu)
    {
        return new VtepConfig(underlayInterface, localIp, prefixLength, gateway, udpPort, mtu,
            udpChecksum, macTableEntries, macAgingNanos, underlayRing);
    }

    public VtepConfig withUdpChecksum(final boolean on)
    {
        return new VtepConfig(underlayInterface, localIp, prefixLength, gateway, udpPort, innerMtu,
            on, macTableEntries, macAgingNanos, underlayRing);
    }

    public VtepConfig withMacTable(final int entries, final long agingNanos)
    {
        return new VtepConfig(underlayInterface, localIp, prefixLength, gateway, udpPort, innerMtu,
            udpChecksum, entries, agingNanos, underlayRing);
    }

    public VtepConfig withUdpPort(final int port)
    {
        return new VtepConfig(underlayInterface, localIp, prefixLength, gateway, port, innerMtu,
            udpChecksum, macTableEntries, macAgingNanos, underlayRing);
    }

    public VtepConfig withUnderlayRing(final RingConfig ring)
    {
        return new VtepConfig(underlayInterface, localIp, prefixLength, gateway, udpPort, innerMtu,
            udpChecksum, macTableEntries, macAgingNanos, ring);
    }
}
