package io.jvs.control.daemon;

import io.jvs.control.network.AttachProbe;
import io.jvs.control.network.AttachStep;

import java.util.Optional;

/**
 * Crash tests: {@code -Djvs.faultInjection.haltAfter=STEP} (an {@link AttachStep} name) makes the daemon halt the
 * JVM at once, with no clean-up at all (as SIGKILL would), right after that step of a connect or disconnect. Tests
 * start a daemon so, then check what the next start makes of the half-done change. Off unless the property is set.
 */
final class FaultInjection
{
    static final String HALT_AFTER = "jvs.faultInjection.haltAfter";
    /** The exit status SIGKILL would give (128 + 9), so a supervisor sees a crash. */
    private static final int HALT_STATUS = 137;

    private FaultInjection()
    {
    }

    static Optional<AttachProbe> fromSystemProperties()
    {
        final String name = System.getProperty(HALT_AFTER);
        if (name == null || name.isEmpty())
        {
            return Optional.empty();
        }
        final AttachStep target = AttachStep.valueOf(name);
        return Optional.of(step ->
        {
            if (step == target)
            {
                System.err.println("jvs: fault injection: halting after " + step);
                Runtime.getRuntime().halt(HALT_STATUS);
            }
        });
    }
}
