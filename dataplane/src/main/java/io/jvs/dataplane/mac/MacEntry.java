package io.jvs.dataplane.mac;

/** One learned or static MAC table entry, as shown by the CLI. */
public record MacEntry(int bridgeDomainId, String mac, int portId, String portName, long ageSeconds, boolean isStatic)
{
}
