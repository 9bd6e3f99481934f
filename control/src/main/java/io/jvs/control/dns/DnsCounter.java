package io.jvs.control.dns;

import io.jvs.tap.counters.Counter;

/** The counters of the sandboxes' resolver ({@link SandboxDns}), one record in the instance's counters registry. */
public enum DnsCounter implements Counter
{
    // ---- the resolver's selector thread
    QUERIES(Writer.SELECTOR),
    /** Replies sent to a sandbox, local answers and passed-on upstream answers alike. */
    ANSWERED(Writer.SELECTOR),
    FORWARDED(Writer.SELECTOR),
    UPSTREAM_ANSWERS(Writer.SELECTOR),
    /** Too short to answer, an answer sent to the resolver, or a malformed upstream answer. */
    MALFORMED(Writer.SELECTOR),
    /** A send that failed, or an upstream that could not be reached. */
    FAILED(Writer.SELECTOR),

    // ---- the control thread that changes a sandbox's names (they are changed under the network service's lock)
    /** No socket could be opened in a sandbox: it resolves only its own name (its hosts file), no peers'. */
    LISTEN_FAILED(Writer.CONTROL);

    private final int writer;

    DnsCounter(final int writer)
    {
        this.writer = writer;
    }

    @Override
    public int writer()
    {
        return writer;
    }

    private static final class Writer
    {
        static final int SELECTOR = 0;
        static final int CONTROL = 1;
    }
}
