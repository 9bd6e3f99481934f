package io.jvs.control.overlay;

/**
 * A jvs host taking part in the overlay, kept under its own lease: when the host stops renewing it, etcd deletes
 * the key and every other host drops it from its VTEP peer lists.
 *
 * @param address underlay IPv4 of its VTEP (the key).
 * @param lease   the lease the host's keys live under (a restarted host revokes its predecessor's).
 */
public record HostRecord(String address, String hostname, long lease, String since)
{
}
