package io.jvs.dataplane.nat;

/**
 * One live translation as {@code jvs nat ls} shows it: the tuple as the initiator sent it and the tuple the
 * replies carry, the tracking state, seconds until it expires and packets seen each way.
 */
public record NatEntry(
    String protocol,
    String kind,
    String state,
    String original,
    String reply,
    long expiresInSeconds,
    long packetsOriginal,
    long packetsReply)
{
}
