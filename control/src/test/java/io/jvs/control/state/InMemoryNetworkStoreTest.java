package io.jvs.control.state;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class InMemoryNetworkStoreTest
{
    private final InMemoryNetworkStore store = new InMemoryNetworkStore();

    private static Endpoint endpoint(final String id, final String network, final String sandbox)
    {
        return new Endpoint(id, network, sandbox, "jv" + id, "eth0", "02:42:00:00:00:01", 1, 24, 1);
    }

    @Test
    void theIndexesFollowPutsReplacementsAndRemovals()
    {
        final Endpoint a1 = endpoint("1", "n1", "a");
        final Endpoint b1 = endpoint("2", "n1", "b");
        final Endpoint a2 = endpoint("3", "n2", "a");
        store.putEndpoint(b1);
        store.putEndpoint(a1);
        store.putEndpoint(a2);
        assertEquals(List.of(a1, b1), store.endpointsOfNetwork("n1"), "by sandbox name");
        assertEquals(List.of(a1, a2), store.endpointsOfSandbox("a"));
        assertEquals(Optional.of(a2), store.endpointById("3"));

        final Endpoint replaced = endpoint("4", "n1", "a");
        store.putEndpoint(replaced);
        assertEquals(Optional.empty(), store.endpointById("1"), "the replaced endpoint's id is gone");
        assertEquals(Optional.of(replaced), store.endpointById("4"));

        store.removeEndpoint("n1", "a");
        store.removeEndpoint("n1", "nobody");
        assertEquals(List.of(b1), store.endpointsOfNetwork("n1"));
        assertEquals(List.of(a2), store.endpointsOfSandbox("a"));
        assertEquals(Optional.empty(), store.endpointById("4"));
        assertEquals(List.of(b1, a2).size(), store.endpoints().size());
    }
}
