package io.jvs.dataplane.engine;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Configuration changes and snapshots for one agent, Aeron-conductor style: any thread submits, the owning
 * agent runs them between batches in its own thread, so the agent's state needs no locks. Each submission
 * completes a future with the action's result, or exceptionally with what it threw.
 */
public final class CommandQueue
{
    public static final int DEFAULT_CAPACITY = 256;
    /** Commands run per duty cycle at most, so a burst of configuration cannot stall forwarding. */
    public static final int DRAIN_LIMIT = 16;

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

    public CommandQueue(final int capacity)
    {
        queue = new ManyToOneConcurrentArrayQueue<>(capacity);
    }

    /**
     * Queues an action for the agent thread.
     *
     * @throws IllegalStateException if the queue is full (the agent is not draining it).
     */
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> submit(final Supplier<T> action)
    {
        final Command command = new Command(action);
        if (!queue.offer(command))
        {
            throw new IllegalStateException("command queue full: agent not responding");
        }
        return (CompletableFuture<T>)(CompletableFuture<?>)command.future;
    }

    /** Agent thread: runs waiting commands. @return commands run. */
    public int drain()
    {
        return queue.isEmpty() ? 0 : queue.drain(runner, DRAIN_LIMIT);
    }
}
