package io.jvs.vxlan;

import org.agrona.DirectBuffer;

/** Sends one raw Ethernet frame on the underlay; used for ARP requests, off the data path. */
public interface ArpTransmitter extends AutoCloseable
{
    void send(DirectBuffer frame, int offset, int length);

    @Override
    void close();
}
