package io.jvs.dataplane.engine;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Configuration changes and snapshots for one agent, Aeron-conductor style: any thread submits, the owning
 * agent runs them between batches in its own thread, so the agent's state needs no locks. Each submission
 * completes a future with the action's result, or exceptionally with what it threw; {@link #call} and
 * {@link #run} wait for it, for the typed proxies of the agents' commands. With an {@link AgentWakeup} the agent's
 * thread, asleep in epoll_wait, is woken by the submission instead of at the wait's timeout.
 */
public final class CommandQueue
{
    public static final int DEFAULT_CAPACITY = 256;
    /** Commands run per duty cycle at most, so a burst of configuration cannot stall forwarding. */
    public static final int DRAIN_LIMIT = 16;
    /** How long {@link #call} waits for the agent. */
    public static final long CALL_TIMEOUT_MILLIS = 5_000;

    private static final class Command implements Runnable
    {
        private final Supplier<?> action;
        private final CompletableFuture<Object> future = new CompletableFuture<>();

        Command(final Supplier<?> action)
        {
            this.action = action;
        }

        public void run()
        {
            try
            {
                future.complete(action.get());
            }
            catch (final Throwable t)
            {
                future.completeExceptionally(t);
            }
        }
    }

    private final ManyToOneConcurrentArrayQueue<Command> queue;
    private final Consumer<Command> runner = Command::run;
    /** Set once the agent no longer runs: what submissions then fail with, at once. */
    private volatile String closedReason;
    private volatile AgentWakeup wakeup;

    public CommandQueue(final int capacity)
    {
        queue = new ManyToOneConcurrentArrayQueue<>(capacity);
    }

    /** Setup, before the agent runs: submissions wake the agent's thread through {@code wakeup}. */
    public void wakeUp(final AgentWakeup wakeup)
    {
        wakeup.register(this);
        this.wakeup = wakeup;
    }

    /**
     * Queues an action for the agent thread.
     *
     * @throws IllegalStateException if the queue is full (the agent is not draining it).
     */
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> submit(final Supplier<T> action)
    {
        final String closed = closedReason;
        if (null != closed)
        {
            throw new IllegalStateException(closed);
        }
        final Command command = new Command(action);
        if (!queue.offer(command))
        {
            throw new IllegalStateException("command queue full: agent not responding");
        }
        final AgentWakeup wakeup = this.wakeup;
        if (null != wakeup)
        {
            wakeup.onCommand(); // after the offer: see AgentWakeup for why that order loses no wake-up
        }
        return (CompletableFuture<T>)(CompletableFuture<?>)command.future;
    }

    /**
     * Runs {@code action} on the agent thread and returns its result once applied.
     *
     * @throws IllegalArgumentException what the action threw as such (an invalid request: nothing changed).
     * @throws IllegalStateException    if the action failed otherwise, or the agent did not run it in time.
     */
    public <T> T call(final String what, final Supplier<T> action)
    {
        return await(submit(action), what);
    }

    /** {@link #call} for an action without a result. */
    public void run(final String what, final Runnable action)
    {
        call(what, () ->
        {
            action.run();
            return null;
        });
    }

    /** No more submissions (the agent is stopping): they throw {@link IllegalStateException} with {@code reason}. */
    public void close(final String reason)
    {
        closedReason = reason;
        final AgentWakeup wakeup = this.wakeup;
        if (null != wakeup)
        {
            wakeup.stop();
        }
    }

    private static <T> T await(final CompletableFuture<T> future, final String what)
    {
        try
        {
            return future.get(CALL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof IllegalArgumentException)
            {
                throw new IllegalArgumentException(cause.getMessage(), cause);
            }
            throw new IllegalStateException(what + " failed in the agent: " + cause, cause);
        }
        catch (final TimeoutException ex)
        {
            throw new IllegalStateException(
                what + ": agents did not apply the command within " + CALL_TIMEOUT_MILLIS + " ms", ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted", ex);
        }
    }

    /** Whether a command waits (any thread; a volatile read of the queue's positions). */
    boolean hasQueued()
    {
        return !queue.isEmpty();
    }

    /** Agent thread: runs waiting commands. @return commands run. */
    public int drain()
    {
        return queue.isEmpty() ? 0 : queue.drain(runner, DRAIN_LIMIT);
    }
}
