package io.jvs.control.publish;

/** A live published range: which endpoint it serves and the fabric's rule. */
public record Publication(String network, String sandbox, String address, PortMapping mapping, int ruleId)
{
}
