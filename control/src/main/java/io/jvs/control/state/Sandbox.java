package io.jvs.control.state;

import java.time.Instant;

/** A network namespace jvs created and manages, named like the namespace (usable with {@code ip netns exec}). */
public record Sandbox(String name, Instant created)
{
}
