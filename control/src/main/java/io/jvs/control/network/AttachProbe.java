package io.jvs.control.network;

/**
 * Told after each {@link AttachStep} of a connect or disconnect, on the requesting thread under the service's lock:
 * a measurement times the steps, a test fails one on purpose to check that the steps before it are undone. What it
 * throws fails the request as a failed step would.
 */
@FunctionalInterface
public interface AttachProbe
{
    AttachProbe NONE = step ->
    {
    };

    void after(AttachStep step);
}
