package io.jvs.control.network;

import java.util.ArrayList;
import java.util.List;

/** What {@link NetworkService#restore} found. */
public record RestoreReport(int networks, int reattached, int detached, List<String> dropped)
{
    /** Both reports' counts and drops. */
    public RestoreReport and(final RestoreReport other)
    {
        final List<String> all = new ArrayList<>(dropped);
        all.addAll(other.dropped());
        return new RestoreReport(networks + other.networks(), reattached + other.reattached(),
            detached + other.detached(), List.copyOf(all));
    }
}
