package io.jvs.control.network;

import io.jvs.control.common.Failures;
import io.jvs.control.netns.IpTool;
import io.jvs.control.state.NetworkStore;

import java.util.ArrayList;
import java.util.List;

/**
 * Attaches in flight, journaled as intents (the host interface's name) before the veth is made, so that a crash
 * at any point of a connect is finished or undone by the next start: an endpoint journaled means the restore
 * finishes it; no endpoint means its veth, if it was made, is deleted, and with it the sandbox's interface and
 * address (no leaked link, no address handed out twice). The endpoint's own journal write clears the intent.
 */
final class AttachIntents
{
    private final NetworkStore store;
    private final IpTool ip;

    AttachIntents(final NetworkStore store, final IpTool ip)
    {
        this.store = store;
        this.ip = ip;
    }

    /** An undone attach's intent goes once its veth is gone; kept otherwise, for the next start to finish the undo. */
    void forget(final String hostInterface, final RuntimeException failure)
    {
        Failures.runQuietly(() ->
        {
            if (!ip.linkExists(hostInterface))
            {
                store.removeAttachIntent(hostInterface);
            }
        }, failure);
    }

    /** At start: the attaches a crash cut short lose their veths. @return their host interfaces. */
    List<String> undoInterrupted()
    {
        final List<String> undone = new ArrayList<>();
        for (final String hostInterface : store.attachIntents())
        {
            if (store.endpoints().stream().noneMatch(e -> e.hostInterface().equals(hostInterface)))
            {
                if (ip.linkExists(hostInterface))
                {
                    ip.deleteLink(hostInterface);
                }
                undone.add(hostInterface);
            }
            store.removeAttachIntent(hostInterface);
        }
        return undone;
    }
}
