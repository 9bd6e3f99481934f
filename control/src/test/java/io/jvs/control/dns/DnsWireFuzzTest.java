package io.jvs.control.dns;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.ByteBuffer;

/**
 * Coverage-guided fuzzing (Jazzer) of the resolver's wire format: any datagram a sandbox sends to 127.0.0.11 is
 * read as a query and, where it has a question, turned into an answer in place, as the resolver does. Nothing may
 * throw. Plain test runs replay the inputs in resources; {@code bin/fuzz} fuzzes.
 */
class DnsWireFuzzTest
{
    private static final int MAX_DATAGRAM = 4096;
    private final ByteBuffer message = ByteBuffer.allocate(MAX_DATAGRAM);

    @FuzzTest(maxDuration = "10s")
    void anyDatagramIsReadOrRefusedWithoutThrowing(final byte[] datagram)
    {
        if (datagram.length < DnsWire.HEADER_LENGTH || datagram.length > MAX_DATAGRAM)
        {
            return; // the resolver drops these before parsing
        }
        message.clear();
        message.put(datagram);
        final int length = datagram.length;
        DnsWire.id(message);
        DnsWire.flags(message);
        if (DnsWire.questionCount(message) != 1)
        {
            return;
        }
        final DnsWire.Question question = DnsWire.question(message, length);
        if (question == null)
        {
            return;
        }
        DnsWire.startResponse(message, question.end(), DnsWire.RCODE_SERVFAIL);
        if (message.remaining() >= DnsWire.answerLength(4) + DnsWire.answerLength(255))
        {
            DnsWire.appendA(message, 0x0A00_0002);
            DnsWire.appendPtr(message, "peer"); // the resolver answers PTR with a sandbox name it knows
        }
    }
}
